import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** How many trailing lines of a step are kept in memory for the card. */
export const TAIL_LINES = 20;

/** Keeps the last `size` lines of a stream of chunks; nothing else is held in memory. */
export class LineTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly size = TAIL_LINES) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.size) this.lines.shift();
    }
    // A line without newline that grows without bound is cut, so one huge line cannot eat memory.
    if (this.partial.length > 64 * 1024) this.partial = this.partial.slice(-4096);
  }

  get(): string[] {
    const all = this.partial === '' ? [...this.lines] : [...this.lines, this.partial];
    return all.slice(-this.size);
  }
}

/** A run's log file: every step's combined output is appended as it arrives. */
export class RunLog {
  private stream: WriteStream | undefined;

  constructor(readonly path: string) {}

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.stream = createWriteStream(this.path, { flags: 'a' });
  }

  write(text: string): void {
    this.stream?.write(text);
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream) return;
    await new Promise<void>((resolve) => stream.end(resolve));
  }
}
