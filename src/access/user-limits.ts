import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { isRunDone, type Run } from '../runs/run.js';
import { ApolloError, ErrorCode } from '../errors.js';

export interface UserLimitSettings {
  /** Builds and deploy requests one person may have unfinished at once. */
  queuedRunsPerUser: number;
  /** Lock and unlock commands one person may run per hour. */
  lockChangesPerHour: number;
}

/** A limit someone reached; views turn it into words. */
export type LimitReached = { kind: 'queued_runs'; limit: number; runIds: string[] } | { kind: 'lock_changes'; limit: number; retryAt: number };

const HOUR_MS = 3_600_000;
/** An unfinished run older than this no longer counts (a lost record must not lock anyone out). */
const ACTIVE_RUN_HORIZON_MS = 24 * HOUR_MS;

export interface UserLimitsDeps {
  redis: Pick<Redis, 'zrangebyscore' | 'zremrangebyscore' | 'zrem' | 'zadd' | 'pexpire' | 'incr' | 'multi'>;
  keys: Pick<Keys, 'userActiveRuns' | 'userRate'>;
  runs: { get(runId: string): Promise<Run | undefined> };
}

/**
 * Per-person limits, so one person (or one stolen account) cannot fill the workers' queues or the
 * audit stream. People are counted by Slack user id; webhook-started runs are not counted.
 */
export class UserLimits {
  constructor(
    private readonly deps: UserLimitsDeps,
    private readonly settings: UserLimitSettings,
  ) {}

  /** Whether `user` may ask for one more run now; prunes finished runs from their list as it counts. */
  async admitRun(user: string, now = Date.now()): Promise<LimitReached | undefined> {
    const key = this.deps.keys.userActiveRuns(user);
    await this.deps.redis.zremrangebyscore(key, '-inf', now - ACTIVE_RUN_HORIZON_MS);
    const active: string[] = [];
    for (const runId of await this.deps.redis.zrangebyscore(key, '-inf', '+inf')) {
      const run = await this.deps.runs.get(runId);
      if (!run || isRunDone(run) || expiredRequest(run, now)) await this.deps.redis.zrem(key, runId);
      else active.push(runId);
    }
    const limit = this.settings.queuedRunsPerUser;
    return active.length >= limit ? { kind: 'queued_runs', limit, runIds: active } : undefined;
  }

  /** Counts a run against its requester until it is done. */
  async trackRun(user: string, runId: string, now = Date.now()): Promise<void> {
    const key = this.deps.keys.userActiveRuns(user);
    await this.deps.redis.zadd(key, now, runId);
    await this.deps.redis.pexpire(key, ACTIVE_RUN_HORIZON_MS);
  }

  /** Counts one lock change; refuses once the hour's allowance is used. */
  async admitLockChange(user: string, now = Date.now()): Promise<LimitReached | undefined> {
    const window = Math.floor(now / HOUR_MS);
    const key = this.deps.keys.userRate(user, 'lock', window);
    const [[, count]] = (await this.deps.redis.multi().incr(key).pexpire(key, HOUR_MS).exec()) as [[Error | null, number], unknown];
    const limit = this.settings.lockChangesPerHour;
    return count > limit ? { kind: 'lock_changes', limit, retryAt: (window + 1) * HOUR_MS } : undefined;
  }
}

/** A deploy request nobody decided before it expired is finished, even before anyone clicks. */
function expiredRequest(run: Run, now: number): boolean {
  return run.kind === 'deploy' && run.decision === undefined && run.approvalExpiresAt !== undefined && run.approvalExpiresAt < now;
}

/** A person reached one of their limits; `limit` says which (views word it). */
export class LimitReachedError extends ApolloError {
  constructor(readonly limit: LimitReached) {
    super(ErrorCode.RateLimited, `limit reached: ${limit.kind}`);
  }
}
