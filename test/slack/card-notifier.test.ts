import nock from 'nock';
import { WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, waitReady } from '../../src/redis/connection.js';
import { Keys } from '../../src/redis/keys.js';
import { RunStore } from '../../src/runs/run-store.js';
import { newLane } from '../../src/runs/run.js';
import { CardNotifier } from '../../src/slack/card-notifier.js';
import { SlackPoster } from '../../src/slack/slack-poster.js';
import { silentLogger } from '../../src/logger.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { slackClientOptions } from '../../src/services.js';

const API = 'https://slack.test/api/';

describe('card notifier', () => {
  const prefix = uniquePrefix();
  const keys = new Keys(prefix);
  // Two "processes": separate connections and notifiers, one Redis.
  const redisA = createRedis(TEST_REDIS_URL, 'failFast');
  const redisB = createRedis(TEST_REDIS_URL, 'failFast');
  const client = new WebClient('xoxb-unit', slackClientOptions(API));
  const poster = new SlackPoster(client);
  const storeA = new RunStore(redisA, keys);
  const a = new CardNotifier({ redis: redisA, keys, runs: storeA, slack: poster, logger: silentLogger }, { minIntervalMs: 300 });
  const b = new CardNotifier({ redis: redisB, keys, runs: new RunStore(redisB, keys), slack: poster, logger: silentLogger }, { minIntervalMs: 300 });
  const updates: { at: number; text: string; blocks: string }[] = [];

  beforeAll(async () => {
    await Promise.all([waitReady(redisA), waitReady(redisB)]);
    nock.disableNetConnect();
    nock('https://slack.test')
      .persist()
      .post('/api/chat.update')
      .reply(200, (_uri, body) => {
        const params = new URLSearchParams(body as string);
        updates.push({ at: Date.now(), text: params.get('text') ?? '', blocks: params.get('blocks') ?? '' });
        return { ok: true, channel: params.get('channel'), ts: params.get('ts') };
      })
      .post('/api/chat.postMessage')
      .reply(200, (_uri, body) => ({ ok: true, channel: new URLSearchParams(body as string).get('channel'), ts: '111.222' }));
  });
  afterEach(() => {
    updates.length = 0;
  });
  afterAll(async () => {
    nock.cleanAll();
    nock.enableNetConnect();
    redisA.disconnect();
    redisB.disconnect();
    await deletePrefix(prefix);
  });

  async function makeRun(id: string) {
    const lane = newLane('build', ['one', 'two', 'three']);
    await storeA.create({ id, kind: 'build', ref: 'main', sha: 'a'.repeat(40), subject: 's', author: 'x', requestedBy: 'U1', channel: 'C1', createdAt: Date.now(), laneNames: ['build'] }, [lane]);
    return lane;
  }

  it('coalesces a burst of changes from two processes into few, spaced edits ending on the final state', async () => {
    const lane = await makeRun('b1');
    await a.post('b1', 'C1');
    updates.length = 0;
    for (let i = 0; i < 30; i++) {
      lane.steps[0]!.status = i < 29 ? 'running' : 'passed';
      lane.steps[0]!.name = `one #${i}`;
      await storeA.saveLane('b1', lane);
      (i % 2 === 0 ? a : b).refresh('b1');
    }
    await Promise.all([a.flush('b1'), b.flush('b1')]);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < updates.length; i++) expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(290);
    // The last edit Slack got carries the last state (step 0 passed, renamed #29).
    const last = updates.at(-1)!;
    expect(last.text).toContain('b1');
    expect(last.blocks).toContain('✅ one #29');
  });

  it('skips edits until the card is posted, then post() catches up with the latest state', async () => {
    const lane = await makeRun('b2');
    lane.steps.forEach((s) => (s.status = 'passed'));
    lane.startedAt = Date.now() - 5000;
    lane.finishedAt = Date.now();
    await storeA.saveLane('b2', lane);
    await a.flush('b2'); // no card yet: returns without sending
    expect(updates).toHaveLength(0);
    await b.post('b2', 'C1');
    expect(updates.length).toBeLessThanOrEqual(1);
  });

  it('a final state a lost worker had not delivered is delivered by the next one that starts', async () => {
    const lane = await makeRun('b3');
    await a.post('b3', 'C1');
    updates.length = 0;
    lane.steps.forEach((s) => (s.status = 'passed'));
    lane.startedAt = Date.now() - 5000;
    lane.finishedAt = Date.now();
    await storeA.saveLane('b3', lane);
    // What settle() writes before delivering, left behind by a worker killed right then.
    await redisA.zadd(keys.cardsSettling(), Date.now(), 'b3');
    expect(await b.resumeSettling()).toBe(1);
    await b.idle();
    expect(updates.at(-1)?.blocks).toContain('✅ three');
    expect(await redisA.zrange(keys.cardsSettling(), 0, -1)).toEqual([]);
  });
});
