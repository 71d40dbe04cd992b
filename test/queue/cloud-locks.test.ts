import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/redis/keys.js';
import { CloudLocks, RUN_LOCK_TTL_MS } from '../../src/queue/cloud-locks.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

const prefix = uniquePrefix();
const keys = new Keys(prefix);
let redis: Redis;
let locks: CloudLocks;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  locks = new CloudLocks(redis, keys);
});
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

/** Each test locks clouds of its own. */
let n = 0;
const cloud = () => `cloud${++n}`;

describe('CloudLocks: run locks', () => {
  it('a free cloud is acquired; the holder is stored with its run, owner and start, and expires unless renewed', async () => {
    const c = cloud();
    expect(await locks.acquireRun(c, { runId: 'd1', owner: 'U0A', since: T0 })).toEqual({ ok: true });
    expect(await locks.runHolder(c)).toEqual({ runId: 'd1', owner: 'U0A', since: T0 });
    const pttl = await redis.pttl(keys.cloudLock(c));
    expect(pttl).toBeGreaterThan(RUN_LOCK_TTL_MS - 5_000);
    expect(pttl).toBeLessThanOrEqual(RUN_LOCK_TTL_MS);
  });

  it('another run is refused and told who holds the cloud', async () => {
    const c = cloud();
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0A', since: T0 });
    expect(await locks.acquireRun(c, { runId: 'd2', owner: 'U0B', since: T0 + 5 })).toEqual({ ok: false, holder: { runId: 'd1', owner: 'U0A', since: T0 } });
    expect((await locks.runHolder(c))?.runId).toBe('d1');
  });

  it('the same run acquiring again (a retried job) keeps its lock and renews it', async () => {
    const c = cloud();
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0A', since: T0 }, 2_000);
    expect(await locks.acquireRun(c, { runId: 'd1', owner: 'U0A', since: T0 + 99 }, 50_000)).toEqual({ ok: true });
    expect(await locks.runHolder(c)).toEqual({ runId: 'd1', owner: 'U0A', since: T0 });
    expect(await redis.pttl(keys.cloudLock(c))).toBeGreaterThan(2_000);
  });

  it('only the holder renews', async () => {
    const c = cloud();
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0A' }, 2_000);
    expect(await locks.renewRun(c, 'd2', 50_000)).toBe(false);
    expect(await redis.pttl(keys.cloudLock(c))).toBeLessThanOrEqual(2_000);
    expect(await locks.renewRun(c, 'd1', 50_000)).toBe(true);
    expect(await redis.pttl(keys.cloudLock(c))).toBeGreaterThan(2_000);
  });

  it('renewing a lock that is gone fails instead of taking the cloud', async () => {
    const c = cloud();
    expect(await locks.renewRun(c, 'd1')).toBe(false);
    expect(await locks.runHolder(c)).toBeUndefined();
  });

  it('only the holder releases; then the cloud is free for the next run', async () => {
    const c = cloud();
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0A' });
    expect(await locks.releaseRun(c, 'd2')).toBe(false);
    expect((await locks.runHolder(c))?.runId).toBe('d1');
    expect(await locks.releaseRun(c, 'd1')).toBe(true);
    expect(await locks.runHolder(c)).toBeUndefined();
    expect(await locks.releaseRun(c, 'd1')).toBe(false);
    expect(await locks.acquireRun(c, { runId: 'd2', owner: 'U0B' })).toEqual({ ok: true });
  });

  it('concurrent acquires from separate connections: exactly one run gets the cloud', async () => {
    const c = cloud();
    const clients = Array.from({ length: 6 }, () => new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }));
    try {
      const results = await Promise.all(clients.map((client, i) => new CloudLocks(client, keys).acquireRun(c, { runId: `d${i}`, owner: 'U0A' })));
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const holder = await locks.runHolder(c);
      for (const r of results) if (!r.ok) expect(r.holder.runId).toBe(holder?.runId);
    } finally {
      for (const client of clients) client.disconnect();
    }
  });
});

