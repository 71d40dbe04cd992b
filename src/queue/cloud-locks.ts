import { SCRIPTS } from '../redis/scripts.js';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/** Who holds a cloud and since when. */
export interface LockHolder {
  /** Run lock: the run id; sticky lock: absent. */
  runId?: string;
  owner: string;
  since: number;
  reason?: string;
}

export interface CloudLockState {
  run?: LockHolder;
  sticky?: LockHolder;
}

/** Run locks expire unless renewed, so a crashed worker never holds a cloud forever. */
export const RUN_LOCK_TTL_MS = 60_000;

/**
 * Two kinds of lock per cloud, both atomic in Redis:
 * - a run lock (`SET NX PX` with the run id as owner token) held while a deploy or destroy runs,
 *   renewed while running and released at the end, on failure and on cancel;
 * - a sticky lock a person sets with a reason (`/apollo lock`), blocking deploys by anyone else.
 */
export class CloudLocks {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async acquireRun(cloud: string, holder: Required<Pick<LockHolder, 'runId' | 'owner'>> & { since?: number }, ttlMs = RUN_LOCK_TTL_MS): Promise<{ ok: true } | { ok: false; holder: LockHolder }> {
    const value: LockHolder = { runId: holder.runId, owner: holder.owner, since: holder.since ?? Date.now() };
    const set = await this.redis.set(this.keys.cloudLock(cloud), JSON.stringify(value), 'PX', ttlMs, 'NX');
    if (set === 'OK') return { ok: true };
    const current = await this.runHolder(cloud);
    if (current?.runId === holder.runId) {
      await this.renewRun(cloud, holder.runId, ttlMs); // ours already (a retried job)
      return { ok: true };
    }
    return { ok: false, holder: current ?? value };
  }

  async renewRun(cloud: string, runId: string, ttlMs = RUN_LOCK_TTL_MS): Promise<boolean> {
    return (await this.redis.eval(SCRIPTS.renewCloudLock, 1, this.keys.cloudLock(cloud), runId, String(ttlMs))) === 1;
  }

  async releaseRun(cloud: string, runId: string): Promise<boolean> {
    return (await this.redis.eval(SCRIPTS.releaseCloudLock, 1, this.keys.cloudLock(cloud), runId)) === 1;
  }

  async runHolder(cloud: string): Promise<LockHolder | undefined> {
    const raw = await this.redis.get(this.keys.cloudLock(cloud));
    return raw ? (JSON.parse(raw) as LockHolder) : undefined;
  }

  /** Sets a sticky lock unless one exists; returns the lock that stands. */
  async lockSticky(cloud: string, owner: string, reason: string): Promise<{ ok: boolean; holder: LockHolder }> {
    const holder: LockHolder = { owner, reason, since: Date.now() };
    const ok = (await this.redis.set(this.keys.stickyLock(cloud), JSON.stringify(holder), 'NX')) === 'OK';
    return { ok, holder: ok ? holder : ((await this.sticky(cloud)) ?? holder) };
  }

  /**
   * Removes the sticky lock, but only the one the caller checked (`expected`): a lock replaced in
   * between is someone else's and stays. Returns whether it was removed.
   */
  async unlockSticky(cloud: string, expected: LockHolder): Promise<boolean> {
    return (await this.redis.eval(SCRIPTS.releaseIfToken, 1, this.keys.stickyLock(cloud), JSON.stringify(expected))) === 1;
  }

  async sticky(cloud: string): Promise<LockHolder | undefined> {
    const raw = await this.redis.get(this.keys.stickyLock(cloud));
    return raw ? (JSON.parse(raw) as LockHolder) : undefined;
  }

  async state(cloud: string): Promise<CloudLockState> {
    const [run, sticky] = await Promise.all([this.runHolder(cloud), this.sticky(cloud)]);
    return { ...(run ? { run } : {}), ...(sticky ? { sticky } : {}) };
  }

  /** How many of `clouds` hold a run lock and how many a sticky one now (the locks gauge). */
  async counts(clouds: readonly string[]): Promise<{ run: number; sticky: number }> {
    const states = await Promise.all(clouds.map((cloud) => this.state(cloud)));
    return { run: states.filter((s) => s.run).length, sticky: states.filter((s) => s.sticky).length };
  }

  /** Why `user` may not deploy to `cloud` now, or undefined when nothing stands in the way. */
  async blocker(cloud: string, user: string, exceptRunId?: string): Promise<{ kind: 'run' | 'sticky'; holder: LockHolder } | undefined> {
    const { run, sticky } = await this.state(cloud);
    if (sticky && sticky.owner !== user) return { kind: 'sticky', holder: sticky };
    if (run && run.runId !== exceptRunId) return { kind: 'run', holder: run };
    return undefined;
  }
}
