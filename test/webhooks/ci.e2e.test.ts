import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackCall } from '../../src/slack/playground/fake-slack.js';
import { Harness } from '../helpers/harness.js';
import { attachmentOf, ciFixture, messageText, sendCi, sleep, type Payload } from './webhook-client.js';

const SECRET = 'ci-webhook-secret';
let seq = 0;

/** A recorded generic event, moved to a run of its own. */
function ciEvent(name: 'running.json' | 'failed.json', extra: Payload = {}): Payload {
  const event = ciFixture(name);
  delete event.id;
  return { ...event, runId: `${process.pid}-${Date.now()}-${++seq}`, ...extra };
}

describe('POST /webhooks/ci', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({
      config: { repository: 'https://github.com/Capgemini/Apollo.git', channel: 'C0CI', build: { steps: [{ name: 'noop', run: 'true' }] } },
      webhooks: { github: 'gh-secret', ci: SECRET },
      worker: false,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  const send = (event: Payload | string, options: Partial<Parameters<typeof sendCi>[2]> = {}) => sendCi(h.baseUrl, event, { secret: SECRET, ...options });

  function callsFor(runId: string, method?: string): SlackCall[] {
    return h.slack.calls.filter((c) => (!method || c.method === method) && messageText(c).includes(`/${runId}/|`));
  }

  function withUrl(event: Payload): Payload {
    return { ...event, url: `https://jenkins.example.com/job/apollo-serverspec/${String(event.runId)}/` };
  }

  it('posts a run when it starts and edits it with the verdict and test counts', async () => {
    const running = withUrl(ciEvent('running.json'));
    const runId = String(running.runId);
    expect(await send(running)).toEqual({ status: 202, body: { ok: true, result: 'accepted', channel: 'C0CI' } });
    const posted = await h.slack.waitFor(() => callsFor(runId, 'chat.postMessage')[0], 15_000, 'the running message');
    expect(messageText(posted)).toContain('🔄 serverspec running · Capgemini/Apollo');

    const failed = withUrl(ciEvent('failed.json', { runId: running.runId }));
    expect((await send(failed)).status).toBe(202);
    const edited = await h.slack.waitFor(() => callsFor(runId, 'chat.update')[0], 15_000, 'the failed edit');
    const text = messageText(edited);
    expect(attachmentOf(edited).color).toBe('danger');
    expect(text).toContain('❌ serverspec failed · Capgemini/Apollo');
    expect(text).toContain('🧪 46 passed · *8 failed* · 2 skipped');
    expect(text).toContain('took 5m 13s');
    expect(text).toContain('<https://github.com/Capgemini/Apollo/commit/4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9|4d124eb>');
    expect(text).toContain(`|View run ${runId}>`);
    expect(text).toContain('cc ada-ops');
    await sleep(300);
    expect(callsFor(runId, 'chat.postMessage')).toHaveLength(1);
  });

  it('mentions the slackUser on failure and never otherwise; the author is never mentioned', async () => {
    const passing = withUrl(ciEvent('failed.json', { status: 'passed', author: 'U0MALLORY', slackUser: 'U0ALICE', branch: `b-${++seq}` }));
    await send(passing);
    const ok = await h.slack.waitFor(() => callsFor(String(passing.runId), 'chat.postMessage')[0], 15_000, 'the passed message');
    expect(JSON.stringify(ok.body)).not.toContain('<@');
    const failing = withUrl(ciEvent('failed.json', { author: 'U0MALLORY', slackUser: 'U0ALICE', branch: passing.branch }));
    await send(failing);
    const bad = await h.slack.waitFor(() => callsFor(String(failing.runId), 'chat.postMessage')[0], 15_000, 'the failed message');
    expect(messageText(bad)).toContain('cc <@U0ALICE>');
    expect(messageText(bad)).toContain('by U0MALLORY');
    expect(JSON.stringify(bad.body).match(/<@[^>]*>/g)).toEqual(['<@U0ALICE>']);
    expect(messageText(bad)).toContain('Broken by `4d124eb`');

    // The old contract (a Slack id in `author`) no longer pings: an author is whatever its writer chose.
    const byAuthor = withUrl(ciEvent('failed.json', { author: 'U0ALICE', branch: `b-${++seq}` }));
    await send(byAuthor);
    const plain = await h.slack.waitFor(() => callsFor(String(byAuthor.runId), 'chat.postMessage')[0], 15_000, 'the author-only failure');
    expect(messageText(plain)).toContain('cc U0ALICE');
    expect(JSON.stringify(plain.body)).not.toContain('<@');
  });

  describe('answers 400 naming the problem, and posts nothing', () => {
    const cases: [string, (e: Payload) => Payload | string, RegExp][] = [
      ['an unknown status', (e) => ({ ...e, status: 'done' }), /^status: .*"queued".*"canceled"/],
      ['a missing commit', ({ commit: _c, ...e }) => e, /^commit: required$/],
      ['a short commit', (e) => ({ ...e, commit: 'abc' }), /^commit: expected a commit SHA/],
      ['an unknown key', (e) => ({ ...e, colour: 'red' }), /^\(root\): unknown key 'colour'$/],
      ['negative test counts', (e) => ({ ...e, tests: { passed: 1, failed: -1 } }), /^tests\.failed: /],
      ['an extra test count', (e) => ({ ...e, tests: { passed: 1, failed: 0, flaky: 2 } }), /^tests: unknown key 'flaky'$/],
      ['a javascript: url', (e) => ({ ...e, url: 'javascript:alert(1)' }), /^url: /],
      ['a multi-line pipeline', (e) => ({ ...e, pipeline: 'build\n<!channel>' }), /^pipeline: must be one line/],
      ['a slackUser that is not a Slack user id', (e) => ({ ...e, slackUser: '<!here>' }), /^slackUser: expected a Slack user id/],
      ['a run id of the wrong type', (e) => ({ ...e, runId: { id: 1 } }), /^runId: /],
      ['a JSON array', () => '[]', /^\(root\): /],
    ];
    for (const [name, change, problem] of cases) {
      it(name, async () => {
        const event = ciEvent('failed.json');
        const res = await send(change(event));
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ ok: false, error: 'apollo_payload_invalid', message: 'invalid CI event' });
        expect(res.body.details).toEqual([expect.stringMatching(problem)]);
        await sleep(200);
        expect(callsFor(String(event.runId))).toEqual([]);
      });
    }

    it('an invalid X-Apollo-Delivery header', async () => {
      const res = await send(ciEvent('failed.json'), { delivery: 'has spaces in it' });
      expect(res).toMatchObject({ status: 400, body: { details: [expect.stringMatching(/^X-Apollo-Delivery: /)] } });
    });
  });

  it('refuses a missing or wrong signature with 401', async () => {
    const event = ciEvent('failed.json');
    for (const options of [{ secret: null }, { secret: 'wrong' }, { signature: `sha1=${'0'.repeat(40)}` }, { signature: 'sha256' }]) {
      const res = await send(event, options);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('apollo_signature_invalid');
    }
    await sleep(200);
    expect(callsFor(String(event.runId))).toEqual([]);
  });

  it('ignores a repeated delivery: by header, by body id, or the same body', async () => {
    const byHeader = withUrl(ciEvent('running.json'));
    expect((await send(byHeader, { delivery: `d-${byHeader.runId}` })).status).toBe(202);
    expect(await send({ ...byHeader, status: 'failed' }, { delivery: `d-${byHeader.runId}` })).toEqual({ status: 200, body: { ok: true, result: 'duplicate' } });

    const byId = withUrl(ciEvent('running.json'));
    byId.id = `id-${byId.runId}`;
    expect((await send(byId)).status).toBe(202);
    expect((await send({ ...byId, status: 'failed' })).body.result).toBe('duplicate');

    const same = withUrl(ciEvent('running.json'));
    expect((await send(same)).status).toBe(202);
    expect((await send(same)).body.result).toBe('duplicate');

    for (const event of [byHeader, byId, same]) {
      await h.slack.waitFor(() => callsFor(String(event.runId), 'chat.postMessage')[0], 15_000, 'the first post');
    }
    await sleep(300);
    for (const event of [byHeader, byId, same]) expect(callsFor(String(event.runId))).toHaveLength(1);
  });

  describe('README webhooks section', () => {
    const docs = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const blocks = [...docs.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));

    it('the curl line sends an event the bot accepts and posts', async () => {
      const sh = blocks.find((b) => b.lang === 'sh' && b.code.includes('/webhooks/ci'));
      expect(sh).toBeDefined();
      const runId = `docs-${Date.now()}`;
      const script = sh!.code.replaceAll('"runId":"8812"', `"runId":"${runId}"`).replaceAll('jenkins-8812-failed', `jenkins-${runId}`);
      const result = await execa('bash', ['-euo', 'pipefail', '-c', script], { env: { CI_WEBHOOK_SECRET: SECRET, APOLLO_URL: h.baseUrl }, reject: false });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, result: 'accepted', channel: 'C0CI' });
      const posted = await h.slack.waitFor(
        () => h.slack.callsOf('chat.postMessage').find((c) => messageText(c).includes(`View run ${runId}>`)),
        15_000,
        'the posted event',
      );
      expect(messageText(posted)).toContain('❌ serverspec failed');
      expect(messageText(posted)).toContain('🧪 46 passed · *8 failed* · 2 skipped');
    });

    it('the GitHub Actions step sends a signed event the bot accepts', async () => {
      const yaml = blocks.find((b) => b.lang === 'yaml' && b.code.includes('APOLLO_CI_SECRET'));
      expect(yaml).toBeDefined();
      const [step] = parseYaml(yaml!.code) as { env: Record<string, string>; run: string; if: string }[];
      expect(step!.if).toBe('always()');
      expect(step!.env).toEqual({
        APOLLO_WEBHOOK_URL: expect.stringMatching(/^https:\/\/.*\/webhooks\/ci$/),
        APOLLO_CI_SECRET: '${{ secrets.APOLLO_CI_SECRET }}',
        APOLLO_STATUS: '${{ job.status }}',
      });
      const runId = String(Date.now());
      const runner = {
        GITHUB_RUN_ID: runId,
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_WORKFLOW: 'CI',
        GITHUB_JOB: 'serverspec',
        GITHUB_REPOSITORY: 'Capgemini/Apollo',
        GITHUB_HEAD_REF: '',
        GITHUB_REF_NAME: 'master',
        GITHUB_SHA: '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9',
        GITHUB_ACTOR: 'ada-ops',
        GITHUB_SERVER_URL: 'https://github.com',
      };
      const run = (status: string) =>
        execa('bash', ['-eo', 'pipefail', '-c', step!.run], {
          env: { ...runner, APOLLO_WEBHOOK_URL: `${h.baseUrl}/webhooks/ci`, APOLLO_CI_SECRET: SECRET, APOLLO_STATUS: status },
          reject: false,
        });
      const started = await run('running');
      expect(started.stderr).toBe('');
      expect(JSON.parse(started.stdout)).toMatchObject({ ok: true, result: 'accepted' });
      const ended = await run('failure');
      expect(JSON.parse(ended.stdout)).toMatchObject({ ok: true, result: 'accepted' });
      const link = `https://github.com/Capgemini/Apollo/actions/runs/${runId}|`;
      const edited = await h.slack.waitFor(
        () => h.slack.callsOf('chat.update').find((c) => messageText(c).includes(link) && messageText(c).includes('failed')),
        15_000,
        'the step’s failed edit',
      );
      expect(messageText(edited)).toContain('CI / serverspec failed · Capgemini/Apollo');
      expect(h.slack.callsOf('chat.postMessage').filter((c) => messageText(c).includes(link))).toHaveLength(1);
    });
  });
});

describe('POST /webhooks/ci when Redis is gone', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({
      config: { repository: 'https://github.com/Capgemini/Apollo.git', channel: 'C0CI', build: { steps: [{ name: 'noop', run: 'true' }] } },
      webhooks: { ci: SECRET },
      worker: false,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('answers 503 at once and posts nothing; the process keeps serving', async () => {
    h.services.redis.disconnect();
    const started = Date.now();
    const res = await sendCi(h.baseUrl, ciEvent('failed.json'), { secret: SECRET });
    expect(res).toMatchObject({ status: 503, body: { ok: false, error: 'apollo_redis_unavailable' } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await sendCi(h.baseUrl, '{', { secret: SECRET })).status).toBe(400);
    await sleep(200);
    expect(h.slack.calls).toEqual([]);
  });
});