describe('CloudLocks: sticky locks', () => {
  it('the first lock stands; a second is refused with the lock that stands', async () => {
    const c = cloud();
    const first = await locks.lockSticky(c, 'U0A', 'demo');
    expect(first.ok).toBe(true);
    expect(first.holder).toMatchObject({ owner: 'U0A', reason: 'demo' });
    expect(await locks.lockSticky(c, 'U0B', 'mine')).toEqual({ ok: false, holder: first.holder });
    expect(await locks.sticky(c)).toEqual(first.holder);
  });

  it('a sticky lock does not expire', async () => {
    const c = cloud();
    await locks.lockSticky(c, 'U0A', 'demo');
    expect(await redis.pttl(keys.stickyLock(c))).toBe(-1);
  });

  it('unlockSticky removes only the lock the caller checked: one replaced meanwhile stays', async () => {
    const c = cloud();
    const { holder } = await locks.lockSticky(c, 'U0A', 'demo');
    const checked = (await locks.sticky(c))!;
    expect(checked).toEqual(holder);
    await redis.set(keys.stickyLock(c), JSON.stringify({ owner: 'U0B', reason: 'mine now', since: T0 }));
    expect(await locks.unlockSticky(c, checked)).toBe(false);
    expect((await locks.sticky(c))?.owner).toBe('U0B');
    expect(await locks.unlockSticky(c, (await locks.sticky(c))!)).toBe(true);
    expect(await locks.sticky(c)).toBeUndefined();
  });

  it('state shows both kinds of lock, and neither when free', async () => {
    const c = cloud();
    expect(await locks.state(c)).toEqual({});
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0A', since: T0 });
    const { holder } = await locks.lockSticky(c, 'U0B', 'freeze');
    expect(await locks.state(c)).toEqual({ run: { runId: 'd1', owner: 'U0A', since: T0 }, sticky: holder });
  });
});

describe('CloudLocks: blocker', () => {
  it('a free cloud blocks no one', async () => {
    expect(await locks.blocker(cloud(), 'U0A')).toBeUndefined();
  });

  it('a sticky lock blocks everyone but its owner', async () => {
    const c = cloud();
    const { holder } = await locks.lockSticky(c, 'U0OWNER', 'release freeze');
    expect(await locks.blocker(c, 'U0OTHER')).toEqual({ kind: 'sticky', holder });
    expect(await locks.blocker(c, 'U0OWNER')).toBeUndefined();
  });

  it('a run lock blocks everyone, its own requester too, except that run itself', async () => {
    const c = cloud();
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0A', since: T0 });
    const held = { kind: 'run', holder: { runId: 'd1', owner: 'U0A', since: T0 } };
    expect(await locks.blocker(c, 'U0B')).toEqual(held);
    expect(await locks.blocker(c, 'U0A')).toEqual(held);
    expect(await locks.blocker(c, 'U0A', 'd2')).toEqual(held);
    expect(await locks.blocker(c, 'U0A', 'd1')).toBeUndefined();
  });

  it('the sticky owner is still blocked by another run’s lock', async () => {
    const c = cloud();
    await locks.lockSticky(c, 'U0OWNER', 'mine');
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0OWNER', since: T0 });
    expect(await locks.blocker(c, 'U0OWNER', 'd2')).toEqual({ kind: 'run', holder: { runId: 'd1', owner: 'U0OWNER', since: T0 } });
    expect(await locks.blocker(c, 'U0OWNER', 'd1')).toBeUndefined();
  });

  it('with both locks, someone else is told about the sticky lock first', async () => {
    const c = cloud();
    const { holder } = await locks.lockSticky(c, 'U0OWNER', 'mine');
    await locks.acquireRun(c, { runId: 'd1', owner: 'U0OWNER' });
    expect(await locks.blocker(c, 'U0OTHER', 'd1')).toEqual({ kind: 'sticky', holder });
  });
});
