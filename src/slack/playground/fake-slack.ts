import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** One call the bot made to the (fake) Slack Web API or to a response_url. */
export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
  at: number;
  /** What the fake answered (e.g. the ts of a posted message). */
  response?: Record<string, unknown>;
}

export interface InjectedFault {
  status: number;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
}

export interface FakeSlackOptions {
  /** Usergroup id → member user ids, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
  /** Called for every call (the playground prints them). */
  onCall?: (call: SlackCall) => void;
  /** What apps.connections.open answers: the WebSocket a Socket Mode client connects to. */
  socketUrl?: string;
  /**
   * users.info answers by user id: a guest is `{ is_restricted: true }`, a Slack Connect user
   * `{ team_id: 'T0OTHER', is_stranger: true }`. Anyone not listed is a full member of `teamId`.
   */
  users?: Record<string, Record<string, unknown>>;
  /** The workspace the fake's bot is installed in (auth.test's team_id). Default T0APOLLO. */
  teamId?: string;
  /** Channels the bot is a member of (conversations.info's is_member). Default: every channel. */
  memberOf?: string[];
}

/**
 * A loopback stand-in for the few Slack Web API methods the bot uses, plus response_url and file
 * upload targets. Tests point the bot's `slackApiUrl` at it and assert on `calls`; the local
 * playground prints what would have appeared in Slack. It keeps Slack's answer shapes, not its rules.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  readonly uploads = new Map<string, Buffer>();
  private server: Server | undefined;
  private seq = 0;
  private readonly faults = new Map<string, InjectedFault[]>();
  private readonly waiters = new Set<() => void>();
  port = 0;

  constructor(private readonly options: FakeSlackOptions = {}) {}

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A response_url for a slash command or interaction; what is posted to it is recorded as `response_url`. */
  responseUrl(): string {
    return `http://127.0.0.1:${this.port}/response/${randomUUID()}`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets from the Web API client would hold close() open until they idle out.
    server.closeAllConnections();
    await closed;
  }

  /** The next `count` calls of `method` answer with this fault (429, 500...). */
  failNext(method: string, fault: InjectedFault, count = 1): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < count; i++) list.push(fault);
    this.faults.set(method, list);
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the first result of `probe` that is not undefined/false, re-checked on every call. */
  async waitFor<T>(probe: () => T | undefined | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
    const first = probe();
    if (first !== undefined && first !== false) return first;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== undefined && value !== false) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(', ')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  private record(call: SlackCall): void {
    this.calls.push(call);
    this.options.onCall?.(call);
    for (const waiter of [...this.waiters]) waiter();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');

    if (url.pathname.startsWith('/upload/')) {
      this.uploads.set(url.pathname.slice('/upload/'.length), raw);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      return;
    }
    const body = parseBody(raw.toString('utf8'), req.headers['content-type']);
    if (url.pathname.startsWith('/response/')) {
      this.record({ method: 'response_url', body: { ...body, response_url_id: url.pathname.slice('/response/'.length) }, at: Date.now() });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const fault = this.faults.get(method)?.shift();
    if (fault) {
      this.record({ method: `${method}!${fault.status}`, body, at: Date.now() });
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.headers ?? {}) });
      res.end(JSON.stringify(fault.body ?? { ok: false, error: fault.status === 429 ? 'ratelimited' : 'internal_error' }));
      return;
    }
    const response = this.answer(method, body);
    this.record({ method, body, at: Date.now(), response });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
  }

  private answer(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const ts = () => `${1_700_000_000 + ++this.seq}.000100`;
    switch (method) {
      case 'apps.connections.open':
        return this.options.socketUrl ? { ok: true, url: this.options.socketUrl } : { ok: false, error: 'not_allowed_token_type' };
      case 'auth.test':
        return { ok: true, user_id: 'UAPOLLOBOT', bot_id: 'B0APOLLO', team_id: this.options.teamId ?? 'T0APOLLO', user: 'apollo' };
      case 'conversations.info': {
        const id = String(body.channel ?? '');
        if (!/^[CG][A-Z0-9]{2,}$/.test(id)) return { ok: false, error: 'channel_not_found' };
        return { ok: true, channel: { id, name: id.toLowerCase(), is_member: this.options.memberOf?.includes(id) ?? true } };
      }
      case 'users.info': {
        const id = String(body.user ?? '');
        if (!/^[UW][A-Z0-9]{2,}$/.test(id)) return { ok: false, error: 'user_not_found' };
        const user = { id, team_id: this.options.teamId ?? 'T0APOLLO', name: id.toLowerCase(), deleted: false, is_bot: false, is_restricted: false, is_ultra_restricted: false, ...this.options.users?.[id] };
        return { ok: true, user };
      }
      case 'chat.postMessage':
        return { ok: true, channel: body.channel, ts: ts(), message: { text: body.text } };
      case 'views.open':
      case 'views.update':
      case 'views.publish': {
        const view = parseMaybeJson(body.view) as Record<string, unknown> | undefined;
        return { ok: true, view: { ...(typeof view === 'object' && view ? view : {}), id: `V${++this.seq}` } };
      }
      case 'chat.update':
        return { ok: true, channel: body.channel, ts: body.ts };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'chat.getPermalink':
        return { ok: true, permalink: `https://slack.example/archives/${String(body.channel)}/p${String(body.message_ts).replace('.', '')}` };
      case 'usergroups.users.list': {
        const users = this.options.usergroups?.[String(body.usergroup)];
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${++this.seq}`;
        return { ok: true, file_id: id, upload_url: `http://127.0.0.1:${this.port}/upload/${id}` };
      }
      case 'files.completeUploadExternal':
        return { ok: true, files: parseMaybeJson(body.files) };
      default:
        return { ok: true };
    }
  }
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { raw };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client JSON-encodes nested values (blocks, attachments) inside form fields.
    out[key] = key === 'blocks' || key === 'attachments' || key === 'files' ? parseMaybeJson(value) : value;
  }
  return out;
}
