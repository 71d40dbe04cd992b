import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

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

  private key(kind: 'failures' | 'verdict', runId: string, what: string): string {
    return kind === 'failures' ? this.keys.failuresPosted(runId, what) : this.keys.verdictPosted(runId, what);
  }

  /** True for the first claim of (kind, run, what). */
  async claim(kind: 'failures' | 'verdict', runId: string, what: string): Promise<boolean> {
    return (await this.redis.set(this.key(kind, runId, what), '1', 'EX', ONCE_TTL_SECONDS, 'NX')) === 'OK';
  }

  /** Gives a claim back when the thing could not be done, so a retry may do it. */
  async release(kind: 'failures' | 'verdict', runId: string, what: string): Promise<void> {
    await this.redis.del(this.key(kind, runId, what));
  }
}
