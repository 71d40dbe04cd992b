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
   *
   * Most requests are under the limit, and one script call admits them. Only a full set is looked
   * at member by member (finished runs, lost records and stale reservations leave it), and then the
   * reservation is tried once more: the cost of a request does not grow with the runs queued.
   */
  async admitRun(user: string, now = Date.now()): Promise<LimitReached | { reservation: string }> {
    const key = this.deps.keys.userActiveRuns(user);
    const reservation = `${RESERVATION}${randomUUID()}`;
    if (await this.reserve(key, reservation, now)) return { reservation };
    const active = await this.prune(key, now);
    if (await this.reserve(key, reservation, now)) return { reservation };
    return { kind: 'queued_runs', limit: this.settings.queuedRunsPerUser, runIds: active.filter((m) => !m.startsWith(RESERVATION)) };
  }

  private async reserve(key: string, reservation: string, now: number): Promise<boolean> {
    const limit = String(this.settings.queuedRunsPerUser);
    return (await this.deps.redis.eval(SCRIPTS.reserveSlot, 1, key, limit, reservation, String(now), String(ACTIVE_RUN_HORIZON_MS))) === 1;
  }

  /** Removes what no longer counts; returns the members that still do. */
  private async prune(key: string, now: number): Promise<string[]> {
    await this.deps.redis.zremrangebyscore(key, '-inf', now - ACTIVE_RUN_HORIZON_MS);
    const listed = await this.deps.redis.zrangebyscore(key, '-inf', '+inf', 'WITHSCORES');
    const members = Array.from({ length: listed.length / 2 }, (_, i) => ({ member: listed[2 * i]!, at: Number(listed[2 * i + 1]) }));
    const counts = await Promise.all(
      members.map(async ({ member, at }) => {
        // A reservation that never became a run (a crash mid-request) stops counting soon.
        if (member.startsWith(RESERVATION)) return at >= now - RESERVATION_MS;
        const run = await this.deps.runs.get(member);
        return Boolean(run && !isRunDone(run) && !expiredRequest(run, now));
      }),
    );
    const gone = members.filter((_, i) => !counts[i]).map(({ member }) => member);
    if (gone.length > 0) await this.deps.redis.zrem(key, ...gone);
    return members.filter((_, i) => counts[i]).map(({ member }) => member);
  }

  /** Gives a reservation back (the request failed before a run existed). */
  async releaseRun(user: string, reservation: string): Promise<void> {
    await this.deps.redis.zrem(this.deps.keys.userActiveRuns(user), reservation);
  }

  /** Counts a run against its requester until it is done (replacing its reservation, if any). */
  async trackRun(user: string, runId: string, reservation?: string, now = Date.now()): Promise<void> {
    const key = this.deps.keys.userActiveRuns(user);
    // One round trip: the run in, its reservation out, the set's expiry moved.
    const tx = this.deps.redis.multi().zadd(key, now, runId);
    if (reservation) tx.zrem(key, reservation);
    await tx.pexpire(key, ACTIVE_RUN_HORIZON_MS).exec();
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
