import { recordFault } from '../helpers/reliability.js';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness, SIGNING_SECRET, slashCommandBody } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { hmacSha256Hex, signedSlackHeaders } from '../../src/slack/signing.js';
import { ACTION } from '../../views/actions.js';
import { sleep } from '../webhooks/webhook-client.js';

const GITHUB_SECRET = 'guard-github-secret';
const CI_SECRET = 'guard-ci-secret';
const FORM = 'application/x-www-form-urlencoded';

interface Answer {
  status: number;
  body: string;
}

/**
 * A request sent with its path exactly as given: fetch would resolve `./` and `../` itself, and
 * the point here is what the server does with spellings a client chose on purpose.
 */
function send(baseUrl: string, path: string, headers: Record<string, string>, body: string, method = 'POST'): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the server said to a client that sent headers and then `behaviour`, and whether it hung up. */
function slowBody(baseUrl: string, path: string, behaviour: 'stall' | 'trickle'): Promise<{ status: string; body: string; closed: boolean }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let trickle: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: ${FORM}\r\nContent-Length: 100000\r\n\r\ncommand=%2Fapollo`);
      if (behaviour === 'trickle') trickle = setInterval(() => socket.write('x'), 50);
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', (err) => {
      clearInterval(trickle);
      reject(err);
    });
    socket.on('close', () => {
      clearInterval(trickle);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ status: head.split('\r\n')[0] ?? '', body, closed: true });
    });
  });
}

function slashBody(text: string, responseUrl: string, user = 'U0GUARD'): string {
  return slashCommandBody(text, responseUrl, user);
}

function clickBody(actionId: string, value: string, user: string, responseUrl: string): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0APOLLO' },
    api_app_id: 'A0APOLLO',
    token: 'legacy',
    container: { type: 'message', message_ts: '1.1', channel_id: 'C0APOLLO', is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T0APOLLO', domain: 'apollo' },
    channel: { id: 'C0APOLLO', name: 'apollo' },
    message: { type: 'message', ts: '1.1', text: '' },
    response_url: responseUrl,
    actions: [{ action_id: actionId, block_id: 'b', value, type: 'button', action_ts: '1' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function signed(raw: string, timestamp?: number): Record<string, string> {
  return { 'content-type': FORM, ...signedSlackHeaders(SIGNING_SECRET, raw, timestamp) };
}

const now = () => Math.floor(Date.now() / 1000);

/** Every spelling a client may choose for one route; each must be that route, guarded the same way. */
function spellings(path: string): string[] {
  const [, first = '', second = ''] = path.split('/');
  return [
    path,
    `${path}/`,
    `/${path}`,
    `/${first}//${second}`,
    `/${first.toUpperCase()}/${second}`,
    `${path}?x=1`,
    `/${first}/./${second}`,
    `/${first}/nope/../${second}`,
    `/${first}/%${second.charCodeAt(0).toString(16)}${second.slice(1)}`,
  ];
}

