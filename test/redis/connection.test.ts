import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { answersRecently } from '../../src/redis/connection.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';

describe('answersRecently', () => {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  afterAll(() => redis.disconnect());

  it('asks Redis once for a burst of commands, and again once the answer is old', async () => {
    const ping = vi.spyOn(redis, 'ping');
    const burst = answersRecently(redis, 60_000);
    expect(await burst(1000)).toBe(true);
    expect(ping).toHaveBeenCalledTimes(1);
    expect(await Promise.all([burst(1000), burst(1000), burst(1000)])).toEqual([true, true, true]);
    expect(ping).toHaveBeenCalledTimes(1);
    const before = ping.mock.calls.length;

    const always = answersRecently(redis, 0);
    await always(1000);
    await always(1000);
    expect(ping.mock.calls.length).toBe(before + 2);
    ping.mockRestore();
  });

  it('never vouches for a connection that is not ready: a closed one is asked, and does not answer', async () => {
    const closing = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const check = answersRecently(closing, 60_000);
    await new Promise((resolve) => closing.once('ready', resolve));
    expect(await check(1000)).toBe(true);
    const ended = new Promise((resolve) => closing.once('end', resolve));
    closing.disconnect();
    await ended;
    expect(await check(200)).toBe(false);
  });
});
