import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackCall } from '../../src/slack/playground/fake-slack.js';
import type { KnownBlock } from '@slack/types';
import { limitViolations } from '../../views/limits.js';
import { Harness } from '../helpers/harness.js';
import { attachmentOf, fixture, messageText, sendGitHub, sleep, type Payload } from './webhook-client.js';

const SECRET = 'gh-webhook-secret';
const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';

type Stage = 'requested' | 'in_progress' | 'completed.success' | 'completed.failure';

interface RunOptions {
  id: number;
  branch?: string;
  sha?: string;
  attempt?: number;
  repo?: string;
}

/** A recorded workflow_run payload, moved to another run (and branch, commit, repository). */
function workflowRun(stage: Stage, run: RunOptions): Payload {
  const payload = fixture(`workflow_run.${stage}.json`);
  const wr = payload.workflow_run;
  wr.id = run.id;
  wr.html_url = `https://github.com/Capgemini/Apollo/actions/runs/${run.id}`;
  if (run.branch) wr.head_branch = run.branch;
  if (run.sha) wr.head_sha = run.sha;
  if (run.attempt) wr.run_attempt = run.attempt;
  if (run.repo) {
    payload.repository.full_name = run.repo;
    payload.repository.html_url = `https://github.com/${run.repo}`;
  }
  return payload;
}

function newRunId(): number {
  return randomInt(1_000_000, 2 ** 47);
}

function fakeSha(): string {
  return Array.from({ length: 40 }, () => '0123456789abcdef'[randomInt(16)]).join('');
}

