import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackCall } from '../../src/slack/playground/fake-slack.js';
import { hmacSha256Hex } from '../../src/slack/signing.js';
import { Harness } from '../helpers/harness.js';
import { ciFixture, fixture, messageText, sendCi, sendGitHub, sleep } from './webhook-client.js';

const GITHUB_SECRET = 'replay-github-secret';
const CI_SECRET = 'replay-ci-secret';

/**
 * Delivery ids travel in unsigned headers: whoever captured one signed body can send it again
 * under any id. The body's digest is what a replay cannot change.
 */
describe('a captured webhook delivery sent again under a new delivery id', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({
      config: { repository: 'https://github.com/Capgemini/Apollo.git', channel: 'C0REPLAY', build: { steps: [{ name: 'noop', run: 'true' }] } },
      webhooks: { github: GITHUB_SECRET, ci: CI_SECRET },
      worker: false,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  function callsMentioning(text: string): SlackCall[] {
    return h.slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && messageText(c).includes(text));
  }

  it('GitHub: the second id is a duplicate and nothing is posted twice', async () => {
    const runId = randomInt(1_000_000, 2 ** 47);
    const payload = fixture('workflow_run.completed.failure.json');
    payload.workflow_run.id = runId;
    payload.workflow_run.html_url = `https://github.com/Capgemini/Apollo/actions/runs/${runId}`;
    const raw = JSON.stringify(payload);
    const first = await sendGitHub(h.baseUrl, 'workflow_run', raw, { secret: GITHUB_SECRET, delivery: randomUUID() });
    expect(first).toMatchObject({ status: 202, body: { result: 'accepted' } });
    const again = await sendGitHub(h.baseUrl, 'workflow_run', raw, { secret: GITHUB_SECRET, delivery: randomUUID() });
    expect(again).toEqual({ status: 200, body: { ok: true, result: 'duplicate' } });
    // Nor does a replay without any id get through.
    const bare = await fetch(`${h.baseUrl}/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_run', 'x-hub-signature-256': `sha256=${hmacSha256Hex(GITHUB_SECRET, raw)}` },
      body: raw,
    });
    expect(await bare.json()).toEqual({ ok: true, result: 'duplicate' });
    await h.slack.waitFor(() => callsMentioning(`/actions/runs/${runId}|`)[0], 15_000, 'the post');
    await sleep(500);
    expect(callsMentioning(`/actions/runs/${runId}|`)).toHaveLength(1);
  });

  it('CI: the second id is a duplicate and nothing is posted twice', async () => {
    const event = ciFixture('failed.json');
    delete event.id;
    event.runId = `replay-${process.pid}-${Date.now()}`;
    event.url = `https://jenkins.example.com/job/apollo/${event.runId}/`;
    const raw = JSON.stringify(event);
    expect(await sendCi(h.baseUrl, raw, { secret: CI_SECRET, delivery: 'jenkins-1' })).toMatchObject({ status: 202, body: { result: 'accepted' } });
    expect(await sendCi(h.baseUrl, raw, { secret: CI_SECRET, delivery: 'mallory-2' })).toEqual({ status: 200, body: { ok: true, result: 'duplicate' } });
    expect(await sendCi(h.baseUrl, raw, { secret: CI_SECRET })).toEqual({ status: 200, body: { ok: true, result: 'duplicate' } });
    await h.slack.waitFor(() => callsMentioning(`/${event.runId}/|`)[0], 15_000, 'the post');
    await sleep(500);
    expect(callsMentioning(`/${event.runId}/|`)).toHaveLength(1);
  });

  it('a new body under a new id is a new delivery', async () => {
    const event = ciFixture('running.json');
    delete event.id;
    event.runId = `fresh-${process.pid}-${Date.now()}`;
    const running = JSON.stringify(event);
    const failed = JSON.stringify({ ...event, status: 'failed' });
    expect((await sendCi(h.baseUrl, running, { secret: CI_SECRET, delivery: `${event.runId}-a` })).status).toBe(202);
    expect((await sendCi(h.baseUrl, failed, { secret: CI_SECRET, delivery: `${event.runId}-b` })).status).toBe(202);
  });
});
