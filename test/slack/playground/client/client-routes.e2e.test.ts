import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { playgroundClientRoutes } from '../../../../src/slack/playground/client/client-routes.js';
import { PlaygroundChannel } from '../../../../src/slack/playground/client/channel.js';
import { NO_NAMES } from '../../../../src/slack/playground/client/mrkdwn-html.js';
import { silentLogger } from '../../../../src/logger.js';
import { PlaygroundProcess } from '../../../helpers/playground-process.js';

/** A raw request, so that Host can be anything (fetch always sends the URL's). */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the playground client’s API', () => {
  let playground: PlaygroundProcess;
  let base: string;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    playground = await PlaygroundProcess.start();
    base = playground.url.replace(/\/$/, '');
  }, 90_000);

  afterAll(async () => {
    await playground?.stop();
  });

  it('serves the page with a strict content security policy', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain('<label for="composer" class="visually-hidden">Message</label>');
    expect(page).toContain('<label class="picker-label" for="user">User</label>');
  });

  it('refuses a Host other than this machine’s loopback address (DNS rebinding)', async () => {
    const rebound = await get(playground.port, '/playground/api/state', { host: `attacker.example:${playground.port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ ok: false, error: 'apollo_not_allowed' });
    expect((await get(playground.port, '/', { host: `localhost:${playground.port}` })).status).toBe(200);
  });

  it('refuses another site’s page: a foreign Origin, or a body that is not JSON', async () => {
    const foreign = await post('/playground/api/command', { user: 'U0ALICE', text: '/apollo help' }, { origin: 'https://attacker.example' });
    expect(foreign.status).toBe(403);
    const form = await fetch(`${base}/playground/api/command`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'user=U0ALICE&text=/apollo+help' });
    expect(form.status).toBe(400);
    expect(await form.json()).toMatchObject({ error: 'apollo_payload_invalid' });
  });

  it('acts only as people of the roster, and presses only buttons the message carries', async () => {
    const stranger = await post('/playground/api/command', { user: 'U0MALLORY', text: '/apollo help' });
    expect(stranger.status).toBe(403);
    const invalid = await post('/playground/api/command', { user: 'U0ALICE', text: '' });
    expect(invalid.status).toBe(400);
    const unknownMessage = await post('/playground/api/action', { user: 'U0BOB', messageId: '1.1', actionId: 'deploy_approve', blockId: 'b', value: 'd1' });
    expect(unknownMessage.status).toBe(404);
  });

  it('opens the App Home with a signed app_home_opened, and submits only inputs and options the modal offers', async () => {
    type Surface = { kind: string; user: string; html: string; closed?: true };
    const surfaces = async () => ((await (await fetch(`${base}/playground/api/state`)).json()) as { surfaces: Surface[] }).surfaces;
    expect((await post('/playground/api/home', { user: 'U0MALLORY' })).status).toBe(403);
    expect((await post('/playground/api/home-action', { user: 'U0ALICE', actionId: 'home_deploy_form', blockId: 'home:request', value: 'home' })).status).toBe(404);
    const opened = await post('/playground/api/home', { user: 'U0ALICE' });
    expect(await opened.json()).toEqual({ ok: true, status: 200 });
    await expect.poll(async () => (await surfaces()).find((s) => s.kind === 'home' && s.user === 'U0ALICE')?.html ?? '', { timeout: 30_000 }).toContain('Request a deploy');
    // Only the buttons the Home carries.
    expect((await post('/playground/api/home-action', { user: 'U0ALICE', actionId: 'deploy_approve', blockId: 'home:request', value: 'd1' })).status).toBe(400);
    expect((await post('/playground/api/home-action', { user: 'U0ALICE', actionId: 'home_deploy_form', blockId: 'home:request', value: 'home' })).status).toBe(200);
    await expect.poll(async () => (await surfaces()).find((s) => s.kind === 'modal' && s.user === 'U0ALICE')?.html ?? '', { timeout: 30_000 }).toContain('data-kind="checkboxes"');

    const submit = (values: unknown) => post('/playground/api/view', { user: 'U0ALICE', submit: true, values });
    expect((await submit({ clouds: { clouds: { selected: ['sim-north'] } } })).status).toBe(400);
    expect((await submit({ clouds: { clouds: 'sim-east' } })).status).toBe(400);
    expect((await submit({ ref: { ref: { selected: ['HEAD'] } } })).status).toBe(400);
    expect((await submit({ nope: { nope: 'x' } })).status).toBe(400);
    expect((await submit({ clouds: { clouds: { selected: [{ value: 'sim-east' }] } } })).status).toBe(400);
    expect(await (await submit({ clouds: { clouds: { selected: ['sim-east'] } }, ref: { ref: 'HEAD' } })).json()).toEqual({ ok: true, status: 200 });
    await expect.poll(async () => (await surfaces()).some((s) => s.kind === 'modal' && s.user === 'U0ALICE')).toBe(false);
  });

  it('sends the composer’s /apollo through the bot’s own signed endpoint, and answers its ack privately', async () => {
    const res = await post('/playground/api/command', { user: 'U0DAVE', text: '/apollo help' }, { origin: base });
    expect(await res.json()).toEqual({ ok: true, status: 200 });
    const state = await vi.waitFor(
      async () => {
        const s = (await (await fetch(`${base}/playground/api/state`)).json()) as { messages: { ephemeralFor?: string; html: string }[] };
        if (!s.messages.some((m) => m.ephemeralFor === 'U0DAVE')) throw new Error('no reply yet');
        return s;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(state.messages.filter((m) => m.ephemeralFor === 'U0DAVE').map((m) => m.html).join('')).toContain('/apollo');
  });
});

describe('the playground client in production', () => {
  it('is never built under NODE_ENV=production', () => {
    vi.stubEnv('NODE_ENV', 'production');
    try {
      expect(() =>
        playgroundClientRoutes({
          channel: new PlaygroundChannel('C0PLAYGROUND'),
          slack: { responseUrl: () => '', uploads: new Map() },
          roster: [],
          names: NO_NAMES,
          teamId: 'T0PLAYGROUND',
          channelName: 'playground',
          signingSecret: 'x',
          logger: silentLogger,
        }),
      ).toThrow(/never runs under NODE_ENV=production/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
