import { PRIVATE_KEY_BEGIN_SOURCE, PRIVATE_KEY_END_SOURCE, REDACTED, type Redactor } from './redactor.js';
import { SENSITIVE_MARKER_SOURCE, SensitiveValueScanner } from './terraform-sensitive.js';

export interface StreamRedactorOptions {
  /**
   * Most characters held back at once (default 1 MiB): an open private key block or sensitive
   * terraform value, or a line whose end has not come. Past it, the key's body (the value) is shown
   * as one placeholder and dropped as it arrives until its END line (its end); a line is emitted in
   * redacted pieces (never shorter than 4 KiB, so that no credential is cut through).
   */
  maxHeldBytes?: number;
}

const DEFAULT_MAX_HELD = 1024 * 1024;

/** How far from the end of an over-long line it is cut: more than any line-local credential is long. */
const LONG_LINE_OVERLAP = 64 * 1024;

/**
 * A line is never cut shorter than this, whatever the cap: a cut through a credential would show
 * its tail, and credentials (JWTs aside) are well under it.
 */
const MIN_LINE_CUT = 4096;

/** Longer than any BEGIN/END line or `"sensitive": true`, so a cut can step around one. */
const MARKER_ROOM = 256;

/** Where an over-long line may be cut without splitting a `KEY: value` or a header. */
const SEPARATORS = new Set([0x20, 0x09, 0x2c, 0x3b]); // space, tab, comma, semicolon

/** How a sensitive value shows once redacted (as `Redactor` writes it). */
const VALUE_PLACEHOLDER = JSON.stringify(REDACTED);

/** A multi-line secret met in one piece of input. Positions are into that piece; -1 = opened before it. */
interface Span {
  open: number;
  /** Just after its end; undefined while it is still open at the end of the piece. */
  close: number | undefined;
  /** Where shown output starts again after a dropped span: a key's END line, a value's end. */
  resume: number | undefined;
  /** It ended with a sensitive value (which a dropped span must still show as redacted). */
  hadValue: boolean;
}

/** Follows private key blocks across pieces of input, finding the same blocks the redactor does. */
class PrivateKeyTracker {
  private readonly begin = new RegExp(PRIVATE_KEY_BEGIN_SOURCE, 'g');
  private readonly end = new RegExp(PRIVATE_KEY_END_SOURCE, 'g');
  open = false;

  scan(piece: string): Span[] {
    const spans: Span[] = [];
    let pos = 0;
    let openAt = this.open ? -1 : undefined;
    for (;;) {
      if (openAt === undefined) {
        // Every BEGIN line has it: most output has none, and then the costlier scan is skipped.
        if (!piece.includes('PRIVATE KEY', pos)) break;
        this.begin.lastIndex = pos;
        const b = this.begin.exec(piece);
        if (!b) break;
        openAt = b.index;
        pos = b.index + b[0].length;
      }
      this.end.lastIndex = pos;
      const e = this.end.exec(piece);
      if (!e) {
        this.open = true;
        spans.push({ open: openAt, close: undefined, resume: undefined, hadValue: false });
        return spans;
      }
      pos = e.index + e[0].length;
      spans.push({ open: openAt, close: pos, resume: e.index, hadValue: false });
      openAt = undefined;
    }
    this.open = false;
    return spans;
  }
}

/** Follows sensitive terraform outputs across pieces, from the marker to the end of the value. */
class SensitiveOutputTracker {
  private readonly marker = new RegExp(SENSITIVE_MARKER_SOURCE, 'g');
  private scanner: SensitiveValueScanner | undefined;

  get open(): boolean {
    return this.scanner !== undefined;
  }

  get valueStarted(): boolean {
    return this.scanner?.valueStarted ?? false;
  }

  scan(piece: string): Span[] {
    const spans: Span[] = [];
    let pos = 0;
    let openAt = this.scanner ? -1 : 0;
    for (;;) {
      if (!this.scanner) {
        if (!piece.includes('"sensitive"', pos)) break;
        this.marker.lastIndex = pos;
        const m = this.marker.exec(piece);
        if (!m) break;
        openAt = m.index;
        pos = m.index + m[0].length;
        this.scanner = new SensitiveValueScanner();
      }
      const step = this.scanner.feed(piece, pos);
      if (!step.done) {
        spans.push({ open: openAt, close: undefined, resume: undefined, hadValue: false });
        return spans;
      }
      pos = step.end ?? pos;
      spans.push({ open: openAt, close: pos, resume: pos, hadValue: this.scanner.valueStarted });
      this.scanner = undefined;
    }
    return spans;
  }
}

