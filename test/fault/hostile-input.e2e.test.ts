import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, SIGNING_SECRET } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { recordFault } from '../helpers/reliability.js';
import { hmacSha256Hex, signedSlackHeaders } from '../../src/slack/signing.js';
import { ACTION } from '../../views/actions.js';

const GITHUB_SECRET = 'hostile-github-secret';
const CI_SECRET = 'hostile-ci-secret';

/** Deterministic pseudo-random generator, so a failure names an input that can be replayed. */
function rng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const NASTY = ['$(reboot)', '`id`', '; rm -rf /', '| nc evil 1', '&& curl x', '../../../etc/passwd', '\u0000', '\u202e', '💥', '%00', '--force', '-rf', '"', "'", '\\', '\n', '\t', '{{7*7}}', '<script>', '<!channel>', 'x'.repeat(10_000), 'HEAD~1', 'main^{tree}', 'a..b', '@{-1}', 'refs/heads/../../x', 'ＡＷＳ'];
const SUBCOMMANDS = ['build', 'deploy', 'deploy aws', 'deploy all', 'deploy aws,digitalocean', 'lock', 'lock aws', 'unlock', 'cancel', 'history', 'status', 'locks', 'help', 'bogus'];

function slashInputs(): string[] {
  const random = rng(7);
  const inputs = new Set<string>();
  for (const sub of SUBCOMMANDS) {
    for (let i = 0; i < 6; i++) inputs.add(`${sub} ${NASTY[Math.floor(random() * NASTY.length)]}`);
  }
  for (let i = 0; i < 15; i++) {
    const bytes = Array.from({ length: 1 + Math.floor(random() * 60) }, () => String.fromCharCode(1 + Math.floor(random() * 0x2fff)));
    inputs.add(bytes.join(''));
  }
  inputs.add('x'.repeat(100_000));
  inputs.add('deploy aws 4d124eb --tests');
  inputs.add('deploy aws 4d124eb --tests ;rm');
  inputs.add('cancel d99999999999999999999');
  inputs.add('cancel b0; drop');
  return [...inputs];
}

function payloads(ts: string, runId: string): { name: string; payload: unknown }[] {
  const base = {
    type: 'block_actions',
    user: { id: 'U0HOSTILE' },
    channel: { id: 'C0APOLLO' },
    message: { ts },
    container: { type: 'message', message_ts: ts, channel_id: 'C0APOLLO' },
    team: { id: 'T0APOLLO' },
    api_app_id: 'A0APOLLO',
    token: 'legacy',
    trigger_id: '1.2.3',
    actions: [{ action_id: ACTION.approve, block_id: 'b', value: runId, type: 'button', action_ts: '1' }],
  };
  const action = (patch: Record<string, unknown>) => ({ ...base, actions: [{ ...base.actions[0], ...patch }] });
  const cases: { name: string; payload: unknown }[] = [
    { name: 'no actions', payload: { ...base, actions: [] } },
    { name: 'two actions', payload: { ...base, actions: [base.actions[0], base.actions[0]] } },
    { name: 'no user', payload: { ...base, user: undefined } },
    { name: 'user not an id', payload: { ...base, user: { id: 'robert"); DROP' } } },
    { name: 'user id a number', payload: { ...base, user: { id: 42 } } },
    { name: 'value missing', payload: action({ value: undefined }) },
    { name: 'value a number', payload: action({ value: 12 }) },
    { name: 'value an object', payload: action({ value: { runId } }) },
    { name: 'value huge', payload: action({ value: 'd'.repeat(100_000) }) },
    { name: 'value not a run id', payload: action({ value: '$(reboot)' }) },
    { name: 'run that does not exist', payload: action({ value: 'd987654321' }) },
    { name: 'build id on a deploy button', payload: action({ value: 'b1' }) },
    { name: 'stale message ts', payload: { ...base, message: { ts: '1.000001' }, container: { ...base.container, message_ts: '1.000001' }, actions: [{ ...base.actions[0], value: 'd1' }] } },
    { name: 'unknown action id', payload: action({ action_id: 'deploy_everything' }) },
    { name: 'action id huge', payload: action({ action_id: 'a'.repeat(5000) }) },
    { name: 'logs value malformed', payload: action({ action_id: ACTION.logs, value: `${runId}|../../etc|run` }) },
    { name: 'logs value wrong phase', payload: action({ action_id: ACTION.logs, value: `${runId}|aws|everything` }) },
    { name: 'destroy someone else’s run', payload: action({ action_id: ACTION.destroy, value: runId }) },
    { name: 'cancel a finished run', payload: action({ action_id: ACTION.cancel, value: 'd1' }) },
    { name: 'redeploy unknown run', payload: action({ action_id: ACTION.redeploy, value: 'd55555' }) },
    { name: 'extra fields', payload: { ...base, extra: { nested: [1, 2, 3] }, actions: [{ ...base.actions[0], surprise: true }] } },
    { name: 'type view_submission', payload: { ...base, type: 'view_submission', view: { id: 'V1' } } },
    { name: 'type unknown', payload: { ...base, type: 'mystery' } },
    { name: 'payload is an array', payload: [base] },
    { name: 'payload is a string', payload: 'hello' },
    { name: 'payload is null', payload: null },
  ];
  return cases;
}

