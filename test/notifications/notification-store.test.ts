import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/notifications/notification.js';
import { NotificationStore, runRefOf } from '../../src/notifications/notification-store.js';
import { createRedis, waitReady } from '../../src/redis/connection.js';
import { Keys } from '../../src/redis/keys.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { ciNotification } from '../helpers/notifications.js';

let seq = 0;

const run = (status: Notification['status'], extra: Partial<Notification> = {}): Notification => ciNotification(seq, status, extra);

describe('notification store (real Redis)', () => {
  const redis = createRedis(TEST_REDIS_URL, 'failFast');
  const prefix = uniquePrefix();
  const keys = new Keys(prefix);
  let store: NotificationStore;

  beforeAll(async () => {
    await waitReady(redis);
    store = new NotificationStore(redis, keys);
  });

  afterEach(() => {
    seq++;
  });

  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('records only states later than the one it has; a new attempt starts over', async () => {
    expect(await store.record(run('running'))).toBe(1);
    expect(await store.record(run('queued'))).toBe(0);
    expect(await store.record(run('running'))).toBe(0);
    expect(await store.record(run('failed'))).toBe(2);
    expect(await store.record(run('passed'))).toBe(0);
    expect((await store.get(runRefOf(run('queued'))))?.status).toBe('failed');
    expect(await store.record(run('queued', { attempt: 2 }))).toBe(3);
    expect(await store.get(runRefOf(run('queued')))).toMatchObject({ status: 'queued', attempt: 2 });
    // Repository names are case-insensitive on GitHub: one run, whatever the casing.
    expect(await store.record(run('passed', { attempt: 2, repo: 'capgemini/APOLLO' }))).toBe(4);
  });
});