function lastLineBreak(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) return i;
  }
  return -1;
}

function lineStart(piece: string, at: number): number {
  if (at <= 0) return 0;
  return Math.max(piece.lastIndexOf('\n', at - 1), piece.lastIndexOf('\r', at - 1)) + 1;
}

/**
 * The last place in a piece where output may stop: a line boundary outside every span. A cut inside
 * a line would split a `KEY: value`; inside a span, a key's body from its BEGIN line. -1: none.
 */
function safeCut(piece: string, spans: Span[], start: number): number {
  let cut = piece.length;
  for (const span of spans) {
    if (span.close !== undefined) continue;
    if (span.open < 0) return -1;
    cut = Math.min(cut, lineStart(piece, span.open));
  }
  for (;;) {
    if (cut < start) return -1;
    const straddling = spans.find((s) => s.open < cut && (s.close === undefined || s.close > cut));
    if (!straddling) return cut;
    if (straddling.open < 0) return -1;
    cut = lineStart(piece, straddling.open);
  }
}

/** Where dropping ends: past every span that covers the start of the piece or opened inside one. */
function resumeAfter(spans: Span[]): { at: number; hadValue: boolean } | undefined {
  let at = 0;
  let hadValue = false;
  for (let moved = true; moved; ) {
    moved = false;
    for (const span of spans) {
      if (span.open >= at) continue;
      if (span.resume === undefined) return undefined;
      hadValue ||= span.hadValue;
      if (span.resume > at) {
        at = span.resume;
        moved = true;
      }
    }
  }
  return { at, hadValue };
}

/**
 * Moves a cut inside a line back so that no BEGIN/END line or terraform marker is split between two
 * pieces (the trackers look for them one piece at a time).
 */
function cutOutsideMarkers(text: string, target: number): number {
  const markers = [new RegExp(PRIVATE_KEY_BEGIN_SOURCE, 'g'), new RegExp(PRIVATE_KEY_END_SOURCE, 'g'), new RegExp(SENSITIVE_MARKER_SOURCE, 'g')];
  let cut = target;
  for (let moved = true; moved; ) {
    moved = false;
    for (const marker of markers) {
      marker.lastIndex = Math.max(0, cut - MARKER_ROOM);
      for (let m = marker.exec(text); m && m.index < cut; m = marker.exec(text)) {
        if (m.index + m[0].length > cut) {
          cut = m.index;
          moved = true;
        }
      }
    }
  }
  return Math.max(1, cut);
}

/**
 * Redacts output that arrives in arbitrary chunks, for one step. A secret split across chunks is
 * never emitted half-redacted: output leaves in whole lines, and a private key block or a sensitive
 * terraform output is held back until it is complete. For ordinary output, everything `push` and
 * `end` return, concatenated, equals `redactor.redact` of the whole text.
 *
 * Each byte is scanned a fixed number of times whatever the chunk sizes: the trackers carry their
 * state from piece to piece instead of re-reading what they hold.
 */
export class StreamRedactor {
  private readonly maxHeld: number;
  private readonly maxLine: number;
  private keys = new PrivateKeyTracker();
  private outputs = new SensitiveOutputTracker();
  /** Complete lines not emitted yet, because a key block or sensitive output is open in them. */
  private held: string[] = [];
  private heldLength = 0;
  /** The unfinished last line. */
  private partial: string[] = [];
  private partialLength = 0;
  /** Past the cap inside a key or value: the rest of it is dropped, not held. */
  private suppressing = false;
  /** A sensitive value had not begun when dropping started: its placeholder is still owed. */
  private owesValue = false;

  constructor(
    private readonly redactor: Redactor,
    options: StreamRedactorOptions = {},
  ) {
    this.maxHeld = Math.max(1, options.maxHeldBytes ?? DEFAULT_MAX_HELD);
    this.maxLine = Math.max(MIN_LINE_CUT, this.maxHeld);
  }

  /** Takes a chunk; returns the redacted output that is safe to show now. */
  push(chunk: string): string {
    const out: string[] = [];
    const last = lastLineBreak(chunk);
    if (last < 0) {
      if (chunk) this.partial.push(chunk);
      this.partialLength += chunk.length;
    } else {
      const piece = this.takePartial() + chunk.slice(0, last + 1);
      this.keepPartial(chunk.slice(last + 1));
      this.feed(piece, out);
    }
    while (this.partialLength > this.maxLine) this.cutPartial(out);
    return out.join('');
  }

