import { lstat } from 'node:fs/promises';
import { runChild, type ChildEnd } from './child-process.js';

/** Deletes whole trees: `rm -rf`, one process for all of them. */
export type RemoveTrees = (paths: string[]) => Promise<ChildEnd & { stderr: string }>;

const RM_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };

const removeWithRm: RemoveTrees = (paths) => runChild('rm', ['-rf', '--', ...paths], { env: RM_ENV });

export interface TrashBinOptions {
  /** How long a tree waits for others to be deleted with it (default 500 ms). */
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
  private readonly pending = new Map<string, { tries: number; onError: (err: unknown) => void }>();
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
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running || this.pending.size > 0) await (this.running ?? this.run());
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, this.delayMs);
    // A process that ends meanwhile leaves the trees to the next start-up sweep.
    this.timer.unref();
  }

  private run(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    this.running = this.removeBatch(batch).finally(() => {
      this.running = undefined;
      if (this.pending.size > 0) this.schedule();
    });
    return this.running;
  }

  private async removeBatch(batch: [string, { tries: number; onError: (err: unknown) => void }][]): Promise<void> {
    if (batch.length === 0) return;
    const end = await this.remove(batch.map(([path]) => path));
    if (end.exitCode === 0) return;
    const why = end.stderr.trim().split('\n').at(-1) || end.startError || `rm exited ${end.exitCode ?? end.signal}`;
    for (const [path, entry] of batch) {
      const left = await lstat(path).then(
        () => true,
        () => false,
      );
      if (!left) continue;
      entry.tries++;
      if (entry.tries >= this.attempts) entry.onError(new Error(`could not delete ${path} (${entry.tries} tries): ${why}`));
      else this.pending.set(path, entry);
    }
  }
}
