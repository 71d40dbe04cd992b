import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/redis/keys.js';
import { RunStore } from '../../src/runs/run-store.js';
import type { Decision, Lane, RunMeta } from '../../src/runs/run.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

const prefix = uniquePrefix();
const keys = new Keys(prefix);
let redis: Redis;
let store: RunStore;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  store = new RunStore(redis, keys);
});
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

/** Ids are unique per test so each test has its own run hash. */
let n = 0;
function meta(overrides: Partial<RunMeta> = {}): RunMeta {
  n += 1;
  return {
    id: `d${1000 + n}`,
    kind: 'deploy',
    ref: 'main',
    sha: SHA,
    subject: 'Make it so',
    author: 'Jean-Luc',
    requestedBy: 'U0REQUESTER',
    channel: 'C0DEPLOYS',
    createdAt: T0 + n,
    laneNames: ['aws', 'gcp'],
    ...overrides,
  };
}
const queued = (name: string, steps = ['apply']): Lane => ({ name, steps: steps.map((s) => ({ name: s, status: 'queued' })) });
const approved: Decision = { state: 'approved', by: 'U0APPROVER', at: T0 };

describe('RunStore', () => {
  it('create then get: the meta and its lanes, in the meta’s lane order, with nothing decided', async () => {
    const m = meta({ laneNames: ['gcp', 'aws'] });
    await store.create(m, [queued('aws'), queued('gcp')]);
    expect(await store.get(m.id)).toEqual({ ...m, lanes: [queued('gcp'), queued('aws')] });
  });

  it('a run record expires after 30 days', async () => {
    const m = meta();
    await store.create(m, [queued('aws')]);
    const ttl = await redis.ttl(keys.run(m.id));
    expect(ttl).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600);
  });

  it('an unknown run is undefined', async () => {
    expect(await store.get('d404')).toBeUndefined();
  });

  it('saveLane writes one lane of one phase and leaves the others as they were', async () => {
    const m = meta();
    await store.create(m, [queued('aws'), queued('gcp')]);
    const running: Lane = { name: 'aws', startedAt: T0, steps: [{ name: 'apply', status: 'running', startedAt: T0 }] };
    await store.saveLane(m.id, running);
    expect((await store.get(m.id))?.lanes).toEqual([running, queued('gcp')]);

    // A destroy lane is its own field: the deploy lane of the same cloud is untouched.
    await store.startDestroy(m.id, { by: 'U0APPROVER', at: T0, laneNames: ['aws'] }, [queued('aws', ['destroy'])]);
    const destroying: Lane = { name: 'aws', startedAt: T0 + 5, steps: [{ name: 'destroy', status: 'running', startedAt: T0 + 5 }] };
    await store.saveLane(m.id, destroying, 'destroy');
    const run = await store.get(m.id);
    expect(run?.lanes).toEqual([running, queued('gcp')]);
    expect(run?.destroyLanes).toEqual([destroying]);
  });

  it('saveLane after a save of its own writes only what changed: the step that moved, not the others', async () => {
    const m = meta({ laneNames: ['aws'] });
    await store.create(m, [queued('aws', ['plan', 'apply', 'test'])]);
    const started: Lane = { name: 'aws', startedAt: T0, steps: [{ name: 'plan', status: 'running', startedAt: T0 }, { name: 'apply', status: 'queued' }, { name: 'test', status: 'queued' }] };
    await store.saveLane(m.id, started);
    expect((await store.get(m.id))?.lanes).toEqual([started]);

    // A marker in the stored third step: a save that rewrote it would wipe the marker out.
    const third = `${'lane:aws'}#2`;
    const marked = { name: 'test', status: 'queued', reason: 'untouched' };
    await redis.hset(keys.run(m.id), third, JSON.stringify(marked));
    const planned: Lane = { ...started, steps: [{ ...started.steps[0]!, status: 'passed', finishedAt: T0 + 5 }, started.steps[1]!, started.steps[2]!] };
    await store.saveLane(m.id, planned, 'run', started);
    expect((await store.get(m.id))?.lanes[0]?.steps).toEqual([planned.steps[0], planned.steps[1], marked]);
    expect(await redis.hget(keys.run(m.id), third)).toBe(JSON.stringify(marked));

    // Nothing changed: nothing is written.
    await redis.hset(keys.run(m.id), 'lane:aws', JSON.stringify({ name: 'aws', startedAt: 1, stepFields: 3 }));
    await store.saveLane(m.id, planned, 'run', planned);
    expect((await store.get(m.id))?.lanes[0]?.startedAt).toBe(1);

    // The final state is written whole, whatever was stored meanwhile.
    const finished: Lane = { ...planned, finishedAt: T0 + 9, steps: planned.steps.map((step) => ({ ...step, status: 'passed' as const })) };
    await store.saveLane(m.id, finished, 'run', planned);
    expect((await store.get(m.id))?.lanes).toEqual([finished]);
  });

  it('destroy lanes are read only once a destroy started', async () => {
    const m = meta();
    await store.create(m, [queued('aws')]);
    await store.saveLane(m.id, queued('aws', ['destroy']), 'destroy');
    const run = await store.get(m.id);
    expect(run?.destroy).toBeUndefined();
    expect(run?.destroyLanes).toBeUndefined();
  });

  it('decide: the first decision stands, and a later one is told which it is', async () => {
    const m = meta();
    await store.create(m, [queued('aws')]);
    expect(await store.decide(m.id, approved)).toEqual({ won: true, decision: approved });
    expect(await store.decide(m.id, { state: 'rejected', by: 'U0LATE', at: T0 + 1 })).toEqual({ won: false, decision: approved });
    expect((await store.get(m.id))?.decision).toEqual(approved);
  });

  it('decide under concurrent clicks from separate connections: exactly one wins, and all agree on it', async () => {
    const m = meta();
    await store.create(m, [queued('aws')]);
    const clients = Array.from({ length: 8 }, () => new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }));
    try {
      const results = await Promise.all(
        clients.map((client, i) => new RunStore(client, keys).decide(m.id, { state: i % 2 === 0 ? 'approved' : 'rejected', by: `U0CLICK${i}`, at: T0 + i })),
      );
      const winners = results.filter((r) => r.won);
      expect(winners).toHaveLength(1);
      const standing = winners[0]!.decision;
      expect(results.map((r) => r.decision)).toEqual(results.map(() => standing));
      expect((await store.get(m.id))?.decision).toEqual(standing);
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('undoDecision lets the next click decide', async () => {
    const m = meta();
    await store.create(m, [queued('aws')]);
    await store.decide(m.id, approved);
    await store.undoDecision(m.id);
    expect((await store.get(m.id))?.decision).toBeUndefined();
    const again: Decision = { state: 'approved', by: 'U0OTHER', at: T0 + 9 };
    expect(await store.decide(m.id, again)).toEqual({ won: true, decision: again });
  });

  it('startDestroy starts once: a second start neither wins nor overwrites the request or its lanes', async () => {
    const m = meta();
    await store.create(m, [queued('aws'), queued('gcp')]);
    const first = { by: 'U0FIRST', at: T0, laneNames: ['aws'] };
    expect(await store.startDestroy(m.id, first, [queued('aws', ['destroy'])])).toBe(true);
    expect(await store.startDestroy(m.id, { by: 'U0SECOND', at: T0 + 1, laneNames: ['aws', 'gcp'] }, [queued('aws', ['other']), queued('gcp', ['other'])])).toBe(false);
    const run = await store.get(m.id);
    expect(run?.destroy).toEqual(first);
    expect(run?.destroyLanes).toEqual([queued('aws', ['destroy'])]);
  });

  it('undoDestroy removes the request and its lanes, so Destroy works again', async () => {
    const m = meta();
    await store.create(m, [queued('aws'), queued('gcp')]);
    await store.startDestroy(m.id, { by: 'U0FIRST', at: T0, laneNames: ['aws', 'gcp'] }, [queued('aws', ['destroy']), queued('gcp', ['destroy'])]);
    await store.undoDestroy(m.id, ['aws', 'gcp']);
    expect(await redis.hkeys(keys.run(m.id))).toEqual(expect.not.arrayContaining(['destroy', 'destroy:aws', 'destroy:gcp']));
    const run = await store.get(m.id);
    expect(run?.destroy).toBeUndefined();
    expect(run?.lanes).toEqual([queued('aws'), queued('gcp')]);
    const retry = { by: 'U0RETRY', at: T0 + 2, laneNames: ['gcp'] };
    expect(await store.startDestroy(m.id, retry, [queued('gcp', ['destroy'])])).toBe(true);
    expect((await store.get(m.id))?.destroyLanes).toEqual([queued('gcp', ['destroy'])]);
  });

  it('markCancelled: once per phase, and the two phases are independent', async () => {
    const m = meta();
    await store.create(m, [queued('aws')]);
    expect(await store.markCancelled(m.id, 'U0FIRST')).toBe(true);
    expect(await store.markCancelled(m.id, 'U0SECOND', 'run')).toBe(false);
    expect(await store.cancelledBy(m.id, 'run')).toBe('U0FIRST');
    expect(await store.cancelledBy(m.id, 'destroy')).toBeUndefined();

    expect(await store.markCancelled(m.id, 'U0DESTROYCANCEL', 'destroy')).toBe(true);
    expect(await store.markCancelled(m.id, 'U0AGAIN', 'destroy')).toBe(false);
    const run = await store.get(m.id);
    expect(run?.cancelledBy).toBe('U0FIRST');
    expect(run?.destroyCancelledBy).toBe('U0DESTROYCANCEL');
  });

  it('setMessage records the card in a field of its own, without rewriting the meta; on a run that does not exist it creates nothing', async () => {
    const m = meta();
    await store.create(m, [queued('aws')]);
    const metaBefore = await redis.hget(keys.run(m.id), 'meta');
    await store.setMessage(m.id, { channel: 'C0DEPLOYS', ts: '1.000200' });
    expect((await store.get(m.id))?.message).toEqual({ channel: 'C0DEPLOYS', ts: '1.000200' });
    expect(await store.message(m.id)).toEqual({ channel: 'C0DEPLOYS', ts: '1.000200' });
    expect(await redis.hget(keys.run(m.id), 'meta')).toBe(metaBefore);
    await store.setMessage('d404', { channel: 'C0DEPLOYS', ts: '1.2' });
    expect(await redis.exists(keys.run('d404'))).toBe(0);
    expect(await store.message('d404')).toBeUndefined();
  });

  it('reads the card of a run recorded by an older version, which kept it in the meta', async () => {
    const m = meta({ message: { channel: 'C0OLD', ts: '9.000100' } });
    await store.create(m, [queued('aws')]);
    expect(await store.message(m.id)).toEqual({ channel: 'C0OLD', ts: '9.000100' });
    expect((await store.get(m.id))?.message).toEqual({ channel: 'C0OLD', ts: '9.000100' });
    const fresh = meta();
    await store.create(fresh, [queued('aws')]);
    expect(await store.message(fresh.id)).toBeUndefined();
  });

  it('nextId numbers builds and deploys from one sequence', async () => {
    const first = await store.nextId('build');
    const second = await store.nextId('deploy');
    expect(first).toMatch(/^b\d+$/);
    expect(second).toBe(`d${Number(first.slice(1)) + 1}`);
  });

  it('recentIds is newest first, at most `limit`; delete removes a run from it', async () => {
    const local = new RunStore(redis, new Keys(`${prefix}-recent`));
    for (const [id, at] of [
      ['b1', T0 + 10],
      ['d2', T0 + 30],
      ['b3', T0 + 20],
    ] as const) {
      await local.create(meta({ id, createdAt: at }), []);
    }
    expect(await local.recentIds(10)).toEqual(['d2', 'b3', 'b1']);
    expect(await local.recentIds(2)).toEqual(['d2', 'b3']);
    await local.delete('b3');
    expect(await local.recentIds(10)).toEqual(['d2', 'b1']);
    expect(await local.get('b3')).toBeUndefined();
  });
});

describe('RunStore: the lifetime of a kept deploy', () => {
  it('moves the end only from the end it has and before any destroy; an automatic destroy starts only at the end it was scheduled for', async () => {
    const run = meta();
    await store.create(run, []);
    await store.setKeepUntil(run.id, 1000);
    expect(await store.moveKeep(run.id, 999, 5000)).toBe(false);
    expect(await store.moveKeep(run.id, 1000, 5000)).toBe(true);
    expect((await store.get(run.id))!.keepUntil).toBe(5000);
    // The timer of the old end fires after the Extend: it starts nothing.
    expect(await store.startDestroy(run.id, { by: 'apollo', at: 1, laneNames: [] }, [], 1000)).toBe(false);
    expect((await store.get(run.id))!.destroy).toBeUndefined();
    expect(await store.startDestroy(run.id, { by: 'apollo', at: 2, laneNames: [] }, [], 5000)).toBe(true);
    expect(await store.moveKeep(run.id, 5000, 9000)).toBe(false);
    // The record outlives the end it was moved to.
    expect(await redis.pttl(keys.run(run.id))).toBeGreaterThan(29 * 86_400_000);
  });
});
