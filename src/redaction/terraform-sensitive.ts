/**
 * Terraform hides sensitive outputs in its human output only: `terraform output -json` (and
 * `show -json`) print them in clear, marked `"sensitive": true` in the same object, before `value`:
 *
 *     "db_password": {
 *       "sensitive": true,
 *       "type": "string",
 *       "value": "hunter2"
 *     }
 *
 * The value can be any JSON and span many lines, so no line-by-line pattern can find its end: a small
 * JSON scanner reads on from the marker to the end of `value`. It is incremental so that the stream
 * redactor and the whole-text redactor cut exactly the same spans.
 */

/**
 * One line, so a stream can find it in complete lines. Exported as a source, not a shared RegExp:
 * a global RegExp carries `lastIndex`, which two users would trip over.
 */
export const SENSITIVE_MARKER_SOURCE = String.raw`"sensitive"[ \t]*:[ \t]*true\b`;

/** Where a scan stopped. Indices are into the text of the `feed` call that returned it. */
export interface ScanStep {
  /** The object member list ended: at the value's end, at `}`, or at something that is not JSON. */
  done: boolean;
  /** Where to continue looking for the next marker (when `done`). */
  end?: number;
  /** The `value` began in this text, here. */
  valueStart?: number;
  /** The `value` ended in this text, just before here (when `done` because of it). */
  valueEnd?: number;
}

/** Where in an object's member list the scanner is. */
const State = {
  AfterMember: 0,
  BeforeKey: 1,
  Key: 2,
  AfterKey: 3,
  BeforeValue: 4,
  Value: 5,
} as const;
type State = (typeof State)[keyof typeof State];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Keys longer than this are not terraform's: give up rather than buffer them. */
const MAX_KEY_LENGTH = 256;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Reads the rest of an object after `"sensitive": true`, member by member, until the `value`
 * member's value is complete. Feed it text in any pieces.
 */
export class SensitiveValueScanner {
  private state: State = State.AfterMember;
  private key = '';
  private isValue = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private inLiteral = false;
  private started = false;

  /** Whether the `value` has begun (so whatever follows until it ends is secret). */
  get valueStarted(): boolean {
    return this.started;
  }

  feed(text: string, from = 0): ScanStep {
    let valueStart: number | undefined;
    const stop = (end: number, valueEnd?: number): ScanStep => ({
      done: true,
      end,
      ...(valueStart !== undefined ? { valueStart } : {}),
      ...(valueEnd !== undefined ? { valueEnd } : {}),
    });
    for (let i = from; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case State.AfterMember:
          if (isSpace(c)) continue;
          if (c === COMMA) this.state = State.BeforeKey;
          else return stop(c === CLOSE_BRACE ? i + 1 : i);
          continue;
        case State.BeforeKey:
          if (isSpace(c)) continue;
          if (c !== QUOTE) return stop(i);
          this.state = State.Key;
          this.key = '';
          continue;
        case State.Key:
          if (this.escaped) this.escaped = false;
          else if (c === BACKSLASH) this.escaped = true;
          else if (c === QUOTE) {
            this.state = State.AfterKey;
            continue;
          }
          this.key += text[i];
          if (this.key.length > MAX_KEY_LENGTH) return stop(i);
          continue;
        case State.AfterKey:
          if (isSpace(c)) continue;
          if (c !== COLON) return stop(i);
          this.state = State.BeforeValue;
          continue;
        case State.BeforeValue:
          if (isSpace(c)) continue;
          if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET) return stop(i);
          this.isValue = this.key === 'value';
          if (this.isValue) {
            valueStart = i;
            this.started = true;
          }
          this.state = State.Value;
          this.depth = 0;
          i--; // the value's first character is read in its own state
          continue;
        case State.Value: {
          const end = this.valueEndAt(i, c);
          if (end === undefined) continue;
          if (this.isValue) return stop(end, end);
          this.state = State.AfterMember;
          i = end - 1;
          continue;
        }
      }
    }
    return valueStart !== undefined ? { done: false, valueStart } : { done: false };
  }

  /** Reads one character of a value; returns where the value ends if it ends here. */
  private valueEndAt(i: number, c: number): number | undefined {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) {
        this.inString = false;
        if (this.depth === 0) return i + 1;
      }
      return undefined;
    }
    if (this.inLiteral) {
      // Numbers, true, false, null end at the first delimiter, which belongs to what follows.
      if (!isSpace(c) && c !== COMMA && c !== CLOSE_BRACE && c !== CLOSE_BRACKET) return undefined;
      this.inLiteral = false;
      if (this.depth === 0) return i;
    }
    if (c === QUOTE) this.inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      this.depth--;
      if (this.depth <= 0) return i + 1;
    } else if (!isSpace(c) && c !== COMMA && c !== COLON) this.inLiteral = true;
    return undefined;
  }
}

/** A sensitive value in a text; `complete` is false when the text ends before the value does. */
export interface SensitiveValueRange {
  start: number;
  end: number;
  complete: boolean;
}

/** Every sensitive output value in a text (pretty-printed or one-line JSON, or JSON lines). */
export function sensitiveValueRanges(text: string): SensitiveValueRange[] {
  const ranges: SensitiveValueRange[] = [];
  if (!text.includes('"sensitive"')) return ranges;
  const marker = new RegExp(SENSITIVE_MARKER_SOURCE, 'g');
  for (;;) {
    const m = marker.exec(text);
    if (!m) break;
    const step = new SensitiveValueScanner().feed(text, m.index + m[0].length);
    if (!step.done) {
      // Cut output: whatever of the value is there is still secret.
      if (step.valueStart !== undefined) ranges.push({ start: step.valueStart, end: text.length, complete: false });
      break;
    }
    if (step.valueStart !== undefined && step.valueEnd !== undefined) ranges.push({ start: step.valueStart, end: step.valueEnd, complete: true });
    marker.lastIndex = step.end ?? m.index + m[0].length;
  }
  return ranges;
}

function collectScalars(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') into.add(value);
  else if (typeof value === 'number') into.add(String(value));
  else if (Array.isArray(value)) for (const v of value) collectScalars(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collectScalars(v, into);
}

/**
 * The strings (and numbers) inside every sensitive output of `terraform output -json` text, so a
 * run can redact them wherever they show up later (a script that echoes one, a URL that embeds one).
 */
export function sensitiveTerraformValues(jsonText: string): string[] {
  const values = new Set<string>();
  for (const range of sensitiveValueRanges(jsonText)) {
    if (!range.complete) continue;
    try {
      collectScalars(JSON.parse(jsonText.slice(range.start, range.end)), values);
    } catch {
      // Not JSON after all (a log line that looked like it): nothing to learn.
    }
  }
  return [...values];
}
