import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/redis/keys.js';
import { UserLimits, type LimitReached } from '../../src/access/user-limits.js';
import type { Run } from '../../src/runs/run.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const HOUR = 3_600_000;
/** An hour boundary, so the lock-change window is the hour that starts here. */
const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

const prefix = uniquePrefix();
const keys = new Keys(prefix);
let redis: Redis;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

function run(id: string, overrides: Partial<Run> = {}): Run {
  return {
    id,
    kind: 'build',
    ref: 'main',
    sha: SHA,
    subject: 's',
    author: 'a',
    requestedBy: 'U0X',
    channel: 'C0X',
    createdAt: T0,
    laneNames: ['build'],
    lanes: [{ name: 'build', steps: [{ name: 'make', status: 'queued' }] }],
    ...overrides,
  };
}

const done = (id: string) => run(id, { lanes: [{ name: 'build', startedAt: T0, finishedAt: T0 + 1, steps: [{ name: 'make', status: 'passed' }] }] });

/** Limits over real Redis, with the run records given in memory (UserLimits only reads them). */
function limits(runs: Run[] = [], settings = { queuedRunsPerUser: 2, lockChangesPerHour: 3 }, client: Redis = redis) {
  const byId = new Map(runs.map((r) => [r.id, r]));
  return new UserLimits({ redis: client, keys, runs: { get: async (id) => byId.get(id) } }, settings);
}

let n = 0;
const person = () => `U0PERSON${++n}`;
const reservationOf = (answer: LimitReached | { reservation: string }) => ('reservation' in answer ? answer.reservation : undefined);
const members = (user: string) => redis.zrange(keys.userActiveRuns(user), 0, -1);

