import { sensitiveValueRanges } from './terraform-sensitive.js';

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Literal values shorter than this are not redacted: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 6;

/**
 * Encoded forms (base64 pieces) shorter than this are not redacted: a few base64 characters occur
 * by chance in any long output.
 */
const MIN_ENCODED_LENGTH = 8;

/** Line widths `base64` (76) and `openssl base64` (64) wrap long encodings at. */
const BASE64_WRAP_WIDTHS = [64, 76];

/**
 * Where a private key block starts. Only when the marker is followed by the end of a line, an escaped
 * newline (keys inside JSON) or a space (keys flattened onto one line): a script that merely mentions
 * the marker (`grep -q -- '-----BEGIN RSA PRIVATE KEY-----' key`) must not hide the rest of the log.
 * Covers PKCS#1/#8 (RSA, EC, DSA, ENCRYPTED, plain), OpenSSH, PGP blocks and the SSH2 `---- ` style.
 * Exported (as a source: a shared global RegExp carries `lastIndex`) for the stream redactor, which
 * must hold back exactly the blocks this one hides.
 */
export const PRIVATE_KEY_BEGIN_SOURCE = String.raw`-{4,5} ?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}(?=[\r\n \t]|\\+[nr]|$)`;
/** Where it ends (any type: a cut or mangled key still ends at the first END). */
export const PRIVATE_KEY_END_SOURCE = String.raw`-{4,5} ?END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}`;

/** The whole body goes, BEGIN and END stay so a reader still sees that a key was printed. */
function hidePrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY')) return text;
  const begin = new RegExp(PRIVATE_KEY_BEGIN_SOURCE, 'g');
  const end = new RegExp(PRIVATE_KEY_END_SOURCE, 'g');
  let out = '';
  let copied = 0;
  for (;;) {
    const b = begin.exec(text);
    if (!b) break;
    const bodyStart = b.index + b[0].length;
    end.lastIndex = bodyStart;
    const e = end.exec(text);
    const bodyEnd = e ? e.index : text.length;
    // Keep the line structure around the placeholder so the overflow path of the stream redactor
    // (BEGIN line, placeholder, later the END line) produces the same text as this one.
    const multiLine = /[\r\n]/.test(text.slice(bodyStart, bodyEnd));
    const body = multiLine ? `\n${REDACTED}\n` : ` ${REDACTED}${e ? ' ' : ''}`;
    out += text.slice(copied, bodyStart) + body + (e ? e[0] : '');
    copied = e ? e.index + e[0].length : text.length;
    if (!e) break;
    begin.lastIndex = copied;
  }
  return out + text.slice(copied);
}

/** A sensitive terraform output keeps its key; its value becomes a JSON string. */
function hideSensitiveOutputs(text: string): string {
  const ranges = sensitiveValueRanges(text);
  if (ranges.length === 0) return text;
  let out = '';
  let copied = 0;
  for (const range of ranges) {
    out += text.slice(copied, range.start) + JSON.stringify(REDACTED);
    copied = range.end;
  }
  return out + text.slice(copied);
}

interface Pattern {
  name: string;
  re: RegExp;
  /** Replacement (may keep a prefix group). */
  replace: string | ((match: string, ...groups: string[]) => string);
  /**
   * What every match contains: a text without it cannot match, and the pattern's scan (each costs a
   * pass over the whole output) is skipped. A string is looked for as is; a RegExp (non-global, a
   * few literals) is tested, which finds literals at several GB/s where the patterns' own
   * lookbehinds and classes run at a few hundred MB/s.
   */
  hint?: string | RegExp;
}

function mayMatch(pattern: Pattern, text: string): boolean {
  if (pattern.hint === undefined) return true;
  return typeof pattern.hint === 'string' ? text.includes(pattern.hint) : pattern.hint.test(text);
}

/**
 * "key" alone is also everyday vocabulary (`unknown configuration key: 'x'`, `primary key: id`), and
 * public keys are no secret: those stay. "API key:", "access key:", "signing key:" are still secrets.
 * Nor is `terraform show -json`'s `"provider_config_key":"aws"` (which provider block a resource uses).
 */
