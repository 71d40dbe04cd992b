import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/notifications/notification.js';
import { TransitionTracker } from '../../src/notifications/transitions.js';
import { createRedis, waitReady } from '../../src/redis/connection.js';
import { Keys } from '../../src/redis/keys.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { ciNotification } from '../helpers/notifications.js';

let seq = 0;

const run = (status: Notification['status'], extra: Partial<Notification> = {}): Notification => ciNotification(seq, status, extra);

describe('transition tracker (real Redis)', () => {
  const redis = createRedis(TEST_REDIS_URL, 'failFast');
  const prefix = uniquePrefix();
  const keys = new Keys(prefix);
  let transitions: TransitionTracker;

  beforeAll(async () => {
    await waitReady(redis);
    transitions = new TransitionTracker(redis, keys);
  });

  afterEach(() => {
    seq++;
  });

  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('remembers the last verdict per pipeline and branch, and answers a repeated run the same', async () => {
    const verdicts: [string, Notification['status'], string | undefined][] = [
      ['a', 'passed', undefined],
      ['b', 'failed', 'broken'],
      ['b', 'failed', 'broken'],
      ['c', 'canceled', undefined],
      ['d', 'failed', 'still_failing'],
      ['e', 'passed', 'fixed'],
      ['f', 'passed', undefined],
    ];
    for (const [id, status, expected] of verdicts) {
      expect([id, await transitions.observe(run(status, { runId: id, branch: `t${seq}` }))]).toEqual([id, expected]);
    }
    // Another branch, another pipeline: their own history.
    expect(await transitions.observe(run('failed', { runId: 'x', branch: `other${seq}` }))).toBeUndefined();
    expect(await transitions.observe(run('failed', { runId: 'y', branch: `t${seq}`, pipeline: 'lint' }))).toBeUndefined();
    // A re-run attempt of a failed run that passes fixes the branch.
    const branch = `rerun${seq}`;
    await transitions.observe(run('failed', { runId: 'z', branch }));
    expect(await transitions.observe(run('passed', { runId: 'z', attempt: 2, branch }))).toBe('fixed');
  });
});
