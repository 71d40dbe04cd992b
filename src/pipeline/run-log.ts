import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** How many trailing lines of a step are kept in memory for the card. */
export const TAIL_LINES = 20;

/** How much of a step's end is kept for those lines (20 lines of a long-lined tool, with room). */
export const TAIL_CHARS = 64 * 1024;

/**
 * The last `maxChars` of a stream of chunks, in a bounded ring: pushing only appends (no line is
 * split while output flows), and lines are split only when the tail is read. Nothing else of the
 * output is held in memory.
 */
export class LineTail {
  private chunks: string[] = [];
  private length = 0;

  constructor(
    private readonly size = TAIL_LINES,
    private readonly maxChars = TAIL_CHARS,
  ) {}

  push(chunk: string): void {
    if (chunk.length === 0) return;
    if (chunk.length >= this.maxChars) {
      this.chunks = [chunk.slice(-this.maxChars)];
      this.length = this.maxChars;
      return;
    }
    this.chunks.push(chunk);
    this.length += chunk.length;
    // Drop whole chunks from the front while what is left still fills the ring.
    while (this.length - this.chunks[0]!.length >= this.maxChars) this.length -= this.chunks.shift()!.length;
    // Many small chunks: fold them, so the ring is a few strings, not thousands.
    if (this.chunks.length > 256) this.chunks = [this.chunks.join('')];
  }

  /** The last `size` lines (the last one may be unfinished; the first may be cut by the ring). */
  get(): string[] {
    const text = this.chunks.join('').slice(-this.maxChars);
    const lines = text.split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-this.size);
  }
}

/** A run's log file: every step's combined output is appended as it arrives. */
export class RunLog {
  private stream: WriteStream | undefined;
  /** Whether what was written last ended a line (a footer must start on its own). */
  private atLineStart = true;

  constructor(readonly path: string) {}

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.stream = createWriteStream(this.path, { flags: 'a' });
  }

  /** Appends output as it came: bytes are written as they are, text as UTF-8. */
  write(data: string | Buffer): void {
    if (data.length === 0) return;
    this.atLineStart = typeof data === 'string' ? data.endsWith('\n') : data[data.length - 1] === 0x0a;
    this.stream?.write(data);
  }

  /** Writes `text` (which ends its line) at the start of a line: the output before it may not have ended its own. */
  line(text: string): void {
    this.write(this.atLineStart ? text : `\n${text}`);
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return;
    await new Promise<void>((resolve) => stream.end(resolve));
  }
}
