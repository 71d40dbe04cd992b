import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/redis/keys.js';
import { Once } from '../../src/runs/once.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const prefix = uniquePrefix();
const keys = new Keys(prefix);
let redis: Redis;
let once: Once;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  once = new Once(redis, keys);
});
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

describe('Once', () => {
  it('the first claim wins; every later one is refused', async () => {
    expect(await once.claim('failures', 'd1', 'aws')).toBe(true);
    expect(await once.claim('failures', 'd1', 'aws')).toBe(false);
    expect(await once.claim('failures', 'd1', 'aws')).toBe(false);
  });

  it('concurrent claims from separate connections: exactly one wins', async () => {
    const clients = Array.from({ length: 6 }, () => new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }));
    try {
      const results = await Promise.all(clients.map((c) => new Once(c, keys).claim('verdict', 'd2', 'run')));
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  it('kind, run and what each make a claim of their own', async () => {
    expect(await once.claim('failures', 'd3', 'aws')).toBe(true);
    expect(await once.claim('failures', 'd3', 'gcp')).toBe(true);
    expect(await once.claim('failures', 'd4', 'aws')).toBe(true);
    expect(await once.claim('verdict', 'd3', 'aws')).toBe(true);
    expect(await redis.exists(keys.failuresPosted('d3', 'aws'), keys.verdictPosted('d3', 'aws'))).toBe(2);
  });

  it('release gives the claim back, so the retry may claim it again', async () => {
    expect(await once.claim('verdict', 'd5', 'destroy')).toBe(true);
    await once.release('verdict', 'd5', 'destroy');
    expect(await once.claim('verdict', 'd5', 'destroy')).toBe(true);
    expect(await once.claim('verdict', 'd5', 'destroy')).toBe(false);
  });

  it('release of one claim leaves the others', async () => {
    await once.claim('failures', 'd6', 'aws');
    await once.claim('verdict', 'd6', 'aws');
    await once.release('failures', 'd6', 'aws');
    expect(await once.claim('verdict', 'd6', 'aws')).toBe(false);
  });

  it('a marker outlives any run record: kept 30 days', async () => {
    await once.claim('failures', 'd7', 'aws');
    const ttl = await redis.ttl(keys.failuresPosted('d7', 'aws'));
    expect(ttl).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600);
  });
});
