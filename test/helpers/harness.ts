import { mkdtemp, rm } from 'node:fs/promises';
import type { CustomRoute } from '@slack/bolt';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logger.js';
import { createServices, type Services } from '../../src/services.js';
import { createSlackApp, type SlackApp } from '../../src/slack/app.js';
import { FakeSlack, type FakeSlackOptions } from '../../src/slack/playground/fake-slack.js';
import { signedSlackHeaders } from '../../src/slack/signing.js';
import { startWorkers, type WorkerHandle } from '../../src/worker/workers.js';
import { webhookRoutes, type WebhookSecrets } from '../../src/webhooks/routes.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from './redis.js';

export const SIGNING_SECRET = 'test-signing-secret';

export interface HarnessOptions {
  config: ConfigInput;
  fakeSlack?: FakeSlackOptions;
  /** Start a worker in this process (default true). */
  worker?: boolean;
  minIntervalMs?: number;
  /** Another Redis than the shared test one (fault tests stop and restart their own). */
  redisUrl?: string;
  /** Secrets of the /webhooks/* routes (they answer 401 to everything without one). */
  webhooks?: WebhookSecrets;
  /** How long a request body may take (default: the app's own, 10 s). */
  bodyTimeoutMs?: number;
  /** More routes on the web server, built from the web services (the queue dashboard). */
  routes?: (services: Services) => CustomRoute[];
  /** Route prefixes that keep their case (GuardOptions.casedPrefixes). */
  casedPrefixes?: string[];
}

/**
 * The real bot — Bolt HTTP receiver, BullMQ on the real Redis under a unique prefix, the real
 * worker running real processes — with only Slack's Web API replaced by the loopback fake.
 */
export class Harness {
  slack!: FakeSlack;
  services!: Services;
  /** The worker's own services (patient Redis connections), as in a worker process. */
  workerServices: Services | undefined;
  app!: SlackApp;
  worker: WorkerHandle | undefined;
  baseUrl = '';
  prefix = uniquePrefix();
  private submissions = 0;
  /** Answers given in a command's ack body (help, usage errors), by response_url id: Slack shows them as ephemeral replies too. */
  private ackAnswers = new Map<string, Record<string, unknown>>();
  stateDir = '';