describe('UserLimits: runs', () => {
  it('admits up to the limit, then names the person’s unfinished runs', async () => {
    const user = person();
    const l = limits([run('b1'), run('d2', { kind: 'deploy', approvalExpiresAt: T0 + HOUR })]);
    await l.trackRun(user, 'b1', undefined, T0);
    await l.trackRun(user, 'd2', undefined, T0);
    expect(await l.admitRun(user, T0 + 1)).toEqual({ kind: 'queued_runs', limit: 2, runIds: ['b1', 'd2'] });
  });

  it('10 concurrent requests from separate connections with limit 2: exactly 2 are reserved', async () => {
    const user = person();
    const clients = Array.from({ length: 10 }, () => new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }));
    try {
      const answers = await Promise.all(clients.map((c) => limits([], undefined, c).admitRun(user, T0)));
      const reserved = answers.map(reservationOf).filter((r): r is string => r !== undefined);
      expect(reserved).toHaveLength(2);
      expect(answers.filter((a) => 'kind' in a)).toEqual(Array.from({ length: 8 }, () => ({ kind: 'queued_runs', limit: 2, runIds: [] })));
      expect((await members(user)).sort()).toEqual([...reserved].sort());
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  it('under the limit, a request reads no run record: its cost does not grow with the runs queued', async () => {
    const user = person();
    let reads = 0;
    const l = new UserLimits({ redis, keys, runs: { get: async (id) => (reads++, run(id)) } }, { queuedRunsPerUser: 60, lockChangesPerHour: 3 });
    for (let i = 0; i < 50; i++) await l.trackRun(user, `b${100 + i}`, undefined, T0);
    expect(reservationOf(await l.admitRun(user, T0 + 1))).toMatch(/^reserved:/);
    expect(reads).toBe(0);
    // At the limit, every member is looked at once, and the answer names the unfinished runs.
    for (let i = 0; i < 9; i++) await l.trackRun(user, `b${200 + i}`, undefined, T0);
    const refused = await l.admitRun(user, T0 + 2);
    expect(reads).toBe(59);
    expect(refused).toMatchObject({ kind: 'queued_runs', limit: 60 });
    expect('runIds' in refused ? refused.runIds : []).toHaveLength(59);
  });

  it('trackRun turns the reservation into the run; releaseRun gives an unused one back', async () => {
    const user = person();
    const l = limits([run('b5')]);
    const first = reservationOf(await l.admitRun(user, T0))!;
    const second = reservationOf(await l.admitRun(user, T0))!;
    await l.trackRun(user, 'b5', first, T0);
    expect((await members(user)).sort()).toEqual(['b5', second].sort());
    await l.releaseRun(user, second);
    expect(await members(user)).toEqual(['b5']);
    expect(reservationOf(await l.admitRun(user, T0 + 1))).toMatch(/^reserved:/);
  });

  it('finished runs are pruned and no longer count', async () => {
    const user = person();
    const l = limits([done('b1'), done('b2')]);
    await l.trackRun(user, 'b1', undefined, T0);
    await l.trackRun(user, 'b2', undefined, T0);
    expect(reservationOf(await l.admitRun(user, T0 + 10))).toMatch(/^reserved:/);
    expect(await members(user)).not.toContain('b1');
    expect(await members(user)).not.toContain('b2');
  });

  it('runs whose record is gone, and decided deploys that were never approved, are pruned', async () => {
    const user = person();
    const rejected = run('d3', { kind: 'deploy', decision: { state: 'rejected', by: 'U0AP', at: T0 } });
    const l = limits([rejected]);
    await l.trackRun(user, 'b404', undefined, T0);
    await l.trackRun(user, 'd3', undefined, T0);
    expect(reservationOf(await l.admitRun(user, T0 + 10))).toBeDefined();
    expect((await members(user)).filter((m) => !m.startsWith('reserved:'))).toEqual([]);
  });

  it('a deploy request that expired undecided is pruned; one still open counts', async () => {
    const user = person();
    const expired = run('d4', { kind: 'deploy', approvalExpiresAt: T0 + 1000 });
    const open = run('d5', { kind: 'deploy', approvalExpiresAt: T0 + HOUR });
    const l = limits([expired, open], { queuedRunsPerUser: 1, lockChangesPerHour: 3 });
    await l.trackRun(user, 'd4', undefined, T0);
    expect(await l.admitRun(user, T0 + 500)).toEqual({ kind: 'queued_runs', limit: 1, runIds: ['d4'] });
    expect(reservationOf(await l.admitRun(user, T0 + 2000))).toBeDefined();
    expect(await members(user)).not.toContain('d4');

    const other = person();
    await l.trackRun(other, 'd5', undefined, T0);
    expect(await l.admitRun(other, T0 + 2000)).toEqual({ kind: 'queued_runs', limit: 1, runIds: ['d5'] });
  });

  it('an approved deploy counts until its lanes are done', async () => {
    const user = person();
    const approved = run('d6', { kind: 'deploy', laneNames: ['aws'], decision: { state: 'approved', by: 'U0AP', at: T0 }, lanes: [{ name: 'aws', startedAt: T0, steps: [{ name: 'apply', status: 'running' }] }] });
    const l = limits([approved], { queuedRunsPerUser: 1, lockChangesPerHour: 3 });
    await l.trackRun(user, 'd6', undefined, T0);
    expect(await l.admitRun(user, T0 + 10)).toEqual({ kind: 'queued_runs', limit: 1, runIds: ['d6'] });
  });

  it('a reservation that never became a run stops counting after two minutes', async () => {
    const user = person();
    const l = limits([], { queuedRunsPerUser: 1, lockChangesPerHour: 3 });
    const stale = reservationOf(await l.admitRun(user, T0))!;
    expect(await l.admitRun(user, T0 + 119_000)).toEqual({ kind: 'queued_runs', limit: 1, runIds: [] });
    const fresh = reservationOf(await l.admitRun(user, T0 + 121_000));
    expect(fresh).toBeDefined();
    expect(await members(user)).toEqual([fresh]);
    expect(await members(user)).not.toContain(stale);
  });

  it('an unfinished run older than a day no longer counts', async () => {
    const user = person();
    const l = limits([run('b9')], { queuedRunsPerUser: 1, lockChangesPerHour: 3 });
    await l.trackRun(user, 'b9', undefined, T0);
    expect(await l.admitRun(user, T0 + 23 * HOUR)).toMatchObject({ kind: 'queued_runs' });
    expect(reservationOf(await l.admitRun(user, T0 + 25 * HOUR))).toBeDefined();
  });

  it('people are counted apart', async () => {
    const a = person();
    const b = person();
    const l = limits([], { queuedRunsPerUser: 1, lockChangesPerHour: 3 });
    expect(reservationOf(await l.admitRun(a, T0))).toBeDefined();
    expect(reservationOf(await l.admitRun(b, T0))).toBeDefined();
    expect(await l.admitRun(a, T0)).toMatchObject({ kind: 'queued_runs' });
  });
});

describe('UserLimits: lock changes', () => {
  it('allows the hour’s allowance, then refuses until the next hour starts', async () => {
    const user = person();
    const l = limits();
    expect(await l.admitLockChange(user, T0)).toBeUndefined();
    expect(await l.admitLockChange(user, T0 + 10 * 60_000)).toBeUndefined();
    expect(await l.admitLockChange(user, T0 + 20 * 60_000)).toBeUndefined();
    expect(await l.admitLockChange(user, T0 + 30 * 60_000)).toEqual({ kind: 'lock_changes', limit: 3, retryAt: T0 + HOUR });
    expect(await l.admitLockChange(user, T0 + HOUR - 1)).toEqual({ kind: 'lock_changes', limit: 3, retryAt: T0 + HOUR });
    expect(await l.admitLockChange(user, T0 + HOUR)).toBeUndefined();
  });

  it('the window’s counter expires with the hour', async () => {
    const user = person();
    await limits().admitLockChange(user, T0);
    const pttl = await redis.pttl(keys.userRate(user, 'lock', Math.floor(T0 / HOUR)));
    expect(pttl).toBeGreaterThan(HOUR - 60_000);
    expect(pttl).toBeLessThanOrEqual(HOUR);
  });

  it('people are counted apart', async () => {
    const a = person();
    const b = person();
    const l = limits(undefined, { queuedRunsPerUser: 2, lockChangesPerHour: 1 });
    expect(await l.admitLockChange(a, T0)).toBeUndefined();
    expect(await l.admitLockChange(a, T0)).toMatchObject({ kind: 'lock_changes' });
    expect(await l.admitLockChange(b, T0)).toBeUndefined();
  });
});