const NOT_A_SECRET_KEY = String.raw`(?<!public[_.\-]?|provider_config_|\b(?:configuration|config|unknown|invalid|missing|duplicate|deprecated|unsupported|required|primary|foreign|partition|sort|hash|range|cache|lookup|index|map|object|field|setting|option|property|any)[ \t]+)`;

/** A key that names a secret: ends with TOKEN, PASSWORD, PASSWD, PASSPHRASE, KEY or _PWD, or contains SECRET or PASSWORD. */
const SECRET_KEY = String.raw`(?:[A-Za-z0-9_.\-]*(?:token|passwd|passphrase|${NOT_A_SECRET_KEY}key|(?:secret|password)[A-Za-z0-9_.\-]*)|[A-Za-z0-9_.\-]+[_.\-]pwd)`;

/** The key bare or quoted the way JSON, YAML, shells and JSON-inside-a-JSON-string quote it. */
const QUOTED_SECRET_KEY = String.raw`(?:\\"${SECRET_KEY}\\"|"${SECRET_KEY}"|'${SECRET_KEY}'|${SECRET_KEY})`;

/**
 * A value after `KEY=`: escaped-quoted (JSON inside a JSON string), quoted, or up to a delimiter
 * (JSON's closing brackets included) and with a letter or digit: `Unexpected token: }`, YAML's
 * `key: |` and JSON's `"resource_key":null` hold no secret. Under three characters is no secret
 * either, and terraform's own log says `"id_key":"id"` on every resource.
 */
const SECRET_VALUE = String.raw`\\"(?:[^"\\\r\n]|\\[^"\r\n]){3,}?\\"|"(?:[^"\\\r\n]|\\.){3,}"|'[^'\r\n]{3,}'|(?!(?:null|true|false|none|nil)\b)(?=[^\s"',;&}\]]*[A-Za-z0-9])[^\s"',;&}\]]{3,}`;

/** Keeps the quotes around a redacted value, so JSON and shell lines stay well-formed. */
function quotedLike(value: string): string {
  if (value.startsWith('\\"')) return `\\"${REDACTED}\\"`;
  if (value.startsWith('"') || value.startsWith("'")) return `${value[0]}${REDACTED}${value[0]}`;
  return REDACTED;
}

/**
 * Known shapes of credentials, each within one line: only private keys and terraform outputs span
 * lines, and they are handled first, so the stream redactor may cut its input at any line break
 * outside those two and get the same result.
 *
 * Order matters where shapes nest: a URL with credentials before `KEY: value` (its `user:pass` looks
 * like a pair), tokens with a known prefix before the generic pair (nicer output, same safety), the
 * 40-character AWS secret last (a loose shape, only what nothing else explained: hideAwsSecretKeys).
 */