  static async start(options: HarnessOptions): Promise<Harness> {
    const h = new Harness();
    h.slack = await new FakeSlack(options.fakeSlack).start();
    h.stateDir = await mkdtemp(join(tmpdir(), 'apollo-state-'));
    const config = parseConfig(withTestAccess(options.config), 'test config');
    const settings = {
      redisUrl: options.redisUrl ?? TEST_REDIS_URL,
      redisPrefix: h.prefix,
      stateDir: h.stateDir,
      botToken: 'xoxb-test',
      slackApiUrl: h.slack.apiUrl,
      notifier: { minIntervalMs: options.minIntervalMs ?? 1000 },
      killGraceMs: 500,
    };
    h.services = createServices(config, settings, silentLogger, 'web');
    await h.services.ready();
    h.app = createSlackApp(h.services, {
      botToken: 'xoxb-test',
      signingSecret: SIGNING_SECRET,
      slackApiUrl: h.slack.apiUrl,
      port: 0,
      botUserId: 'UAPOLLOBOT',
      routes: [...webhookRoutes(h.services, options.webhooks ?? {}), ...(options.routes?.(h.services) ?? [])],
      ...(options.casedPrefixes ? { casedPrefixes: options.casedPrefixes } : {}),
      ...(options.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: options.bodyTimeoutMs } : {}),
    });
    const { port } = await h.app.start();
    h.baseUrl = `http://127.0.0.1:${port}`;
    if (options.worker ?? true) await h.startWorker();
    return h;
  }

  /** Starts the in-process worker (with its own services, as a worker process has). */
  async startWorker(): Promise<void> {
    this.workerServices = createServices(this.services.config, this.services.settings, silentLogger, 'worker', { mirror: this.services.mirror });
    await this.workerServices.ready();
    this.worker = await startWorkers(this.workerServices);
  }

  /** Sends `/apollo <text>` the way Slack does: form-encoded and signed. */
  async command(
    text: string,
    user = 'U0REQUEST',
    channel = 'C0APOLLO',
    signingSecret = SIGNING_SECRET,
    /** Fields to add or override (team_id, enterprise_id, channel_name…), as another workspace or a DM would send them. */
    fields: Record<string, string> = {},
  ): Promise<{ status: number; body: string; responseUrl: string }> {
    const responseUrl = this.slack.responseUrl();
    const raw = slashCommandBody(text, responseUrl, user, channel, fields);
    const res = await fetch(`${this.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(signingSecret, raw) },
      body: raw,
    });
    const body = await res.text();
    const answer = res.status === 200 ? ackAnswer(body) : undefined;
    if (answer) this.ackAnswers.set(responseUrl.split('/').pop()!, answer);
    return { status: res.status, body, responseUrl };
  }

  /** Clicks a button the way Slack sends it: a signed form with one `payload` field of JSON. */
  async click(actionId: string, value: string, user: string, options: { channel?: string; ts?: string; payload?: Record<string, unknown> } = {}): Promise<{ status: number; responseUrl: string }> {
    const responseUrl = this.slack.responseUrl();
    const channel = options.channel ?? 'C0APOLLO';
    const payload = options.payload ?? {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: 'T0APOLLO' },
      api_app_id: 'A0APOLLO',
      token: 'legacy',
      container: { type: 'message', message_ts: options.ts ?? '1.1', channel_id: channel, is_ephemeral: false },
      trigger_id: '1.2.3',
      team: { id: 'T0APOLLO', domain: 'apollo' },
      channel: { id: channel, name: 'apollo' },
      message: { type: 'message', ts: options.ts ?? '1.1', text: '' },
      response_url: responseUrl,
      actions: [{ action_id: actionId, block_id: 'b', value, type: 'button', action_ts: String(Date.now() / 1000) }],
    };
    const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const res = await fetch(`${this.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SIGNING_SECRET, raw) },
      body: raw,
    });
    await res.text();
    return { status: res.status, responseUrl };
  }

  /** Sends an Events API delivery the way Slack does: signed JSON (a retry carries `X-Slack-Retry-Num`). */
  async event(event: Record<string, unknown>, eventId: string, headers: Record<string, string> = {}, envelope: Record<string, unknown> = {}): Promise<{ status: number; body: string }> {
    const raw = JSON.stringify({ token: 'legacy', team_id: 'T0APOLLO', api_app_id: 'A0APOLLO', type: 'event_callback', event_id: eventId, event_time: Math.floor(Date.now() / 1000), event, ...envelope });
    const res = await fetch(`${this.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedSlackHeaders(SIGNING_SECRET, raw), ...headers },
      body: raw,
    });
    return { status: res.status, body: await res.text() };
  }

  /** Submits a modal the way Slack sends it: a signed form with one `payload` field of JSON (view_submission). */
  async submitView(view: { callback_id: string; private_metadata: string }, values: Record<string, Record<string, unknown>>, user: string): Promise<{ status: number; body: string }> {
    const payload = {
      type: 'view_submission',
      team: { id: 'T0APOLLO', domain: 'apollo' },
      user: { id: user, username: user.toLowerCase(), team_id: 'T0APOLLO' },
      api_app_id: 'A0APOLLO',
      token: 'legacy',
      // Unique per submission, as Slack's are: the replay guard answers a repeated signature without acting.
      trigger_id: `${Date.now()}.${++this.submissions}`,
      view: { id: 'V0MODAL', type: 'modal', callback_id: view.callback_id, private_metadata: view.private_metadata, state: { values } },
    };
    const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const res = await fetch(`${this.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SIGNING_SECRET, raw) },
      body: raw,
    });
    return { status: res.status, body: await res.text() };
  }

  /**
   * Destroy as a person does it: clicks Destroy, waits for the modal, and types the cloud names
   * it lists (or `typed`). Returns the modal's answer (empty when it closed) and the click's reply URL.
   */
  async destroy(runId: string, user: string, options: { ts?: string; channel?: string; typed?: string } = {}): Promise<{ answer: string; responseUrl: string; modal?: Record<string, unknown> }> {
    const before = this.slack.callsOf('views.open').length;
    const click = await this.click('deploy_destroy', runId, user, options);
    const opened = await this.slack.waitFor(() => this.slack.callsOf('views.open')[before] ?? this.repliesTo(click.responseUrl)[0], 30_000, 'the destroy modal');
    if (typeof opened === 'string') return { answer: opened, responseUrl: click.responseUrl };
    const modal = (typeof opened.body.view === 'string' ? JSON.parse(opened.body.view) : opened.body.view) as { callback_id: string; private_metadata: string; blocks: { type: string; label?: { text: string } }[] };
    const label = modal.blocks.find((b) => b.type === 'input')?.label?.text ?? '';
    const typed = options.typed ?? label.split(': ').pop() ?? '';
    const res = await this.submitView(modal, { confirm: { names: { value: typed } } }, user);
    return { answer: res.body, responseUrl: click.responseUrl, modal };
  }

  /** The latest version of a card (posted or updated), by the ts it was posted with. */
  latestCard(ts: string): Record<string, unknown> | undefined {
    const versions = this.slack.calls.filter((c) => (c.method === 'chat.update' && c.body.ts === ts) || (c.method === 'chat.postMessage' && c.response?.ts === ts));
    return versions.at(-1)?.body;
  }

  /** Waits for the first ephemeral reply to one command. */
  async replyTo(responseUrl: string): Promise<string> {
    return this.slack.waitFor(() => this.repliesTo(responseUrl)[0], 30_000, 'an ephemeral reply');
  }

  /** The ephemeral replies to one command: its ack's answer (if any), then what was sent to its response_url. */
  repliesTo(responseUrl: string): string[] {
    return this.replyBodies(responseUrl).map((body) => String(body.text ?? ''));
  }

  /** The ephemeral replies to one command, whole (text and blocks): its ack's answer first. */
  replyBodies(responseUrl: string): Record<string, unknown>[] {
    const id = responseUrl.split('/').pop()!;
    const acked = this.ackAnswers.get(id);
    return [...(acked ? [acked] : []), ...this.slack.callsOf('response_url').filter((c) => c.body.response_url_id === id).map((c) => c.body)];
  }

  /** Stops the in-process worker as a worker process stops, and starts a new one (a restart). */
  async restartWorker(): Promise<void> {
    await this.worker?.close();
    await this.workerServices?.close();
    this.worker = undefined;
    this.workerServices = undefined;
    await this.startWorker();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.workerServices?.close();
    await this.app.stop();
    await this.services.close();
    await this.slack.stop();
    if (this.services.settings.redisUrl === TEST_REDIS_URL) await deletePrefix(this.prefix);
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

/** An ack body that Slack would show as a reply: JSON with a text. An empty ack shows nothing. */
function ackAnswer(body: string): Record<string, unknown> | undefined {
  if (body === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' && 'text' in parsed ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A slash command's form body, as Slack sends it (unsigned). */
export function slashCommandBody(text: string, responseUrl: string, user = 'U0REQUEST', channel = 'C0APOLLO', fields: Record<string, string> = {}): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0APOLLO',
    channel_id: channel,
    channel_name: 'apollo',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/apollo',
    text,
    response_url: responseUrl,
    trigger_id: '1.2.3',
    ...fields,
  }).toString();
}

