import { lstat } from 'node:fs/promises';
import { runChild, type ChildEnd } from './child-process.js';

/** Deletes whole trees: `rm -rf`, one process for all of them. */
export type RemoveTrees = (paths: string[]) => Promise<ChildEnd & { stderr: string }>;

const RM_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

const removeWithRm: RemoveTrees = (paths) => runChild('rm', ['-rf', '--', ...paths], { env: RM_ENV });

/** At most this many trees per `rm` (a command line has a length limit: a sweep may find thousands). */
const BATCH = 500;

export interface TrashBinOptions {
  /**
   * How long a tree waits for others to be deleted with it (default 500 ms); a tree tried before
   * waits that long times its tries (a step's last processes get a grace period of seconds).
   */
  delayMs?: number;
  /** How many times a tree that could not be deleted whole is tried (default 5). */
  attempts?: number;
  remove?: RemoveTrees;
}

/**
 * Trees put aside to be deleted in the background (a lane's discarded checkout), deleted in batches:
 * one `rm -rf` for every tree put in within `delayMs`. Deleting in the worker itself is a walk in
 * JavaScript, an `lstat`, `readdir`, `unlink` or `rmdir` per entry on the worker's thread, which
 * in a burst of builds is the thread every build waits for; one process for many trees costs one
 * fork. A tree a step's last processes still write in (their grace period) may not go whole: what
 * is left goes back in the bin, and after `attempts` tries it is reported and left for the next
 * worker's start-up sweep.
 */
export class TrashBin {
  private readonly pending = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly delayMs: number;
  private readonly attempts: number;
  private readonly remove: RemoveTrees;

  constructor(options: TrashBinOptions = {}) {
    this.delayMs = options.delayMs ?? 500;
    this.attempts = options.attempts ?? 5;
    this.remove = options.remove ?? removeWithRm;
  }

  /** Puts a tree in the bin; `onError` hears of it if it could not be deleted. */
  add(path: string, onError: (err: unknown) => void = () => undefined): void {
    if (!this.pending.has(path)) this.pending.set(path, { tries: 0, onError });
    this.schedule();
  }

  /** Deletes what is in the bin now, and resolves once it is empty (a worker's shutdown). */
  async empty(): Promise<void> {
    while (this.running || this.pending.size > 0) {
      if (this.running) {
        await this.running;
        continue;
      }
      // A tree that could not be deleted whole waits before its next try, here as on the timer.
      const wait = this.retryWait();
      clearTimeout(this.timer);
      this.timer = undefined;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (!this.running) await this.run();
    }
  }

  /** How long the bin's next run waits: its delay, times the most tries of a tree in it. */
  private retryWait(): number {
    let tries = 0;
    for (const { tries: t } of this.pending.values()) tries = Math.max(tries, t);
    return this.delayMs * tries;
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, Math.max(this.delayMs, this.retryWait()));
    // A process that ends meanwhile leaves the trees to the next start-up sweep.
    this.timer.unref();
  }

  /** Never rejects: what goes wrong is each tree's `onError`. */
  private run(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    this.running = this.removeBatch(batch)
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        if (this.pending.size > 0) this.schedule();
      });
    return this.running;
  }

  private async removeBatch(batch: [string, Entry][]): Promise<void> {
    for (let i = 0; i < batch.length; i += BATCH) {
      const part = batch.slice(i, i + BATCH);
      const end = await this.remove(part.map(([path]) => path));
      if (end.exitCode === 0) continue;
      const said = end.stderr.trim().split('\n').at(-1) || end.startError || `rm exited ${end.exitCode ?? end.signal}`;
      for (const [path, entry] of part) await this.afterFailure(path, entry, said);
    }
  }

  /** A batch's rm failed: a tree still there is tried again, or, after its last try, reported. */
  private async afterFailure(path: string, entry: Entry, said: string): Promise<void> {
    const left = await lstat(path).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? 'gone' : err.message),
    );
    if (left === 'gone') return;
    entry.tries++;
    if (entry.tries < this.attempts) {
      this.pending.set(path, entry);
      return;
    }
    try {
      entry.onError(new Error(`could not delete ${path} (${entry.tries} tries); rm said: ${left ?? said}`));
    } catch {
      // A listener that throws must not cost the other trees their tries.
    }
  }
}

interface Entry {
  tries: number;
  onError: (err: unknown) => void;
}
