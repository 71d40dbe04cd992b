import { WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createRedis, waitReady } from '../../src/redis/connection.js';
import { Keys } from '../../src/redis/keys.js';
import { slackClientOptions } from '../../src/services.js';
import { FakeSlack } from '../../src/slack/playground/fake-slack.js';
import { SlackPoster } from '../../src/slack/slack-poster.js';
import type { Notification } from '../../src/notifications/notification.js';
import { NotificationStore, runRefOf } from '../../src/notifications/notification-store.js';
import { NotificationMessage } from '../../src/slack/notification-message.js';
import { beforeNextRelease } from '../helpers/lock-release.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { ciNotification } from '../helpers/notifications.js';
import { messageText } from '../webhooks/webhook-client.js';

let seq = 0;

const run = (status: Notification['status'], extra: Partial<Notification> = {}): Notification => ciNotification(seq, status, extra);

describe('notification publisher (real Redis, fake Slack)', () => {
  const redis = createRedis(TEST_REDIS_URL, 'failFast');
  const prefix = uniquePrefix();
  const keys = new Keys(prefix);
  const slack = new FakeSlack();
  let store: NotificationStore;
  let publisher: NotificationMessage;

  beforeAll(async () => {
    await Promise.all([waitReady(redis), slack.start()]);
    const poster = new SlackPoster(new WebClient('xoxb-test', { ...slackClientOptions(slack.apiUrl), retryConfig: { retries: 0 } }));
    store = new NotificationStore(redis, keys);
    publisher = new NotificationMessage({ redis, keys, store, slack: poster, logger: silentLogger }, { maxRetryAfterMs: 2000 });
  });

  afterEach(() => {
    seq++;
  });

  afterAll(async () => {
    await slack.stop();
    redis.disconnect();
    await deletePrefix(prefix);
  });

  const callsFor = (n: Notification, method?: string) =>
    slack.calls.filter((c) => (!method || c.method === method) && messageText(c).includes(`${n.links.run}|`));

  it('posts once and ends on the newest state when many senders publish one run at once', async () => {
    for (let round = 0; round < 10; round++) {
      const states = [run('queued'), run('running'), run('failed')];
      await Promise.all(states.map(async (n) => (await store.record(n)) > 0 && publisher.publish(runRefOf(n), 'C0RACE')));
      expect(callsFor(states[0]!, 'chat.postMessage')).toHaveLength(1);
      const last = callsFor(states[0]!).at(-1)!;
      expect(messageText(last)).toContain('serverspec failed');
      seq++;
    }
  });

  it('sends a state recorded just before the sender releases the lock', async () => {
    const first = run('running');
    const late = run('failed');
    let lateAnswer: unknown = 'not run';
    // Another delivery records and publishes right after the sender's last check.
    const racyRedis = beforeNextRelease(redis, async () => {
      await store.record(late);
      lateAnswer = await racyPublisher.publish(runRefOf(late), 'C0RACE');
    });
    const poster = new SlackPoster(new WebClient('xoxb-test', { ...slackClientOptions(slack.apiUrl), retryConfig: { retries: 0 } }));
    const racyPublisher = new NotificationMessage({ redis: racyRedis, keys, store, slack: poster, logger: silentLogger });
    await store.record(first);
    await racyPublisher.publish(runRefOf(first), 'C0RACE');
    expect(lateAnswer).toBeUndefined(); // it found the lock taken and left the sending to the holder
    expect(callsFor(first, 'chat.postMessage')).toHaveLength(1);
    expect(messageText(callsFor(first).at(-1)!)).toContain('serverspec failed');
  });

  it('posts a new message when the old one was deleted', async () => {
    const first = run('running');
    await store.record(first);
    await publisher.publish(runRefOf(first), 'C0GONE');
    slack.failNext('chat.update', { status: 200, body: { ok: false, error: 'message_not_found' } });
    const second = run('passed');
    await store.record(second);
    await publisher.publish(runRefOf(second), 'C0GONE');
    expect(callsFor(first, 'chat.postMessage')).toHaveLength(2);
    expect(messageText(callsFor(first, 'chat.postMessage')[1]!)).toContain('serverspec passed');
    // The new message is the one edited from now on.
    const third = run('queued', { attempt: 2 });
    await store.record(third);
    await publisher.publish(runRefOf(third), 'C0GONE');
    expect(callsFor(first, 'chat.update').at(-1)!.body.channel).toBe('C0GONE');
  });

  it('waits out a short Retry-After, and leaves a failed send for the next event', async () => {
    const n = run('running');
    await store.record(n);
    slack.failNext('chat.postMessage', { status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    await publisher.publish(runRefOf(n), 'C0LIMIT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(slack.callsOf('chat.postMessage!429')).toHaveLength(1);
    expect(callsFor(n, 'chat.postMessage')).toHaveLength(1);

    slack.failNext('chat.update', { status: 500 });
    const failed = run('failed');
    await store.record(failed);
    await expect(publisher.publish(runRefOf(failed), 'C0LIMIT')).resolves.toBeUndefined();
    expect(await store.versions(runRefOf(n))).toEqual({ version: 2, sent: 1 });
    // The next event of the run sends everything pending, as an edit of the same message.
    const rerun = run('queued', { attempt: 2 });
    await store.record(rerun);
    await publisher.publish(runRefOf(rerun), 'C0LIMIT');
    expect(await store.versions(runRefOf(n))).toEqual({ version: 3, sent: 3 });
    expect(callsFor(n, 'chat.postMessage')).toHaveLength(1);
  });
});
