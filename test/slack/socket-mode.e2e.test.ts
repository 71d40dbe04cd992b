import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logger.js';
import { createServices, type Services } from '../../src/services.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { FakeSlack } from '../../src/slack/playground/fake-slack.js';
import { startWorkers, type WorkerHandle } from '../../src/worker/workers.js';
import { TestRepo } from '../helpers/git-repo.js';
import { freePort } from '../helpers/net.js';
import { eventually } from '../helpers/worker-process.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

/**
 * Socket Mode with SLACK_APP_TOKEN: the bot opens a WebSocket (URL from apps.connections.open) and
 * receives commands as envelopes it must acknowledge. A loopback WebSocket plays Slack's side.
 */
describe('Socket Mode', () => {
  let wss: WebSocketServer;
  let slack: FakeSlack;
  let services: Services;
  let workerServices: Services;
  let app: SlackApp;
  let worker: WorkerHandle;
  let socket: WebSocket;
  let port: number;
  const prefix = uniquePrefix();
  let stateDir: string;
  const acks: Record<string, unknown>[] = [];

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const connected = new Promise<WebSocket>((resolve) => {
      wss.on('connection', (ws) => {
        ws.on('message', (data) => acks.push(JSON.parse(data.toString()) as Record<string, unknown>));
        ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0APOLLO' } }));
        resolve(ws);
      });
    });
    slack = await new FakeSlack({ socketUrl: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/link` }).start();
    const repo = await TestRepo.create({ README: 'x\n' }, 'Over a socket');
    stateDir = await mkdtemp(join(tmpdir(), 'apollo-socket-'));
    const config = parseConfig({ repository: repo.path, access: { builders: ['*'] }, build: { steps: [{ name: 'check', run: 'true' }] } });
    const settings = { redisUrl: TEST_REDIS_URL, redisPrefix: prefix, stateDir, botToken: 'xoxb-socket', slackApiUrl: slack.apiUrl, notifier: { minIntervalMs: 200 } };
    services = createServices(config, settings, silentLogger, 'web');
    workerServices = createServices(config, settings, silentLogger, 'worker');
    await Promise.all([services.ready(), workerServices.ready()]);
    worker = await startWorkers(workerServices);
    port = await freePort();
    app = createSlackApp(services, { botToken: 'xoxb-socket', appToken: 'xapp-1-A0APOLLO-socket', slackApiUrl: slack.apiUrl, port, botUserId: 'UAPOLLOBOT' });
    await app.start();
    socket = await connected;
  });
  afterAll(async () => {
    await app?.stop();
    await worker?.close();
    await services?.close();
    await workerServices?.close();
    await slack?.stop();
    wss?.close();
    await deletePrefix(prefix);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('receives /apollo build over the socket, acknowledges it, and posts the card through the Web API', async () => {
    expect(slack.callsOf('apps.connections.open')).toHaveLength(1);
    socket.send(
      JSON.stringify({
        envelope_id: 'env-1',
        type: 'slash_commands',
        accepts_response_payload: true,
        payload: { command: '/apollo', text: 'build main', user_id: 'U0SOCKET', channel_id: 'C0SOCKET', team_id: 'T0APOLLO', response_url: slack.responseUrl(), trigger_id: '1.2.3' },
      }),
    );
    await eventually(() => acks.some((a) => a.envelope_id === 'env-1'), 10_000, 'the ack over the socket');
    const card = await slack.waitFor(() => slack.callsOf('chat.postMessage').find((c) => c.body.channel === 'C0SOCKET'), 20_000, 'the card');
    await slack.waitFor(() => slack.callsOf('chat.update').find((c) => c.body.ts === card.response!.ts && String(c.body.text).includes(': passed')), 20_000, 'the passed card');
  });

  it('answers a bad command in the ack payload, and still serves /healthz on PORT', async () => {
    socket.send(JSON.stringify({ envelope_id: 'env-2', type: 'slash_commands', accepts_response_payload: true, payload: { command: '/apollo', text: 'build $(id)', user_id: 'U0SOCKET', channel_id: 'C0SOCKET', team_id: 'T0APOLLO', response_url: slack.responseUrl() } }));
    await eventually(() => acks.some((a) => a.envelope_id === 'env-2'), 10_000, 'the ack');
    const ack = acks.find((a) => a.envelope_id === 'env-2')!;
    expect(JSON.stringify(ack.payload)).toContain('not a commit SHA');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