/**
 * The tests' default, unlike the product's (nobody): everyone may build and ask for deploys, unless
 * a test names its deployers or builders to test refusals.
 */
export function withTestAccess(config: ConfigInput): ConfigInput {
  return { ...config, access: { deployers: ['*'], limits: { queuedRunsPerUser: 1000, lockChangesPerHour: 1000 }, ...config.access } };
}

/** The text of every block of a recorded message, one string. */
/**
 * The run id a card names: its footer says `run b12 ·`, its fallback text ends `· b12`. Never the
 * first `b<digits>` of the card: its short SHA (`b130694`) can read like one.
 */
export function cardRunId(card: Record<string, unknown> | string): string {
  const text = typeof card === 'string' ? card : JSON.stringify(card);
  const id = /\brun ([bd]\d{1,12})\b/.exec(text)?.[1] ?? /· ([bd]\d{1,12})(?![\w])/.exec(text)?.[1];
  if (!id) throw new Error(`no run id in the card: ${text.slice(0, 200)}`);
  return id;
}

export function blocksText(body: Record<string, unknown>): string {
  const blocks = (body.blocks as { text?: { text?: string }; elements?: { text?: string | { text?: string } }[] }[] | undefined) ?? [];
  return blocks
    .map((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : (e.text?.text ?? '')))].join(' '))
    .join('\n');
}