const PATTERNS: Pattern[] = [
  {
    name: 'slack incoming webhook',
    re: /\bhttps:\/\/hooks\.slack\.com\/(services|workflows|triggers)\/[A-Za-z0-9_/-]+/g,
    replace: (_m, kind: string) => `https://hooks.slack.com/${kind}/${REDACTED}`,
    hint: 'https://hooks.slack.com/',
  },
  {
    name: 'credentials in a URL',
    // The password may contain '@': it runs to the last '@' before the host.
    re: /(\b[a-z][a-z0-9+.-]*:\/\/)(?:[^/@\s:]+(?::[^/\s]*)?|:[^/\s]*)@/gi,
    replace: (_m, scheme: string) => `${scheme}${REDACTED}@`,
    // Every match has it; most output has none, and then the scan (a costly one) is skipped.
    hint: '://',
  },
  {
    name: 'jwt',
    // JWE (five parts) before JWS (three; an unsigned one has an empty signature).
    re: /(?<![\w-])eyJ[\w-]{10,}\.(?:[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+|[\w-]+\.[\w-]*)/g,
    replace: REDACTED,
    hint: 'eyJ',
  },
  {
    name: 'aws session token',
    // Base64 of a protobuf that starts with `\x0a..er/aws` (older) or `\x0a\x09origin` (newer).
    re: /(?<![A-Za-z0-9/+=])[A-Za-z0-9+/]{2}o(?:GZXIvYXdz|Jb3JpZ2lu)[A-Za-z0-9/+=]{20,}/g,
    replace: REDACTED,
    hint: /oGZXIvYXdz|oJb3JpZ2lu/,
  },
  { name: 'slack token', re: /(?<![\w-])(?:(?:xoxe\.)?xox[abeoprs]|xapp)-[A-Za-z0-9-]{6,}/g, replace: REDACTED, hint: /xox[abeoprs]-|xapp-/ },
  { name: 'github token', re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replace: REDACTED, hint: /gh[pousr]_|github_pat_/ },
  { name: 'digitalocean token', re: /(?<![A-Za-z0-9_])do[opr]_v1_[a-f0-9]{64}/g, replace: REDACTED, hint: '_v1_' },
  { name: 'npm token', re: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}/g, replace: REDACTED, hint: 'npm_' },
  { name: 'gitlab token', re: /(?<![A-Za-z0-9_])gl(?:pat|dt|rt|ptt|soat|ft|cbt|imt|agent|oas)-[A-Za-z0-9_.-]{20,}/g, replace: REDACTED, hint: /gl(?:pat|dt|rt|ptt|soat|ft|cbt|imt|agent|oas)-/ },
  { name: 'google api key', re: /(?<![A-Za-z0-9_])AIza[0-9A-Za-z_-]{35}/g, replace: REDACTED, hint: 'AIza' },
  { name: 'stripe key', re: /(?<![A-Za-z0-9_])(?:(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}|whsec_[A-Za-z0-9]{20,})/g, replace: REDACTED, hint: /k_live_|k_test_|whsec_/ },
  { name: 'sendgrid key', re: /(?<![A-Za-z0-9_])SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, replace: REDACTED, hint: 'SG.' },
  { name: 'vault token', re: /(?<![A-Za-z0-9_])hv[sbr]\.[A-Za-z0-9_-]{20,}/g, replace: REDACTED, hint: /hv[sbr]\./ },
  { name: 'terraform cloud token', re: /(?<![A-Za-z0-9_])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}/g, replace: REDACTED, hint: '.atlasv1.' },
  { name: 'docker hub token', re: /(?<![A-Za-z0-9_])dckr_pat_[A-Za-z0-9_-]{20,}/g, replace: REDACTED, hint: 'dckr_pat_' },
  {
    name: 'aws access key id',
    re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA|AGPA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    replace: REDACTED,
    hint: /AKIA|ASIA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA|AGPA/,
  },
  {
    name: 'authorization header',
    // The scheme stays readable (it says what kind of credential went); the credential goes.
    re: /\b((?:proxy-)?authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?[ \t]*)((?:bearer|basic|token|digest|negotiate|ntlm|apikey|key)[ \t]+)?[^\s"'\\]+/gi,
    replace: (_m, head: string, scheme: string | undefined) => `${head}${scheme ?? ''}${REDACTED}`,
    hint: /authorization/i,
  },
  {
    name: 'bearer credential',
    // Outside an Authorization header (another header, a log of one); a digit tells it from prose.
    re: /\b(bearer[ \t]+)(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{8,}=*/gi,
    replace: (_m, head: string) => `${head}${REDACTED}`,
    hint: /bearer/i,
  },
  {
    name: 'secret-named pair',
    // KEY=value, KEY: value, "key": "value", \"key\": \"value\". Not `(sensitive value)` (terraform's own
    // mask) nor a value an earlier rule already replaced.
    // It starts at the separator and looks back for the key: separators are rarer than word starts.
    re: new RegExp(String.raw`[:=](?<=(?<![A-Za-z0-9_.\-\\])${QUOTED_SECRET_KEY}[ \t]*[:=])([=>]?[ \t]*)(?!\(sensitive|\[REDACTED\])(${SECRET_VALUE})`, 'gi'),
    replace: (match: string, gap: string, value: string) => `${match[0]}${gap}${quotedLike(value)}`,
    // Every secret-naming key has one of these (passwd, passphrase and password share `pass`).
    hint: /token|pass|key|secret|pwd/i,
  },
];

/** The length of an AWS secret access key. */
const AWS_SECRET_LENGTH = 40;

/** `A-Z a-z 0-9 / +`: the characters of an AWS secret access key. */
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 47 && c <= 57) || c === 43;
}

