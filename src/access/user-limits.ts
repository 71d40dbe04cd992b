import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { approvalExpired, isRunDone, type Run } from '../runs/run.js';
import { ApolloError, ErrorCode } from '../errors.js';
import { randomUUID } from 'node:crypto';
import { SCRIPTS } from '../redis/scripts.js';

export interface UserLimitSettings {
  /** Builds and deploy requests one person may have unfinished at once. */
  queuedRunsPerUser: number;
  /** Lock and unlock commands one person may run per hour. */
  lockChangesPerHour: number;
}

/** A limit someone reached; views turn it into words. */
export type LimitReached = { kind: 'queued_runs'; limit: number; runIds: string[] } | { kind: 'lock_changes'; limit: number; retryAt: number };

const HOUR_MS = 3_600_000;
/** A reservation (a request between its admission and its run record) counts this long at most. */
const RESERVATION_MS = 120_000;
const RESERVATION = 'reserved:';
/** An unfinished run older than this no longer counts (a lost record must not lock anyone out). */
const ACTIVE_RUN_HORIZON_MS = 24 * HOUR_MS;

export interface UserLimitsDeps {
  redis: Pick<Redis, 'zrangebyscore' | 'zremrangebyscore' | 'zrem' | 'zadd' | 'pexpire' | 'incr' | 'multi' | 'eval'>;
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

  /**
   * Reserves one of `user`'s run slots, or says which limit they reached. The reservation is taken
   * atomically (concurrent requests cannot all pass the count), then becomes the run with
   * `trackRun`, or is given back with `releaseRun` when no run came of it.
   */
  async admitRun(user: string, now = Date.now()): Promise<LimitReached | { reservation: string }> {
    const key = this.deps.keys.userActiveRuns(user);
    await this.deps.redis.zremrangebyscore(key, '-inf', now - ACTIVE_RUN_HORIZON_MS);
    const active: string[] = [];
    const listed = await this.deps.redis.zrangebyscore(key, '-inf', '+inf', 'WITHSCORES');
    for (let i = 0; i < listed.length; i += 2) {
      const member = listed[i]!;
      if (member.startsWith(RESERVATION)) {
        // A reservation that never became a run (a crash mid-request) stops counting soon.
        if (Number(listed[i + 1]) < now - RESERVATION_MS) await this.deps.redis.zrem(key, member);
        else active.push(member);
        continue;
      }
      const run = await this.deps.runs.get(member);
      if (!run || isRunDone(run) || expiredRequest(run, now)) await this.deps.redis.zrem(key, member);
      else active.push(member);
    }
    const limit = this.settings.queuedRunsPerUser;
    const reservation = `${RESERVATION}${randomUUID()}`;
    const reserved = await this.deps.redis.eval(SCRIPTS.reserveSlot, 1, key, String(limit), reservation, String(now), String(ACTIVE_RUN_HORIZON_MS));
    if (reserved !== 1) return { kind: 'queued_runs', limit, runIds: active.filter((m) => !m.startsWith(RESERVATION)) };
    return { reservation };
  }

  /** Gives a reservation back (the request failed before a run existed). */
  async releaseRun(user: string, reservation: string): Promise<void> {
    await this.deps.redis.zrem(this.deps.keys.userActiveRuns(user), reservation);
  }

  /** Counts a run against its requester until it is done (replacing its reservation, if any). */
  async trackRun(user: string, runId: string, reservation?: string, now = Date.now()): Promise<void> {
    const key = this.deps.keys.userActiveRuns(user);
    await this.deps.redis.zadd(key, now, runId);
    if (reservation) await this.deps.redis.zrem(key, reservation);
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

/** A deploy request nobody decided before it expired is finished, even before its timer marks it. */
const expiredRequest = approvalExpired;

/** A person reached one of their limits; `limit` says which (views word it). */
export class LimitReachedError extends ApolloError {
  constructor(readonly limit: LimitReached) {
    super(ErrorCode.RateLimited, `limit reached: ${limit.kind}`);
  }
}
