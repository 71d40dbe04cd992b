import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/** What is done once: failures in the thread, the verdict in the team channel, a lifetime's reminder. */
export type OnceKind = 'failures' | 'verdict' | 'keep-reminder';

/** How long a "done once" marker is kept: longer than any run's record. */
const ONCE_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Things that must happen once per run whatever retries happen (a lane's failures in the thread,
 * a verdict in the team channel): the first caller claims, later ones skip. Owns those keys.
 */
export class Once {
  constructor(
    private readonly redis: Pick<Redis, 'set' | 'del'>,
    private readonly keys: Pick<Keys, 'failuresPosted' | 'verdictPosted'>,
  ) {}

  private key(kind: OnceKind, runId: string, what: string): string {
    return kind === 'failures' ? this.keys.failuresPosted(runId, what) : this.keys.verdictPosted(runId, what);
  }

  /** True for the first claim of (kind, run, what). */
  async claim(kind: OnceKind, runId: string, what: string): Promise<boolean> {
    return (await this.redis.set(this.key(kind, runId, what), '1', 'EX', ONCE_TTL_SECONDS, 'NX')) === 'OK';
  }

  /** Gives a claim back when the thing could not be done, so a retry may do it. */
  async release(kind: OnceKind, runId: string, what: string): Promise<void> {
    await this.redis.del(this.key(kind, runId, what));
  }
}