/** From `lastIndex` to the end of a run of key characters and `=` (sticky: it never searches ahead). */
const RUN_END = /[A-Za-z0-9/+=]*/y;

/** A key character or `=` (base64 padding): a run of these is one token. */
function isRunChar(c: number): boolean {
  return isKeyChar(c) || c === 61;
}

/**
 * AWS secret access keys: a token of exactly 40 base64 characters (no padding), of mixed case with a
 * digit or symbol, so a git SHA (lower-case hex) stays. The same as the regular expression
 * `(?<![A-Za-z0-9/+=])(?=…[A-Z])(?=…[a-z])(?=…[0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])`,
 * found faster: any run of 40 covers one position of every 40th, so only those are probed and only
 * the runs found there are measured. It is the loosest shape and the costliest to look for (the
 * expression ran at ~150 MB/s, this at ~450 MB/s on long runs and GB/s on prose).
 */
function hideAwsSecretKeys(text: string): string {
  let out = '';
  let copied = 0;
  const n = text.length;
  for (let probe = AWS_SECRET_LENGTH - 1; probe < n; ) {
    if (!isRunChar(text.charCodeAt(probe))) {
      probe += AWS_SECRET_LENGTH;
      continue;
    }
    RUN_END.lastIndex = probe;
    RUN_END.test(text);
    const end = RUN_END.lastIndex;
    // Backwards only as far as a run of 40 could start.
    let start = probe;
    while (start > 0 && end - start <= AWS_SECRET_LENGTH && isRunChar(text.charCodeAt(start - 1))) start--;
    if (end - start === AWS_SECRET_LENGTH && looksLikeAwsSecret(text, start, end)) {
      out += text.slice(copied, start) + REDACTED;
      copied = end;
    }
    // text[end] ends the run: the next run of 40 starts after it, and so covers end + 40.
    probe = end + AWS_SECRET_LENGTH;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

function looksLikeAwsSecret(text: string, start: number, end: number): boolean {
  let upper = false;
  let lower = false;
  let digitOrSymbol = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 61) return false;
    if (c >= 65 && c <= 90) upper = true;
    else if (c >= 97 && c <= 122) lower = true;
    else digitOrSymbol = true;
  }
  return upper && lower && digitOrSymbol;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How Slack mrkdwn escaping (done by views before the redactor sees the text) spells a value. */
function mrkdwnEscaped(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * The parts of a value's base64 that do not depend on what surrounds it. A value base64'd inside a
 * larger blob (`user:secret` in a Docker auth, `secret\n` from `echo | base64`) starts at byte offset
 * 0, 1 or 2 of a 3-byte group; the characters that mix in neighbouring bytes are dropped.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  const mixedPrefix = [0, 2, 3];
  for (const shift of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    const stable = Math.floor(shifted.length / 3) * 4;
    const core = shifted.toString('base64').slice(mixedPrefix[shift], stable);
    if (core.length >= MIN_ENCODED_LENGTH) cores.push(core);
  }
  return cores;
}

function urlSafe(base64: string): string {
  return base64.replaceAll('+', '-').replaceAll('/', '_');
}

function urlEncodings(value: string): string[] {
  try {
    const component = encodeURIComponent(value);
    // Stricter encoders (curl --data-urlencode, Python's quote) also escape !'()*; forms use + for space.
    const strict = component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return [component, strict, component.replaceAll('%20', '+'), strict.replaceAll('%20', '+')];
  } catch {
    return []; // a lone surrogate: no URL can carry it
  }
}

/**
 * Every spelling of a configured secret that output may contain, each within one line. A value
 * with line breaks is looked for line by line (a stream sees one line at a time), without the
 * indentation (which a tool may change, and which alone would match every indented line); a private
 * key's BEGIN/END lines are left out, they are the same in every key and the key rule handles them.
 */
function secretForms(value: string): string[] {
  const forms = new Set<string>();
  const add = (form: string, min = MIN_SECRET_LENGTH) => {
    if (form.length >= min && !/[\r\n]/.test(form)) forms.add(form);
  };
  const lines = value.split(/\r\n|\r|\n/);
  if (lines.length === 1) add(value);
  else for (const line of lines) if (!/^\s*-{4,5} ?(?:BEGIN|END) /.test(line)) add(line.trim());
  const json = JSON.stringify(value).slice(1, -1);
  add(json);
  for (const encoded of urlEncodings(value)) add(encoded);
  const bytes = Buffer.from(value, 'utf8');
  const padded = bytes.toString('base64');
  const unpadded = padded.replace(/=+$/, '');
  for (const form of [padded, unpadded, ...base64Cores(bytes)]) {
    add(form, MIN_ENCODED_LENGTH);
    add(urlSafe(form), MIN_ENCODED_LENGTH);
  }
  for (const width of BASE64_WRAP_WIDTHS) {
    if (padded.length <= width) continue;
    for (let i = 0; i < padded.length; i += width) add(padded.slice(i, i + width), MIN_ENCODED_LENGTH);
  }
  for (const form of [...forms]) add(mrkdwnEscaped(form));
  return [...forms];
}

interface TrieNode {
  end: boolean;
  next: Map<string, TrieNode>;
}

/**
 * One regular expression for many literals, shaped as a trie (`ab(?:c|d)`): the engine then decides
 * on one character at each step instead of trying every literal at every position of the output.
 * Longer literals win where one is a prefix of another (the optional tail is greedy).
 */
function trieSource(words: Iterable<string>): string {
  const root: TrieNode = { end: false, next: new Map() };
  for (const word of words) {
    let node = root;
    for (const ch of word) {
      let child = node.next.get(ch);
      if (!child) node.next.set(ch, (child = { end: false, next: new Map() }));
      node = child;
    }
    node.end = true;
  }
  const source = (node: TrieNode): string => {
    const branches: string[] = [];
    for (const [ch, child] of node.next) {
      let branch = escapeRegExp(ch);
      let n = child;
      while (!n.end && n.next.size === 1) {
        const [c, only] = n.next.entries().next().value!;
        branch += escapeRegExp(c);
        n = only;
      }
      if (n.next.size > 0) branch += n.end ? `(?:${source(n)})?` : source(n);
      branches.push(branch);
    }
    return branches.length === 1 ? branches[0]! : `(?:${branches.join('|')})`;
  };
  return source(root);
}

/**
 * The one redactor every text passes before it leaves for Slack: cards, thread replies, uploaded
 * logs. It removes the values of configured secrets and anything shaped like a credential.
 */
export class Redactor {
  private readonly values: readonly string[];
  private readonly literal: RegExp | undefined;

  constructor(secretValues: Iterable<string> = []) {
    this.values = [...new Set(secretValues)].filter((v) => v.length >= MIN_SECRET_LENGTH);
    const forms = new Set(this.values.flatMap(secretForms));
    this.literal = forms.size > 0 ? new RegExp(trieSource(forms), 'g') : undefined;
  }

  /** A redactor that also knows `more` (values a run learns while it runs, e.g. sensitive outputs). */
  withValues(more: Iterable<string>): Redactor {
    return new Redactor([...this.values, ...more]);
  }

  redact(text: string): string {
    // Multi-line shapes first, on the text as printed, so that later rules cannot break a marker.
    let out = hideSensitiveOutputs(hidePrivateKeys(text));
    if (this.literal) out = out.replace(this.literal, REDACTED);
    for (const pattern of PATTERNS) {
      if (!mayMatch(pattern, out)) continue;
      out = typeof pattern.replace === 'string' ? out.replace(pattern.re, pattern.replace) : out.replace(pattern.re, pattern.replace);
    }
    return hideAwsSecretKeys(out);
  }

  /** Redacts every string inside a JSON-like value (blocks, attachments). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => this.redactDeep(v)) as T;
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v)])) as T;
    }
    return value;
  }
}
