import stripAnsi from 'strip-ansi';
import type { OutputFilter } from './step-runner.js';

/**
 * Terminal output as a reader of the finished screen would see it, in plain text: colours, OSC 8
 * hyperlinks and cursor moves removed (strip-ansi), and a line redrawn with carriage returns (a
 * progress bar) reduced to its last drawing. Slack shows escapes raw, and parsers would read
 * `\x1b[31mFAIL` as something other than FAIL; some tools (ansible-lint) colour even without a TTY.
 */

/**
 * Most characters of an unfinished line held back, waiting for its end or its next redraw. Past it,
 * the line goes on as it is: a redraw after that shows up as a new piece of the line, but memory
 * stays bounded whatever a step prints without a newline.
 */
const MAX_PARTIAL = 64 * 1024;

/** Longer than any escape sequence a tool prints (an OSC 8 link carries a URL), so one is never cut. */
const MAX_ESCAPE = 4096;

/** An escape sequence that began but did not end: output cut short, or a sequence strip-ansi does not know. */
// eslint-disable-next-line no-control-regex
const UNFINISHED_ESCAPE = /(?:\x1b\][^\x07\x1b\x9c]*\x1b?|\x1b\[[0-?]*[ -/]*|\x9b[0-?]*[ -/]*|\x1b[ -/]*)$/;

/** Control characters left once the escapes are gone (a bell, a backspace); tabs and newlines stay. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Whether a text has anything to rewrite: escapes (\x1b, \x9b), carriage returns and other controls
 * are all in this range. Most output has none, and then passes as it is, without being split.
 */
// eslint-disable-next-line no-control-regex
const HAS_CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** One line, without its newline: the last drawing of it, in plain text. */
function resolveLine(line: string): string {
  // A trailing \r is a CRLF line end, not a redraw of the line with nothing.
  const body = line.replace(/\r+$/, '');
  return plain(body.slice(body.lastIndexOf('\r') + 1));
}

function plain(text: string): string {
  return stripAnsi(text).replace(UNFINISHED_ESCAPE, '').replace(CONTROLS, '');
}

/**
 * A whole output, as plain text, with its lines where they were (a missing final newline stays
 * missing: parsers read it as output cut short). Escapes never span lines, so each is read alone:
 * an unterminated link cannot swallow the lines after it.
 */
export function terminalText(text: string): string {
  return text.split('\n').map(resolveLine).join('\n');
}

/**
 * `terminalText` for output arriving in chunks, in front of another filter (the redactor, which then
 * sees secrets without colour codes inside them). Whole lines go on at once; an unfinished line is
 * held until its newline, keeping only what follows its last carriage return, so an escape sequence
 * split across chunks never leaks half of itself.
 */
export class TerminalTextFilter implements OutputFilter {
  private partial = '';

  constructor(private readonly next?: OutputFilter) {}

  push(chunk: string): string {
    const text = this.partial + chunk;
    const lastNewline = text.lastIndexOf('\n');
    let out = '';
    if (lastNewline >= 0) {
      const lines = text.slice(0, lastNewline + 1);
      out = HAS_CONTROLS.test(lines) ? `${text.slice(0, lastNewline).split('\n').map(resolveLine).join('\n')}\n` : lines;
      this.partial = text.slice(lastNewline + 1);
    } else {
      this.partial = text;
    }
    // What a later carriage return redraws is gone; one at the very end may still be a CRLF.
    const redrawn = this.partial.lastIndexOf('\r', this.partial.length - 2);
    if (redrawn >= 0) this.partial = this.partial.slice(redrawn + 1);
    if (this.partial.length > MAX_PARTIAL) {
      const cut = escapeSafeCut(this.partial);
      out += plain(this.partial.slice(0, cut).replace(/\r+$/, ''));
      this.partial = this.partial.slice(cut);
    }
    return this.next ? this.next.push(out) : out;
  }

  end(): string {
    const out = this.partial === '' ? '' : resolveLine(this.partial);
    this.partial = '';
    return this.next ? this.next.push(out) + this.next.end() : out;
  }
}

/** Where a long unfinished line may be cut: before its last escape sequence, which may not have ended. */
function escapeSafeCut(text: string): number {
  const escape = Math.max(text.lastIndexOf('\x1b'), text.lastIndexOf('\x9b'));
  return escape >= 0 && text.length - escape <= MAX_ESCAPE ? escape : text.length;
}