describe('hostile input', () => {
  let h: Harness;
  let sha: string;
  const tally = { tried: 0, handled: 0, crashes: 0 };
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    const repo = await TestRepo.create({ README: 'x\n' }, 'Hostile');
    sha = await repo.head();
    h = await Harness.start({
      config: {
        repository: repo.path,
        channel: 'C0APOLLO',
        access: { approvers: ['U0APPROVER'] },
        build: { steps: [{ name: 'ok', run: 'true' }] },
        clouds: { aws: {}, digitalocean: {} },
        deploy: { steps: [{ name: 'apply', run: 'true' }] },
        destroy: { steps: [{ name: 'destroy', run: 'true' }] },
      },
      webhooks: { github: GITHUB_SECRET, ci: CI_SECRET },
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    await h?.close();
  });

  async function totalJobs(): Promise<number> {
    const counts = [await h.services.buildQueue.getJobCounts(), await h.services.deployFlow.cloudQueue.getJobCounts()];
    return counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
  }

  it('slash commands: every malformed text gets a private, clear answer and queues nothing', async () => {
    const inputs = slashInputs();
    expect(inputs.length).toBeGreaterThanOrEqual(90);
    const jobs = await totalJobs();
    const posts = h.slack.callsOf('chat.postMessage').length;
    for (const text of inputs) {
      tally.tried++;
      const res = await h.command(text, 'U0HOSTILE');
      expect(res.status, JSON.stringify(text.slice(0, 80))).toBe(200);
      let answer = '';
      if (res.body) {
        const body = JSON.parse(res.body) as { response_type?: string; text?: string };
        expect(body.response_type).toBe('ephemeral');
        answer = body.text ?? '';
      } else {
        answer = await h.replyTo(res.responseUrl);
      }
      expect(answer.length, JSON.stringify(text.slice(0, 80))).toBeGreaterThan(10);
      expect(answer).not.toMatch(/\n\s+at |TypeError|undefined is not/);
      tally.handled++;
    }
    expect(await totalJobs()).toBe(jobs);
    expect(h.slack.callsOf('chat.postMessage').length).toBe(posts);
  }, 240_000);

  it('interaction payloads: missing, extra, wrong-typed, huge, unknown and stale ones change nothing', async () => {
    // A real pending request, so that hostile clicks have something to aim at.
    // (aws carries a sticky lock by now: `lock aws <reason>` is valid whatever the reason says.)
    const ask = await h.command(`deploy digitalocean ${sha}`, 'U0REQ');
    expect(ask.status).toBe(200);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).startsWith('Deploy request')), 20_000, 'the approval card');
    const ts = String(card.response!.ts);
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    const jobs = await totalJobs();
    for (const { name, payload } of payloads(ts, runId)) {
      tally.tried++;
      const responseUrl = h.slack.responseUrl();
      const withUrl = payload && typeof payload === 'object' && !Array.isArray(payload) ? { ...payload, response_url: responseUrl } : payload;
      const raw = new URLSearchParams({ payload: JSON.stringify(withUrl) }).toString();
      const res = await fetch(`${h.baseUrl}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SIGNING_SECRET, raw) },
        body: raw,
      });
      await res.text();
      expect(res.status, name).toBeLessThan(500);
      tally.handled++;
    }
    // Non-JSON payload fields.
    for (const raw of ['payload=%7Bnot-json', 'payload=', 'nothing=here', 'payload=' + encodeURIComponent('x'.repeat(200_000))]) {
      tally.tried++;
      const res = await fetch(`${h.baseUrl}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SIGNING_SECRET, raw) },
        body: raw,
      });
      await res.text();
      expect(res.status, raw.slice(0, 40)).toBeLessThan(500);
      tally.handled++;
    }
    // The replies that were sent are clear, and nothing was approved or queued.
    await new Promise((r) => setTimeout(r, 500));
    for (const reply of h.slack.callsOf('response_url').slice(-20)) expect(String(reply.body.text)).not.toMatch(/\n\s+at |TypeError/);
    expect((await h.services.runs.get(runId))!.decision).toBeUndefined();
    expect(await totalJobs()).toBe(jobs);
  }, 120_000);

  it('webhook bodies: unsigned, forged, malformed and oversized ones are refused and post nothing', async () => {
    const posts = h.slack.callsOf('chat.postMessage').length;
    const cases: { path: string; body: string; headers: Record<string, string>; expect: number[] }[] = [];
    const signCi = (body: string) => ({ 'x-apollo-signature': `sha256=${hmacSha256Hex(CI_SECRET, body)}` });
    const signGh = (body: string, event: string) => ({ 'x-hub-signature-256': `sha256=${hmacSha256Hex(GITHUB_SECRET, body)}`, 'x-github-event': event, 'x-github-delivery': `d-${cases.length}` });
    const good = JSON.stringify({ runId: '1', pipeline: 'ci', status: 'passed', repo: 'a/b', branch: 'main', commit: 'abcdef1' });
    cases.push({ path: '/webhooks/ci', body: good, headers: {}, expect: [401] });
    cases.push({ path: '/webhooks/ci', body: good, headers: { 'x-apollo-signature': 'sha256=00' }, expect: [401] });
    cases.push({ path: '/webhooks/ci', body: good, headers: { 'x-apollo-signature': `sha256=${hmacSha256Hex('wrong', good)}` }, expect: [401] });
    for (const body of ['{', '[]', 'null', '"x"', '{}', JSON.stringify({ ...JSON.parse(good), status: 'exploded' }), JSON.stringify({ ...JSON.parse(good), commit: '$(id)' }), JSON.stringify({ ...JSON.parse(good), extra: 1 }), JSON.stringify({ ...JSON.parse(good), runId: { a: 1 } }), JSON.stringify({ ...JSON.parse(good), tests: { passed: -1 } })]) {
      cases.push({ path: '/webhooks/ci', body, headers: signCi(body), expect: [400] });
    }
    const huge = JSON.stringify({ ...JSON.parse(good), message: 'x'.repeat(2 * 1024 * 1024) });
    cases.push({ path: '/webhooks/ci', body: huge, headers: signCi(huge), expect: [413] });
    for (const [event, body] of [['workflow_run', '{'], ['workflow_run', '{}'], ['push', '{"ref": 5}'], ['pull_request', '[]'], ['check_suite', '{"action":"completed"}']] as const) {
      cases.push({ path: '/webhooks/github', body, headers: signGh(body, event), expect: [400, 200] });
    }
    cases.push({ path: '/webhooks/github', body: '{}', headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=deadbeef' }, expect: [401] });
    cases.push({ path: '/webhooks/nope', body: '{}', headers: {}, expect: [404] });
    for (const c of cases) {
      tally.tried++;
      const res = await fetch(`${h.baseUrl}${c.path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers }, body: c.body });
      const text = await res.text();
      expect(c.expect, `${c.path} ${c.body.slice(0, 60)} → ${res.status} ${text.slice(0, 200)}`).toContain(res.status);
      tally.handled++;
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.callsOf('chat.postMessage').length).toBe(posts);
  });

  it('is still healthy, crashed nowhere, and the counts are recorded', async () => {
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    const res = await h.command('status');
    expect(await h.replyTo(res.responseUrl)).toContain('Queued and running');
    tally.crashes = unhandled.length;
    expect(unhandled).toEqual([]);
    expect(tally.tried).toBeGreaterThanOrEqual(100);
    expect(tally.handled).toBe(tally.tried);
    recordFault({ suite: 'hostile', fault: 'generated malformed slash text, interaction payloads and webhook bodies', tried: tally.tried, handled: tally.handled, crashes: tally.crashes, lost: 0, duplicates: 0, leaks: 0 });
  });
});
