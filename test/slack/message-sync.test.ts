import { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { createRedis, waitReady } from '../../src/redis/connection.js';
import { slackClientOptions } from '../../src/services.js';
import { MessageSync, type MessageSubject, type MessageSyncOptions } from '../../src/slack/message-sync.js';
import { FakeSlack } from '../../src/slack/playground/fake-slack.js';
import { SlackPoster, type MessageRef } from '../../src/slack/slack-poster.js';
import type { Message } from '../../views/limits.js';
import { beforeNextRelease } from '../helpers/lock-release.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

/** A subject whose state is one line of text in Redis, like a run's or a CI run's state. */
function textSubject(redis: Redis, prefix: string): MessageSubject<string> {
  const key = (id: string, part: string) => `${prefix}:subject:${id}:${part}`;
  return {
    keys: (id) => ({ version: key(id, 'ver'), sent: key(id, 'sent'), edited: key(id, 'edited'), lock: key(id, 'lock') }),
    ttlSeconds: 600,
    render: async (id) => {
      const text = await redis.get(key(id, 'state'));
      return text === null ? undefined : { text, blocks: [] };
    },
    messageRef: async (id) => {
      const raw = await redis.get(key(id, 'msg'));
      return raw ? (JSON.parse(raw) as MessageRef) : undefined;
    },
    setMessageRef: async (id, ref) => {
      await redis.set(key(id, 'msg'), JSON.stringify(ref));
    },
  };
}

/** Passes calls on to Slack, except an edit it was asked to hold, which waits until opened. */
class HoldingPoster {
  inFlight = 0;
  maxInFlight = 0;
  private hold: { held: () => void; opened: Promise<void> } | undefined;

  constructor(private readonly inner: SlackPoster) {}

  /** Holds the next edit: `held` resolves once it is waiting, `open` lets it through. */
  holdNextEdit(): { held: Promise<void>; open: () => void } {
    let open!: () => void;
    let held!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    this.hold = { held, opened };
    return { held: isHeld, open };
  }

  postMessage(channel: string, message: Message): Promise<MessageRef> {
    return this.inner.postMessage(channel, message);
  }

  async updateMessage(ref: MessageRef, message: Message): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const hold = this.hold;
      if (hold) {
        this.hold = undefined;
        hold.held();
        await hold.opened;
      }
      await this.inner.updateMessage(ref, message);
    } finally {
      this.inFlight--;
    }
  }
}

interface Setup {
  slack: FakeSlack;
  poster: HoldingPoster;
  /** Two senders on their own connections, as two processes would be. */
  a: MessageSync<string>;
  b: MessageSync<string>;
  redis: Redis;
  subject: MessageSubject<string>;
  /** Sets the subject's state (as a store would) and counts the change through `sync`. */
  change(sync: MessageSync<string>, id: string, text: string): Promise<number>;
  /** What Slack was sent for the subject, in order: `post` or `edit` and the text. */
  sent(): string[];
}