  /** Ends the stream: whatever is held, redacted (a key block without its END line stays hidden). */
  end(): string {
    const out: string[] = [];
    if (this.partialLength > 0) this.feed(this.takePartial(), out);
    if (this.suppressing) {
      if (this.owesValue && this.outputs.valueStarted) out.push(VALUE_PLACEHOLDER);
    } else if (this.heldLength > 0) {
      out.push(this.redactor.redact(this.takeHeld()));
    }
    this.held = [];
    this.heldLength = 0;
    this.suppressing = false;
    this.owesValue = false;
    this.keys = new PrivateKeyTracker();
    this.outputs = new SensitiveOutputTracker();
    return out.join('');
  }

  /** Reads a piece that ends at a line break (or a chosen cut): emits what is safe, holds the rest. */
  private feed(piece: string, out: string[]): void {
    const spans = [...this.keys.scan(piece), ...this.outputs.scan(piece)];
    let start = 0;
    if (this.suppressing) {
      const resume = resumeAfter(spans);
      if (!resume) return;
      this.suppressing = false;
      if (this.owesValue && resume.hadValue) out.push(VALUE_PLACEHOLDER);
      this.owesValue = false;
      start = resume.at;
    }
    const cut = safeCut(piece, spans, start);
    if (cut >= start) {
      const text = this.takeHeld() + piece.slice(start, cut);
      if (text) out.push(this.redactor.redact(text));
      this.hold(piece.slice(cut));
    } else {
      this.hold(piece.slice(start));
    }
    if (!this.suppressing && (this.keys.open || this.outputs.open) && this.heldLength + this.partialLength > this.maxHeld) {
      // What is held is shown redacted now (an unfinished key or value redacts to its end); the
      // rest of the key or value is dropped as it comes, so memory stays bounded.
      out.push(this.redactor.redact(this.takeHeld()));
      this.suppressing = true;
      this.owesValue = this.outputs.open && !this.outputs.valueStarted;
    }
  }

  /** An unfinished line grew past the cap: a piece of it goes on as if the line ended there. */
  private cutPartial(out: string[]): void {
    const text = this.takePartial();
    const holding = this.suppressing || this.keys.open || this.outputs.open;
    const cut = holding ? cutOutsideMarkers(text, text.length - MARKER_ROOM) : this.checkedCut(text);
    this.keepPartial(text.slice(cut));
    this.feed(text.slice(0, cut), out);
  }

  /**
   * A cut in a long line that changes nothing: around it, both sides redacted separately read the
   * same as redacted together, so no credential straddles it. Only a window around the cut is
   * compared (credentials are shorter than the window), so the cost does not grow with the cap.
   * Tries a few separators before the target, then settles for the first of them, or the target
   * (the line is pathological, and what matters then is bounded memory).
   */
  private checkedCut(text: string): number {
    const window = Math.min(LONG_LINE_OVERLAP, Math.floor(this.maxLine / 4));
    const target = cutOutsideMarkers(text, text.length - window);
    const unchanged = (cut: number) => {
      const from = Math.max(0, cut - window);
      const left = text.slice(from, cut);
      const right = text.slice(cut, cut + window);
      return this.redactor.redact(left) + this.redactor.redact(right) === this.redactor.redact(left + right);
    };
    let fallback = target;
    let tries = 0;
    for (let i = target; i > Math.max(0, target - 4096) && tries < 3; i--) {
      if (!SEPARATORS.has(text.charCodeAt(i - 1))) continue;
      const cut = cutOutsideMarkers(text, i);
      if (tries++ === 0) fallback = cut;
      if (unchanged(cut)) return cut;
    }
    return fallback;
  }

  private hold(text: string): void {
    if (!text) return;
    this.held.push(text);
    this.heldLength += text.length;
  }

  private takeHeld(): string {
    const text = this.held.join('');
    this.held = [];
    this.heldLength = 0;
    return text;
  }

  private keepPartial(text: string): void {
    this.partial = text ? [text] : [];
    this.partialLength = text.length;
  }

  private takePartial(): string {
    const text = this.partial.join('');
    this.keepPartial('');
    return text;
  }
}
