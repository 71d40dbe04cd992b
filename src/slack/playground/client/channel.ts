import { triggerUser } from '../signed-requests.js';
import type { SlackCall } from '../fake-slack.js';

/** A file the bot uploaded, kept by the fake Slack; the client downloads it by id. */
export interface ChannelFile {
  id: string;
  name: string;
  title: string;
  size: number;
}

/** One message as the client shows it: what the bot sent, folded from its Web API calls. */
export interface ChannelMessage {
  /** Stable across edits: the ts for messages, a generated id for ephemerals. */
  id: string;
  channel: string;
  ts: string;
  /** Replies carry their parent's ts. */
  threadTs?: string;
  /** Who wrote it: the bot's user id, or `USLACKBOT` for the playground's own notes. */
  author: string;
  /** Ephemeral messages are shown to this user only ("Only visible to you"). */
  ephemeralFor?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  files?: ChannelFile[];
  /** Times edited in place (chat.update, replace_original). */
  edits: number;
  /** Server time it was first posted (ms). */
  postedAt: number;
  /** Removed (delete_original): the client drops it. */
  deleted?: true;
}

/** A modal (views.open) or App Home (views.publish), when the bot uses them. */
export interface Surface {
  kind: 'modal' | 'home';
  user: string;
  title: string;
  blocks: unknown[];
  /** Modals: the submit button's label, and what a submission sends back. */
  submit?: string;
  callbackId?: string;
  privateMetadata?: string;
  /** Modals: what the bot answered to the last submission (response_action errors), by block id. */
  errors?: Record<string, string>;
  /** Closed (submitted or dismissed): the client drops it. */
  closed?: true;
}

export type ChannelChange = { kind: 'message'; message: ChannelMessage } | { kind: 'surface'; surface: Surface };

/** Who a response_url was handed to, so what is posted there reaches them (and the card it came from). */
export interface ResponseTarget {
  user: string;
  channel: string;
  /** The message whose button was clicked (replace_original / delete_original act on it). */
  messageId?: string;
}

