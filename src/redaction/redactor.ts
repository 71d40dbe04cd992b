/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

/** Literal values shorter than this are not redacted: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 6;

interface Pattern {
  name: string;
  re: RegExp;
  /** Replacement (may keep a prefix group). */
  replace: string | ((match: string, ...groups: string[]) => string);
}

/**
 * Known shapes of credentials. A 40-character AWS secret key is mixed-case base64, unlike a git SHA
 * (lower-case hex), which must stay readable on cards.
 */
const PATTERNS: Pattern[] = [
  { name: 'private key', re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, replace: `-----BEGIN PRIVATE KEY----- ${REDACTED} -----END PRIVATE KEY-----` },
  { name: 'slack token', re: /\bxox[abpr]-[A-Za-z0-9-]{6,}/g, replace: REDACTED },
  { name: 'github token', re: /\bgh[pousr]_[A-Za-z0-9]{20,}/g, replace: REDACTED },
  { name: 'credentials in a URL', re: /(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+(?::[^/@\s]*)?@/gi, replace: (_m, scheme: string) => `${scheme}${REDACTED}@` },
  { name: 'aws access key id', re: /\b(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}\b/g, replace: REDACTED },
  {
    name: 'aws secret access key',
    re: /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+=]*[A-Z])(?=[A-Za-z0-9/+=]*[a-z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    replace: REDACTED,
  },
  {
    name: 'password-style pair',
    re: /\b((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret)["']?\s*[=:]\s*)("[^"\n]*"|'[^'\n]*'|[^\s"',;&]+)/gi,
    replace: (_m, key: string) => `${key}${REDACTED}`,
  },
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The one redactor every text passes before it leaves for Slack: cards, thread replies, uploaded
 * logs. It removes the values of configured secrets and anything shaped like a credential.
 */
export class Redactor {
  private readonly literal: RegExp | undefined;

  constructor(secretValues: Iterable<string> = []) {
    // Views escape & < > before text reaches the redactor at the door: match both spellings.
    const raw = [...secretValues].filter((v) => v.length >= MIN_SECRET_LENGTH);
    const escaped = raw.map((v) => v.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;'));
    const values = [...new Set([...raw, ...escaped])].sort((a, b) => b.length - a.length);
    this.literal = values.length > 0 ? new RegExp(values.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  redact(text: string): string {
    let out = this.literal ? text.replace(this.literal, REDACTED) : text;
    for (const pattern of PATTERNS) {
      out = out.replace(pattern.re, pattern.replace as never);
    }
    return out;
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

/** The secret values a process knows: env vars named in `secrets:` and cloud env entries marked secret. */
export function secretValues(config: { secrets: string[]; clouds: Record<string, { env: Record<string, string | { value: string; secret: boolean }> }> }, env: NodeJS.ProcessEnv = process.env): string[] {
  const values: string[] = [];
  for (const name of config.secrets) {
    const value = env[name];
    if (value) values.push(value);
  }
  for (const cloud of Object.values(config.clouds)) {
    for (const value of Object.values(cloud.env)) {
      if (typeof value !== 'string' && value.secret) values.push(value.value);
    }
  }
  return values;
}