describe('the HTTP guard in front of Slack and the webhooks', () => {
  let h: Harness;
  let repo: TestRepo;
  let sha: string;

  beforeAll(async () => {
    repo = await TestRepo.create({ README: 'guarded\n' }, 'Guard the door');
    sha = await repo.head();
    h = await Harness.start({
      config: {
        repository: repo.path,
        channel: 'C0APOLLO',
        access: { deployers: ['*'], approvers: ['U0APPROVER'] },
        build: { steps: [{ name: 'ok', run: 'true' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'apply', run: 'true' }] },
        destroy: { steps: [{ name: 'destroy', run: 'true' }] },
      },
      webhooks: { github: GITHUB_SECRET, ci: CI_SECRET },
      minIntervalMs: 200,
      bodyTimeoutMs: 500,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  function expectRefused(res: Answer, what: string): void {
    expect(res.status, `${what} → ${res.status} ${res.body.slice(0, 200)}`).toBe(401);
    expect(JSON.parse(res.body), what).toMatchObject({ ok: false, error: 'apollo_signature_invalid' });
  }

  it('checks the signature before it reads an interaction payload as JSON', async () => {
    const posts = h.slack.callsOf('chat.postMessage').length;
    for (const raw of ['payload=%7Bnot-json', 'payload=null', `payload=${encodeURIComponent('[1]')}`, clickBody(ACTION.redeploy, 'd1', 'U0MALLORY', h.slack.responseUrl())]) {
      expectRefused(await send(h.baseUrl, '/slack/events', { 'content-type': FORM }, raw), `unsigned ${raw.slice(0, 30)}`);
      const forged = { 'content-type': FORM, ...signedSlackHeaders('not-the-secret', raw) };
      expectRefused(await send(h.baseUrl, '/slack/events', forged, raw), `forged ${raw.slice(0, 30)}`);
    }
    const command = slashBody('help', h.slack.responseUrl());
    expectRefused(await send(h.baseUrl, '/slack/events', { 'content-type': FORM, 'x-slack-request-timestamp': String(now()), 'x-slack-signature': 'v0=00' }, command), 'short signature');
    // Signed, the same malformed payload is the bad request it is.
    const res = await send(h.baseUrl, '/slack/events', signed('payload=null'), 'payload=null');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'apollo_payload_invalid' });
    expect(h.slack.callsOf('chat.postMessage').length).toBe(posts);
  });

  it('refuses timestamps more than 60 s ahead or 5 minutes old, and takes a little skew', async () => {
    for (const [offset, what] of [[120, 'two minutes ahead'], [3600, 'an hour ahead'], [-301, 'five minutes old'], [-86_400, 'a day old']] as const) {
      const responseUrl = h.slack.responseUrl();
      const raw = slashBody('help', responseUrl);
      expectRefused(await send(h.baseUrl, '/slack/events', signed(raw, now() + offset), raw), what);
      expect(h.repliesTo(responseUrl), what).toEqual([]);
    }
    const responseUrl = h.slack.responseUrl();
    const raw = slashBody('help', responseUrl);
    const res = await send(h.baseUrl, '/slack/events', signed(raw, now() + 30), raw);
    expect(res.status).toBe(200);
    // Help is answered in the ack itself.
    expect(JSON.parse(res.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/apollo') });
  });

  it('answers a replayed /apollo build but builds once', async () => {
    const responseUrl = h.slack.responseUrl();
    const raw = slashBody(`build ${sha}`, responseUrl);
    const headers = signed(raw);
    const first = await send(h.baseUrl, '/slack/events', headers, raw);
    const replay = await send(h.baseUrl, '/slack/events', headers, raw);
    expect(first.status).toBe(200);
    expect(replay).toEqual({ status: 200, body: '' });
    const cards = () => h.slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).includes(sha.slice(0, 7)));
    const card = await h.slack.waitFor(() => cards()[0], 30_000, 'the run card');
    await h.slack.waitFor(() => {
      const last = h.latestCard(String(card.response!.ts));
      return last && blocksText(last).includes('*passed*') ? last : undefined;
    }, 60_000, 'the passed card');
    await sleep(500);
    expect(cards()).toHaveLength(1);
    // Neither "already queued or running" nor anything else: the replay never reached the command.
    expect(h.repliesTo(responseUrl)).toEqual([]);
    expect(Object.values(await h.services.buildQueue.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(1);
    recordFault({ suite: 'requests', fault: 'a captured signed /apollo build replayed within the signature window', tried: 1, lost: 0, duplicates: 0, leaks: 0 });
  });

  it('answers a replayed button click but acts once', async () => {
    const ask = await h.command(`deploy aws ${sha}`, 'U0REQ');
    expect(ask.status).toBe(200);
    const requests = () => h.slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).startsWith('Deploy request'));
    const card = await h.slack.waitFor(() => requests()[0], 30_000, 'the approval card');
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;

    const responseUrl = h.slack.responseUrl();
    const raw = clickBody(ACTION.redeploy, runId, 'U0AGAIN', responseUrl);
    const headers = signed(raw);
    expect((await send(h.baseUrl, '/slack/events', headers, raw)).status).toBe(200);
    expect(await send(h.baseUrl, '/slack/events', headers, raw)).toEqual({ status: 200, body: '' });
    expect(await h.replyTo(responseUrl)).toMatch(/New deploy request `d\d+` posted/);
    await sleep(500);
    expect(h.repliesTo(responseUrl)).toHaveLength(1);
    expect(requests()).toHaveLength(2);
    recordFault({ suite: 'requests', fault: 'a captured signed button click replayed within the signature window', tried: 1, lost: 0, duplicates: 0, leaks: 0 });
  });

  it('guards every spelling of /slack/events the same way: 401 unsigned, acted on once signed', async () => {
    const responseUrls: string[] = [];
    for (const path of spellings('/slack/events')) {
      const responseUrl = h.slack.responseUrl();
      responseUrls.push(responseUrl);
      const raw = slashBody('help', responseUrl);
      expectRefused(await send(h.baseUrl, path, { 'content-type': FORM }, raw), `unsigned ${path}`);
      const headers = signed(raw);
      // Help is answered in the ack: the signed request gets it, its replay nothing.
      const first = await send(h.baseUrl, path, headers, raw);
      expect(first.status, `signed ${path}`).toBe(200);
      expect(JSON.parse(first.body), path).toMatchObject({ text: expect.stringContaining('/apollo') });
      expect(await send(h.baseUrl, path, headers, raw), `replayed ${path}`).toEqual({ status: 200, body: '' });
    }
    await sleep(500);
    // Nothing was answered later either.
    expect(responseUrls.flatMap((url) => h.repliesTo(url))).toEqual([]);
  });

  it('guards every spelling of the webhook routes: their signature check, never a bypass', async () => {
    for (const path of spellings('/webhooks/github')) {
      const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 42 });
      const unsigned = await send(h.baseUrl, path, { 'content-type': 'application/json', 'x-github-event': 'ping' }, body);
      expectRefused(unsigned, `unsigned ${path}`);
      const headers = { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmacSha256Hex(GITHUB_SECRET, body)}` };
      const res = await send(h.baseUrl, path, headers, body);
      expect(res.status, path).toBe(200);
      expect(JSON.parse(res.body), path).toMatchObject({ ok: true, result: 'pong', hook_id: 42 });
    }
    for (const [i, path] of spellings('/webhooks/ci').entries()) {
      const event = JSON.stringify({ runId: `spelling-${i}-${Date.now()}`, pipeline: 'ci', status: 'failed', repo: 'a/b', branch: 'main', commit: 'abcdef1' });
      expectRefused(await send(h.baseUrl, path, { 'content-type': 'application/json' }, event), `unsigned ${path}`);
      const res = await send(h.baseUrl, path, { 'content-type': 'application/json', 'x-apollo-signature': `sha256=${hmacSha256Hex(CI_SECRET, event)}` }, event);
      expect(res.status, `${path} ${res.body}`).toBe(202);
    }
    // Neither a route nor a spelling of one: refused plainly, never a 500.
    for (const path of ['/slack/%zz', '/slack/events%00', '/slack/%2565vents', '/slack/events%3F', '/webhooks/github%23x']) {
      const res = await send(h.baseUrl, path, { 'content-type': FORM }, 'x=1');
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body), path).toMatchObject({ ok: false, error: 'apollo_payload_invalid' });
    }
    expect((await send(h.baseUrl, '/HEALTHZ/', {}, '', 'GET')).status).toBe(200);
    expect((await send(h.baseUrl, '/slack/nope', { 'content-type': FORM }, 'x=1')).status).toBe(404);
  });

  it('answers 408 and hangs up on a body that stalls or trickles, and keeps serving', async () => {
    for (const path of ['/slack/events', '/webhooks/github', '/webhooks/ci', '/slack/events/']) {
      for (const behaviour of ['stall', 'trickle'] as const) {
        const res = await slowBody(h.baseUrl, path, behaviour);
        expect(res.status, `${behaviour} ${path}`).toMatch(/^HTTP\/1\.1 408 /);
        expect(res.body, `${behaviour} ${path}`).toContain('apollo_request_timeout');
        expect(res.closed).toBe(true);
      }
    }
    // A route that never reads the body answers at once; the rest of the body is not waited for either.
    for (const behaviour of ['stall', 'trickle'] as const) {
      const res = await slowBody(h.baseUrl, '/not-a-route', behaviour);
      expect(res.status, behaviour).toMatch(/^HTTP\/1\.1 404 /);
      expect(res.closed).toBe(true);
    }
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    const res = await h.command('help');
    expect(res.status).toBe(200);
    expect(await h.replyTo(res.responseUrl)).toContain('/apollo');
  });
});