const BOT = 'UAPOLLOBOT';

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function array(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/**
 * The playground's channel: every message the bot posted, edited, uploaded or answered privately,
 * rebuilt from the calls it made to the fake Slack. It keeps Slack's rules that people see:
 * replies in threads, edits in place, ephemerals for one person only.
 */
export class PlaygroundChannel {
  private readonly messages = new Map<string, ChannelMessage>();
  private readonly surfaces = new Map<string, Surface>();
  private readonly uploadNames = new Map<string, { name: string; size: number }>();
  private readonly responseTargets = new Map<string, ResponseTarget>();
  private readonly listeners = new Set<(change: ChannelChange) => void>();
  private seq = 0;

  constructor(readonly channelId: string) {}

  /** Every message, oldest first (ephemerals included: the client shows each to its own user). */
  all(): ChannelMessage[] {
    return [...this.messages.values()].sort((a, b) => a.postedAt - b.postedAt || a.id.localeCompare(b.id));
  }

  allSurfaces(): Surface[] {
    return [...this.surfaces.values()];
  }

  /** The modal open for a person, if any. */
  modalOf(user: string): Surface | undefined {
    return this.surfaces.get(`modal:${user}`);
  }

  /** The App Home the bot last published for a person, if any. */
  homeOf(user: string): Surface | undefined {
    return this.surfaces.get(`home:${user}`);
  }

  /** A person's modal was submitted (and the bot closed it) or dismissed. */
  closeModal(user: string): void {
    const modal = this.surfaces.get(`modal:${user}`);
    if (!modal) return;
    this.surfaces.delete(`modal:${user}`);
    this.emit({ kind: 'surface', surface: { ...modal, closed: true } });
  }

  /** The bot refused a submission: the modal stays, with what the bot said by block. */
  modalErrors(user: string, errors: Record<string, string>): void {
    const modal = this.surfaces.get(`modal:${user}`);
    if (!modal) return;
    const next = { ...modal, errors };
    this.surfaces.set(`modal:${user}`, next);
    this.emit({ kind: 'surface', surface: next });
  }

  get(id: string): ChannelMessage | undefined {
    return this.messages.get(id);
  }

  /** The name a file was uploaded with. */
  fileName(id: string): string | undefined {
    return this.uploadNames.get(id)?.name;
  }

  subscribe(listener: (change: ChannelChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Remembers who a response_url belongs to before the request carrying it is sent. */
  expectResponse(responseUrlId: string, target: ResponseTarget): void {
    this.responseTargets.set(responseUrlId, target);
  }

  /** The playground's own private note (an unknown slash command, an answer in an ack). */
  ephemeral(user: string, text: string, author = 'USLACKBOT', blocks?: unknown[]): ChannelMessage {
    return this.put({ id: `e${++this.seq}`, channel: this.channelId, ts: this.nextTs(), author, ephemeralFor: user, text, ...(blocks ? { blocks } : {}), edits: 0, postedAt: Date.now() });
  }

  /** Folds one Web API call (or response_url post) of the bot into the channel. */
  record(call: SlackCall): void {
    const body = call.body;
    switch (call.method) {
      case 'chat.postMessage': {
        const ts = str(call.response?.ts);
        if (!ts) return;
        // Posted to a person (the bot's answers to App Home clicks go to their messages with the app):
        // the playground has one channel, so it shows there to that person only.
        const toPerson = /^[UW][A-Z0-9]{2,}$/.test(str(body.channel));
        this.put({
          id: ts,
          channel: str(body.channel),
          ts,
          ...(body.thread_ts ? { threadTs: str(body.thread_ts) } : {}),
          ...(toPerson ? { ephemeralFor: str(body.channel) } : {}),
          author: BOT,
          ...this.content(body),
          edits: 0,
          postedAt: call.at,
        });
        return;
      }
      case 'chat.update': {
        const existing = this.messages.get(str(body.ts));
        if (!existing) return;
        // Slack keeps attachments a chat.update leaves out.
        this.put({ ...existing, ...this.content(body), ...(body.attachments === undefined && existing.attachments ? { attachments: existing.attachments } : {}), edits: existing.edits + 1 });
        return;
      }
      case 'chat.postEphemeral':
        this.ephemeral(str(body.user), str(body.text), BOT, array(parseJson(body.blocks)));
        return;
      case 'response_url':
        this.respond(str(body.response_url_id), body);
        return;
      case 'files.getUploadURLExternal': {
        const id = str(call.response?.file_id);
        if (id) this.uploadNames.set(id, { name: str(body.filename) || id, size: Number(body.length) || 0 });
        return;
      }
      case 'files.completeUploadExternal': {
        const files = (array(parseJson(body.files)) ?? []).map((f) => {
          const file = f as { id?: unknown; title?: unknown };
          const id = str(file.id);
          const known = this.uploadNames.get(id);
          return { id, name: known?.name ?? id, title: str(file.title) || known?.name || id, size: known?.size ?? 0 };
        });
        const ts = this.nextTs();
        this.put({
          id: ts,
          channel: str(body.channel_id) || this.channelId,
          ts,
          ...(body.thread_ts ? { threadTs: str(body.thread_ts) } : {}),
          author: BOT,
          text: str(body.initial_comment),
          files,
          edits: 0,
          postedAt: call.at,
        });
        return;
      }
      case 'views.open':
      case 'views.push':
      case 'views.update':
      case 'views.publish': {
        const view = parseJson(body.view) as { type?: unknown; title?: { text?: unknown }; submit?: { text?: unknown }; blocks?: unknown; callback_id?: unknown; private_metadata?: unknown } | undefined;
        if (!view) return;
        const kind = call.method === 'views.publish' ? 'home' : 'modal';
        // views.open names no user: the playground's trigger ids carry the person they were made for.
        const user = str(body.user_id) || triggerUser(str(body.trigger_id)) || 'UNKNOWN';
        const surface: Surface = {
          kind,
          user,
          title: str(view.title?.text) || (kind === 'home' ? 'Home' : 'Modal'),
          blocks: array(view.blocks) ?? [],
          ...(view.submit ? { submit: str(view.submit.text) } : {}),
          ...(kind === 'modal' ? { callbackId: str(view.callback_id), privateMetadata: str(view.private_metadata) } : {}),
        };
        this.surfaces.set(`${kind}:${user}`, surface);
        this.emit({ kind: 'surface', surface });
        return;
      }
      default:
        return;
    }
  }

  private respond(responseUrlId: string, body: Record<string, unknown>): void {
    const target = this.responseTargets.get(responseUrlId);
    if (!target) return;
    const original = target.messageId ? this.messages.get(target.messageId) : undefined;
    if (original && body.delete_original === true) {
      this.messages.delete(original.id);
      this.emit({ kind: 'message', message: { ...original, text: '', blocks: [], deleted: true } });
      return;
    }
    if (original && (body.replace_original === true || body.replace_original === 'true')) {
      this.put({ ...original, ...this.content(body), edits: original.edits + 1 });
      return;
    }
    if (body.response_type === 'in_channel') {
      const ts = this.nextTs();
      this.put({ id: ts, channel: target.channel, ts, author: BOT, ...this.content(body), edits: 0, postedAt: Date.now() });
      return;
    }
    this.ephemeral(target.user, str(body.text), BOT, array(parseJson(body.blocks)));
  }

  private content(body: Record<string, unknown>): Pick<ChannelMessage, 'text' | 'blocks' | 'attachments'> {
    const blocks = array(parseJson(body.blocks));
    const attachments = array(parseJson(body.attachments));
    return { text: str(body.text), ...(blocks ? { blocks } : {}), ...(attachments ? { attachments } : {}) };
  }

  private nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
  }

  private put(message: ChannelMessage): ChannelMessage {
    this.messages.set(message.id, message);
    this.emit({ kind: 'message', message });
    return message;
  }

  private emit(change: ChannelChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