describe('POST /webhooks/github', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({
      config: {
        repository: 'https://github.com/Capgemini/Apollo.git',
        channel: 'C0DEFAULT',
        build: { steps: [{ name: 'noop', run: 'true' }] },
        notifications: {
          routes: [
            { channel: 'C0RELEASE', branches: ['release-1'] },
            { channel: 'C0CHECKS', events: ['check_suite'] },
            { channel: 'C0QUIET', repos: ['Capgemini/quiet'], onlyFailures: true },
          ],
        },
      },
      webhooks: { github: SECRET, ci: 'ci-secret' },
      worker: false,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  const send = (event: string, payload: Payload | string, options: Partial<Parameters<typeof sendGitHub>[3]> = {}) =>
    sendGitHub(h.baseUrl, event, payload, { secret: SECRET, ...options });

  /** Slack calls about one workflow run, recognised by its link. */
  function callsFor(runId: number, method?: string): SlackCall[] {
    return h.slack.calls.filter((c) => (!method || c.method === method) && messageText(c).includes(`/actions/runs/${runId}|`));
  }

  async function waitForText(runId: number, text: string, method = 'chat.update'): Promise<SlackCall> {
    return h.slack.waitFor(() => callsFor(runId, method).find((c) => messageText(c).includes(text)), 15_000, `${method} of run ${runId} with "${text}"`);
  }

  async function quiet(): Promise<void> {
    await sleep(400);
  }

  it('answers ping', async () => {
    const before = h.slack.calls.length;
    const res = await send('ping', fixture('ping.json'));
    expect(res).toEqual({ status: 200, body: { ok: true, result: 'pong', hook_id: 551234987 } });
    expect(h.slack.calls.length).toBe(before);
  });

  describe('refuses what GitHub did not sign', () => {
    const cases: [string, Partial<Parameters<typeof sendGitHub>[3]>][] = [
      ['no signature', { secret: null }],
      ['another secret', { secret: 'not-the-secret' }],
      ['a malformed header', { signature: 'sha256=zz' }],
      ['an empty digest', { signature: 'sha256=' }],
    ];
    for (const [name, options] of cases) {
      it(name, async () => {
        const id = newRunId();
        const res = await send('workflow_run', workflowRun('requested', { id }), options);
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ ok: false, error: 'apollo_signature_invalid' });
        await quiet();
        expect(callsFor(id)).toEqual([]);
      });
    }

    it('a body changed after signing', async () => {
      const id = newRunId();
      const signed = JSON.stringify(workflowRun('requested', { id }));
      const { hmacSha256Hex } = await import('../../src/slack/signing.js');
      const tampered = signed.replace('"ada-ops"', '"mallory"');
      const res = await send('workflow_run', tampered, { signature: `sha256=${hmacSha256Hex(SECRET, signed)}` });
      expect(res.status).toBe(401);
      await quiet();
      expect(callsFor(id)).toEqual([]);
    });
  });

  it('refuses bodies over 1 MiB with 413 and keeps serving', async () => {
    const payload = fixture('ping.json');
    payload.padding = 'x'.repeat(1024 * 1024);
    const res = await send('ping', payload);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ ok: false, error: 'apollo_payload_too_large' });
    expect((await send('ping', fixture('ping.json'))).status).toBe(200);
  });

  it('answers 400 with the problems by path for a signed but malformed payload, and posts nothing', async () => {
    const id = newRunId();
    const payload = workflowRun('completed.failure', { id });
    delete payload.workflow_run.head_sha;
    payload.workflow_run.run_number = 'five';
    const res = await send('workflow_run', payload);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, error: 'apollo_payload_invalid', message: 'invalid workflow_run payload' });
    expect(res.body.details).toEqual(['workflow_run.head_sha: required', expect.stringMatching(/^workflow_run\.run_number: /)]);

    const notJson = await send('workflow_run', '{"action": "completed", ');
    expect(notJson).toMatchObject({ status: 400, body: { error: 'apollo_payload_invalid', message: 'the body is not valid JSON' } });
    await quiet();
    expect(callsFor(id)).toEqual([]);
  });

  it('posts one message per run and edits it from queued to passed', async () => {
    const id = newRunId();
    const first = await send('workflow_run', workflowRun('requested', { id }));
    expect(first).toEqual({ status: 202, body: { ok: true, result: 'accepted', channel: 'C0DEFAULT' } });
    const posted = await waitForText(id, 'CI #562 queued', 'chat.postMessage');
    expect(posted.body.channel).toBe('C0DEFAULT');
    expect(attachmentOf(posted).color).toBe('warning');

    expect((await send('workflow_run', workflowRun('in_progress', { id }))).status).toBe(202);
    const running = await waitForText(id, 'CI #562 running');
    expect((await send('workflow_run', workflowRun('completed.success', { id }))).status).toBe(202);
    const passed = await waitForText(id, 'CI #562 passed');
    await quiet();

    expect(callsFor(id, 'chat.postMessage')).toHaveLength(1);
    expect(callsFor(id, 'chat.update')).toEqual([running, passed]);
    for (const update of [running, passed]) expect(update.body).toMatchObject({ channel: 'C0DEFAULT', ts: running.body.ts });
    expect(running.body.ts).toMatch(/^\d+\.\d+$/);

    const text = messageText(passed);
    expect(attachmentOf(passed).color).toBe('good');
    expect(text).toContain('✅ CI #562 passed · Capgemini/Apollo');
    expect(text).toContain(`<https://github.com/Capgemini/Apollo/commit/${SHA}|4d124eb>`);
    expect(text).toContain('<https://github.com/Capgemini/Apollo/tree/master|master>');
    expect(text).toContain('Add serverspec for marathon');
    expect(text).toContain('by ada-ops');
    expect(text).toContain('took 4m 12s');
    expect(text).toContain(`<https://github.com/Capgemini/Apollo/actions/runs/${id}|View run #562>`);
    expect(text).not.toContain('<@');
    for (const call of callsFor(id)) {
      expect(limitViolations([...(call.body.blocks as KnownBlock[]), ...(attachmentOf(call).blocks ?? [])])).toEqual([]);
    }
  });

  it('posts once when a run’s deliveries arrive together, and ends on the latest state', async () => {
    for (let round = 0; round < 5; round++) {
      const id = newRunId();
      const answers = await Promise.all([
        send('workflow_run', workflowRun('requested', { id })),
        send('workflow_run', workflowRun('in_progress', { id })),
        send('workflow_run', workflowRun('completed.failure', { id })),
        send('workflow_run', workflowRun('requested', { id })),
      ]);
      // The first of each state is accepted; a state that finds a later one recorded is stale.
      for (const answer of answers) expect([200, 202]).toContain(answer.status);
      expect(answers.filter((a) => a.status === 202).length).toBeGreaterThan(0);
      await h.slack.waitFor(() => callsFor(id).at(-1) && messageText(callsFor(id).at(-1)!).includes('CI #562 failed'), 15_000, `run ${id} failed`);
      await quiet();
      expect(callsFor(id, 'chat.postMessage')).toHaveLength(1);
      expect(messageText(callsFor(id).at(-1)!)).toContain('CI #562 failed');
    }
  });

  it('never moves a message back when an older state arrives late', async () => {
    const id = newRunId();
    await send('workflow_run', workflowRun('completed.success', { id }));
    await waitForText(id, 'CI #562 passed', 'chat.postMessage');
    const late = await send('workflow_run', workflowRun('in_progress', { id }));
    expect(late).toMatchObject({ status: 200, body: { result: 'stale' } });
    await quiet();
    expect(callsFor(id)).toHaveLength(1);

    // A re-run is a new attempt: the same message goes back to queued.
    await send('workflow_run', workflowRun('requested', { id, attempt: 2 }));
    const rerun = await waitForText(id, 'CI #562 queued');
    expect(messageText(rerun)).toContain('attempt 2');
    expect(callsFor(id, 'chat.postMessage')).toHaveLength(1);
  });

  it('ignores a repeated delivery', async () => {
    const id = newRunId();
    const delivery = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
    const payload = workflowRun('requested', { id });
    const first = await send('workflow_run', payload, { delivery });
    const again = await send('workflow_run', payload, { delivery });
    expect(first.status).toBe(202);
    expect(again).toEqual({ status: 200, body: { ok: true, result: 'duplicate' } });
    // Even a different body under the same delivery id is the same delivery.
    const changed = await send('workflow_run', workflowRun('completed.failure', { id }), { delivery });
    expect(changed.body.result).toBe('duplicate');
    await waitForText(id, 'queued', 'chat.postMessage');
    await quiet();
    expect(callsFor(id)).toHaveLength(1);
  });

  it('says when a branch breaks, stays broken, and is fixed, mentioning the author only on failure', async () => {
    const branch = `feature-${newRunId()}`;
    const shas = [fakeSha(), fakeSha(), fakeSha(), fakeSha()];
    const steps: [Stage, string | undefined][] = [
      ['completed.success', undefined],
      ['completed.failure', `Broken by \`${shas[1]!.slice(0, 7)}\``],
      ['completed.failure', 'Still failing'],
      ['completed.success', 'Fixed — back to normal'],
    ];
    for (const [i, [stage, news]] of steps.entries()) {
      const id = newRunId();
      const res = await send('workflow_run', workflowRun(stage, { id, branch, sha: shas[i] }));
      expect(res.status).toBe(202);
      const posted = await h.slack.waitFor(() => callsFor(id, 'chat.postMessage')[0], 15_000, `run ${i}`);
      const top = ((posted.body.blocks as KnownBlock[]) ?? []).map((b) => (b as { text: { text?: string } }).text.text).join('\n');
      if (news) expect(top).toContain(news);
      else expect(top).not.toMatch(/Broken|Still failing|Fixed/);
      if (stage === 'completed.failure') {
        expect(top).toContain('cc ada-ops');
        expect(attachmentOf(posted).color).toBe('danger');
      } else {
        expect(top).not.toContain('cc ');
      }
    }
  });

  it('does not compare a run with itself when its completion is delivered twice', async () => {
    const branch = `feature-${newRunId()}`;
    await send('workflow_run', workflowRun('completed.success', { id: newRunId(), branch }));
    const id = newRunId();
    const first = await send('workflow_run', workflowRun('completed.failure', { id, branch }));
    // The same body again is a duplicate delivery; the same state in a new body (a redelivery
    // with another field changed) is stale: neither is compared with the run itself.
    const again = await send('workflow_run', workflowRun('completed.failure', { id, branch }));
    const second = await send('workflow_run', { ...workflowRun('completed.failure', { id, branch }), redelivered: true });
    expect(first.body.transition).toBe('broken');
    expect(again.body.result).toBe('duplicate');
    expect(second.body.result).toBe('stale');
    // The next run compares with this one, not with a phantom second failure.
    const next = await send('workflow_run', workflowRun('completed.failure', { id: newRunId(), branch }));
    expect(next.body.transition).toBe('still_failing');
  });

  it('routes by branch, event and repository', async () => {
    const release = newRunId();
    expect((await send('workflow_run', workflowRun('requested', { id: release, branch: 'release-1' }))).body.channel).toBe('C0RELEASE');
    expect((await waitForText(release, 'queued', 'chat.postMessage')).body.channel).toBe('C0RELEASE');

    const suite = fixture('check_suite.completed.json');
    suite.check_suite.id = newRunId();
    const checks = await send('check_suite', suite);
    expect(checks).toMatchObject({ status: 202, body: { channel: 'C0CHECKS' } });
    const posted = await h.slack.waitFor(
      () => h.slack.callsOf('chat.postMessage').find((c) => messageText(c).includes(`check_suite_id=${suite.check_suite.id}|`)),
      15_000,
      'the check suite',
    );
    expect(posted.body.channel).toBe('C0CHECKS');
    expect(messageText(posted)).toContain('❌ CircleCI Checks failed · Capgemini/Apollo');
  });

  it('posts only failures and recoveries through an onlyFailures route', async () => {
    const repo = 'Capgemini/quiet';
    const branch = `main-${newRunId()}`;
    const passing = newRunId();
    for (const stage of ['requested', 'in_progress', 'completed.success'] as const) {
      const res = await send('workflow_run', workflowRun(stage, { id: passing, repo, branch }));
      expect(res).toMatchObject({ status: 200, body: { result: 'filtered' } });
    }
    const failing = newRunId();
    expect((await send('workflow_run', workflowRun('in_progress', { id: failing, repo, branch }))).body.result).toBe('filtered');
    expect((await send('workflow_run', workflowRun('completed.failure', { id: failing, repo, branch }))).body).toMatchObject({ result: 'accepted', channel: 'C0QUIET' });
    const failed = await waitForText(failing, 'failed', 'chat.postMessage');
    expect(failed.body.channel).toBe('C0QUIET');
    // Once a run is in the channel, its re-run is edited in place even while it is not a failure.
    await send('workflow_run', workflowRun('requested', { id: failing, repo, branch, attempt: 2 }));
    await waitForText(failing, 'queued');

    const fixing = newRunId();
    expect((await send('workflow_run', workflowRun('completed.success', { id: fixing, repo, branch }))).body).toMatchObject({ result: 'accepted', transition: 'fixed' });
    await waitForText(fixing, 'Fixed — back to normal', 'chat.postMessage');
    await quiet();
    expect(callsFor(passing)).toEqual([]);
  });

  it('accepts GitHub’s form-encoded content type', async () => {
    const id = newRunId();
    const form = new URLSearchParams({ payload: JSON.stringify(workflowRun('requested', { id })) }).toString();
    const res = await send('workflow_run', form, { contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(202);
    await waitForText(id, 'queued', 'chat.postMessage');
  });

  it('answers events and actions it does not use with 200 and does nothing', async () => {
    const before = h.slack.calls.length;
    expect(await send('issues', { action: 'opened' })).toMatchObject({ status: 200, body: { result: 'ignored' } });
    const suite = fixture('check_suite.completed.json');
    suite.check_suite.app.slug = 'github-actions';
    expect(await send('check_suite', suite)).toMatchObject({ status: 200, body: { result: 'ignored' } });
    const pr = fixture('pull_request.opened.json');
    pr.action = 'closed';
    expect(await send('pull_request', pr)).toMatchObject({ status: 200, body: { result: 'ignored' } });
    expect(await send('push', fixture('push.json'))).toMatchObject({ status: 200, body: { result: 'ignored', message: expect.stringMatching(/pushes is off/) } });
    await quiet();
    expect(h.slack.calls.length).toBe(before);
    expect(await h.services.buildQueue.count()).toBe(0);
  });
});