describe('message sync (real Redis, fake Slack)', () => {
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function setup(options: MessageSyncOptions = {}, wrapRedisA: (redis: Redis) => Redis = (r) => r): Promise<Setup> {
    const prefix = uniquePrefix();
    const slack = await new FakeSlack().start();
    const redisA = createRedis(TEST_REDIS_URL, 'failFast');
    const redisB = createRedis(TEST_REDIS_URL, 'failFast');
    await Promise.all([waitReady(redisA), waitReady(redisB)]);
    cleanups.push(async () => {
      await slack.stop();
      redisA.disconnect();
      redisB.disconnect();
      await deletePrefix(prefix);
    });
    const poster = new HoldingPoster(new SlackPoster(new WebClient('xoxb-test', { ...slackClientOptions(slack.apiUrl), retryConfig: { retries: 0 } })));
    const subject = textSubject(redisA, prefix);
    const a = new MessageSync({ redis: wrapRedisA(redisA), slack: poster, logger: silentLogger, subject }, options);
    const b = new MessageSync({ redis: redisB, slack: poster, logger: silentLogger, subject: textSubject(redisB, prefix) }, options);
    return {
      slack,
      poster,
      a,
      b,
      redis: redisA,
      subject,
      async change(sync, id, text) {
        await redisA.set(`${prefix}:subject:${id}:state`, text);
        return sync.changed(id);
      },
      sent: () =>
        slack.calls
          .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
          .map((c) => `${c.method === 'chat.postMessage' ? 'post' : 'edit'} ${String(c.body.text)}`),
    };
  }

  it('posts once and ends on the newest state when two processes race on one subject', async () => {
    const t = await setup({ minIntervalMs: 300 });
    await t.change(t.a, 's', 'v0');
    await Promise.all([t.a.publish('s', 'C1'), t.b.publish('s', 'C1'), t.a.flush('s', 'C1'), t.b.flush('s', 'C1')]);
    expect(t.sent()).toEqual(['post v0']);
    for (let i = 1; i <= 30; i++) {
      const sync = i % 2 === 0 ? t.a : t.b;
      await t.change(sync, 's', `v${i}`);
      if (i % 3 === 0) void sync.publish('s', 'C1');
      else sync.refresh('s');
    }
    await Promise.all([t.a.flush('s'), t.b.flush('s', 'C1')]);
    const sent = t.sent();
    expect(sent.filter((s) => s.startsWith('post'))).toHaveLength(1);
    expect(sent.at(-1)).toBe('edit v30');
    // Changes made while the holder waited out the interval were coalesced into few edits.
    expect(sent.length - 1).toBeLessThanOrEqual(4);
    expect(t.poster.maxInFlight).toBe(1);
    const edits = t.slack.callsOf('chat.update');
    for (let i = 1; i < edits.length; i++) expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(290);
  });

  it('coalesces the changes made during an edit into the next one, sent by the holder', async () => {
    const t = await setup({ minIntervalMs: 50 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    const edit = t.poster.holdNextEdit();
    await t.change(t.a, 's', 'v1');
    const holder = t.a.publish('s');
    await edit.held;
    // Others only count their change: the holder's lock turns them away.
    for (let i = 2; i <= 10; i++) {
      await t.change(t.b, 's', `v${i}`);
      await t.b.publish('s', 'C1');
    }
    expect(t.sent()).toEqual(['post v0']);
    edit.open();
    await holder;
    expect(t.sent()).toEqual(['post v0', 'edit v1', 'edit v10']);
  });

  it('sends a change counted just before the holder releases its lock', async () => {
    let other: Promise<void> | undefined;
    const t = await setup({ minIntervalMs: 50 }, (redis) =>
      beforeNextRelease(redis, async () => {
        await t.change(t.b, 's', 'late');
        other = t.b.publish('s', 'C1');
        await other;
      }),
    );
    await t.change(t.a, 's', 'first');
    await t.a.publish('s', 'C1');
    expect(other).toBeDefined();
    expect(t.sent()).toEqual(['post first', 'edit late']);
  });

  it('delivers the final state through rate limits and Slack errors', async () => {
    const t = await setup({ minIntervalMs: 50, maxRetryAfterMs: 2000 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    t.slack.failNext('chat.update', { status: 429, headers: { 'retry-after': '1' } });
    t.slack.failNext('chat.update', { status: 500 }, 2);
    await t.change(t.a, 's', 'final');
    // One attempt: a short Retry-After is waited out in place, the 500 after it ends the attempt.
    await t.a.publish('s');
    expect(t.slack.calls.map((c) => c.method).filter((m) => m.startsWith('chat.update'))).toEqual(['chat.update!429', 'chat.update!500']);
    await t.a.flush('s');
    expect(t.slack.calls.map((c) => c.method).filter((m) => m.startsWith('chat.update'))).toEqual(['chat.update!429', 'chat.update!500', 'chat.update!500', 'chat.update']);
    expect(t.sent().at(-1)).toBe('edit final');
  });

  it('takes over the lock of a holder that died, once it expires', async () => {
    const t = await setup({ minIntervalMs: 50 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    // A process that took the lock and was killed: nobody renews or releases it.
    await t.redis.set(t.subject.keys('s').lock, 'dead-holder', 'PX', 300);
    await t.change(t.b, 's', 'v1');
    await t.b.publish('s');
    expect(t.sent()).toEqual(['post v0']);
    await t.b.flush('s');
    expect(t.sent()).toEqual(['post v0', 'edit v1']);
    expect(await t.redis.get(t.subject.keys('s').lock)).toBeNull();
  });

  it('keeps its lock through a Slack call longer than the lock lasts', async () => {
    const t = await setup({ minIntervalMs: 50, lockMs: 150 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    const edit = t.poster.holdNextEdit();
    await t.change(t.a, 's', 'v1');
    const holder = t.a.publish('s');
    await edit.held;
    const token = await t.redis.get(t.subject.keys('s').lock);
    await new Promise((resolve) => setTimeout(resolve, 600)); // four lock lifetimes
    expect(await t.redis.get(t.subject.keys('s').lock)).toBe(token);
    await t.change(t.b, 's', 'v2');
    await t.b.publish('s');
    edit.open();
    await holder;
    expect(t.poster.maxInFlight).toBe(1);
    expect(t.sent()).toEqual(['post v0', 'edit v1', 'edit v2']);
  });

  it('retries a first post through Slack errors and posts it once; an answer that will not change is thrown', async () => {
    const t = await setup();
    await t.change(t.a, 's', 'v0');
    t.slack.failNext('chat.postMessage', { status: 500 }, 2);
    const posted = await t.a.post('s', 'C1');
    expect(posted).toEqual({ channel: 'C1', ts: expect.any(String) });
    expect(t.slack.calls.map((c) => c.method)).toEqual(['chat.postMessage!500', 'chat.postMessage!500', 'chat.postMessage']);

    await t.change(t.a, 'gone', 'x');
    t.slack.failNext('chat.postMessage', { status: 200, body: { ok: false, error: 'channel_not_found' } });
    await expect(t.a.post('gone', 'C0NONE')).rejects.toThrow(/channel_not_found/);
    expect(t.slack.callsOf('chat.postMessage!200')).toHaveLength(1);
    expect(await t.subject.messageRef('gone')).toBeUndefined();
  });

  it('sends nothing before the first post, which then shows the newest state', async () => {
    const t = await setup();
    await t.change(t.a, 's', 'v0');
    t.a.refresh('s');
    await t.a.publish('s');
    await t.b.flush('s');
    await t.change(t.b, 's', 'v1');
    await t.b.flush('s');
    expect(t.sent()).toEqual([]);
    await t.a.post('s', 'C1');
    expect(t.sent()).toEqual(['post v1']);
    // A subject that is gone has nothing to show.
    expect(await t.a.post('never-was', 'C1')).toBeUndefined();
    expect(t.sent()).toEqual(['post v1']);
  });

  it('replaces a deleted message where it may post, and leaves it alone otherwise', async () => {
    const t = await setup({ minIntervalMs: 50 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    const first = await t.subject.messageRef('s');
    t.slack.failNext('chat.update', { status: 200, body: { ok: false, error: 'message_not_found' } });
    await t.change(t.a, 's', 'v1');
    await t.a.publish('s');
    expect(t.sent()).toEqual(['post v0']);
    expect(await t.subject.messageRef('s')).toEqual(first);

    t.slack.failNext('chat.update', { status: 200, body: { ok: false, error: 'message_not_found' } });
    await t.a.publish('s', 'C2');
    expect(t.sent()).toEqual(['post v0', 'post v1']);
    expect((await t.subject.messageRef('s'))?.channel).toBe('C2');
  });

  it('sends the changes of one moment as one edit, and a flush does not wait out the debounce', async () => {
    // A debounce far longer than the test: only the flush can end it.
    const t = await setup({ minIntervalMs: 50, debounceMs: 60_000 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    await t.change(t.a, 's', 'v1');
    const holder = t.a.publish('s');
    for (let i = 2; i <= 5; i++) {
      await t.change(t.b, 's', `v${i}`);
      await t.b.publish('s');
    }
    expect(t.sent()).toEqual(['post v0']);
    await t.a.flush('s');
    await holder;
    expect(t.sent()).toEqual(['post v0', 'edit v5']);
  });

  it('never edits a message into what it already shows', async () => {
    const t = await setup({ minIntervalMs: 50, debounceMs: 0 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    await t.change(t.a, 's', 'v0'); // counted, but the message would not change
    await t.a.flush('s');
    await t.change(t.b, 's', 'v1');
    await t.b.flush('s');
    await t.change(t.a, 's', 'v1');
    await t.a.flush('s');
    expect(t.sent()).toEqual(['post v0', 'edit v1']);
  });

  it('settles in the background: the caller goes on before the final edit, idle() waits for it', async () => {
    const t = await setup({ minIntervalMs: 50 });
    await t.change(t.a, 's', 'v0');
    await t.a.post('s', 'C1');
    const edit = t.poster.holdNextEdit();
    await t.change(t.a, 's', 'final');
    const delivery = t.a.settle('s');
    await edit.held;
    let idle = false;
    const idling = t.a.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    expect(t.sent()).toEqual(['post v0']);
    edit.open();
    await idling;
    expect(await delivery).toBe(true);
    expect(t.sent()).toEqual(['post v0', 'edit final']);
  });
});