describe('POST /webhooks/* without secrets or a channel', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({
      config: { repository: 'https://github.com/Capgemini/Apollo.git', build: { steps: [{ name: 'noop', run: 'true' }] } },
      worker: false,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('refuses everything, signed or not, when no secret is configured', async () => {
    for (const secret of [null, 'anything', '']) {
      const ping = await sendGitHub(h.baseUrl, 'ping', fixture('ping.json'), { secret });
      expect(ping.status).toBe(401);
      expect(ping.body).toMatchObject({ ok: false, error: 'apollo_webhook_not_configured', message: expect.stringContaining('GITHUB_WEBHOOK_SECRET') });
    }
    const ci = await fetch(`${h.baseUrl}/webhooks/ci`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(ci.status).toBe(401);
    expect(await ci.json()).toMatchObject({ error: 'apollo_webhook_not_configured', message: expect.stringContaining('CI_WEBHOOK_SECRET') });
    expect(h.slack.calls).toEqual([]);
  });
});

describe('POST /webhooks/github with no channel for the event', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({
      config: {
        repository: 'https://github.com/Capgemini/Apollo.git',
        build: { steps: [{ name: 'noop', run: 'true' }] },
        notifications: { routes: [{ channel: 'C0RELEASE', branches: ['release-1'] }] },
      },
      webhooks: { github: SECRET },
      worker: false,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('accepts with 202 and posts nothing', async () => {
    const res = await sendGitHub(h.baseUrl, 'workflow_run', workflowRun('completed.failure', { id: newRunId() }), { secret: SECRET });
    expect(res).toMatchObject({ status: 202, body: { ok: true, result: 'no_channel' } });
    const pr = await sendGitHub(h.baseUrl, 'pull_request', fixture('pull_request.opened.json'), { secret: SECRET });
    expect(pr).toMatchObject({ status: 202, body: { ok: true, result: 'no_channel' } });
    await sleep(400);
    expect(h.slack.calls).toEqual([]);
    expect(await h.services.buildQueue.count()).toBe(0);
  });
});
