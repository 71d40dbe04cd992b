import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { CustomRoute } from '@slack/bolt';
import { z } from 'zod';
import { ApolloError, ErrorCode, isApolloError } from '../../../errors.js';
import { assetPath } from '../../../asset-path.js';
import type { Logger } from '../../../logger.js';
import { formatIssues } from '../../../config/issues.js';
import { readRawBody } from '../../../webhooks/raw-body.js';
import type { FakeSlack } from '../fake-slack.js';
import { appHomeOpenedEvent, blockActionsForm, homeActionsForm, sendSigned, slashCommandForm, viewSubmissionForm, type SlackActor, type StateOption, type ViewStateValue } from '../signed-requests.js';
import type { PlaygroundPerson } from '../roster.js';
import type { ChannelMessage, PlaygroundChannel } from './channel.js';
import { loopbackProblem } from './loopback-guard.js';
import { toClientMessage, toClientSurface } from './message-html.js';
import type { Names } from './mrkdwn-html.js';

const PUBLIC = assetPath('slack/playground/client/public');
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/playground/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/playground/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
/** The page loads nothing but its own files; attachment colours are set by script, not inline style. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const API_BODY_LIMIT = 64 * 1024;
const SSE_PING_MS = 15_000;

export interface ClientRoutesDeps {
  channel: PlaygroundChannel;
  slack: Pick<FakeSlack, 'responseUrl' | 'uploads'>;
  roster: readonly PlaygroundPerson[];
  names: Names;
  teamId: string;
  channelName: string;
  /** The bot's signing secret: the client's requests are signed as Slack signs them. */
  signingSecret: string;
  logger: Logger;
}

const UserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a user id');
const CommandRequest = z.strictObject({ user: UserId, text: z.string().trim().min(1, 'type a command').max(4000) });
const ViewRequest = z.strictObject({
  user: UserId,
  /** false: the person closed the modal without submitting it. */
  submit: z.boolean(),
  /** By block and action id: what was typed (a string), or the values of the options chosen. */
  values: z.record(z.string().max(255), z.record(z.string().max(255), z.union([z.string().max(3000), z.strictObject({ selected: z.array(z.string().max(150)).max(10) })]))).default({}),
});
const HomeRequest = z.strictObject({ user: UserId });
const HomeActionRequest = z.strictObject({
  user: UserId,
  actionId: z.string().min(1).max(255),
  blockId: z.string().max(255),
  value: z.string().max(2000),
});
const ActionRequest = z.strictObject({
  user: UserId,
  messageId: z.string().min(1).max(100),
  actionId: z.string().min(1).max(255),
  blockId: z.string().max(255),
  value: z.string().max(2000),
});

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

function statusOf(err: ApolloError): number {
  if (err.code === ErrorCode.NotAllowed) return 403;
  if (err.code === ErrorCode.RunUnknown) return 404;
  if (err.code === ErrorCode.PayloadTooLarge) return 413;
  return 400;
}

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  if (!req.headers['content-type']?.startsWith('application/json')) {
    // A form post from another page cannot set this type without a CORS preflight, which is never answered.
    throw new ApolloError(ErrorCode.PayloadInvalid, 'expected application/json');
  }
  const raw = await readRawBody(req, API_BODY_LIMIT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApolloError(ErrorCode.PayloadInvalid, 'the body is not JSON');
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new ApolloError(ErrorCode.PayloadInvalid, 'the request is not valid', { details: formatIssues(result.error) });
  return result.data;
}

interface FoundButton {
  blockId: string;
  text: string;
}

/** The button a click names, if the message (or App Home) really carries it (the client sends only what it was shown). */
function findButton(message: Pick<ChannelMessage, 'blocks' | 'attachments'>, actionId: string, value: string): FoundButton | undefined {
  const blockLists = [message.blocks ?? [], ...(message.attachments ?? []).map((a) => (a as { blocks?: unknown[] }).blocks ?? [])];
  for (const blocks of blockLists) {
    for (const block of blocks as { block_id?: string; elements?: unknown[]; accessory?: unknown }[]) {
      for (const element of [...(block.elements ?? []), block.accessory] as { type?: string; action_id?: string; value?: string; text?: { text?: string } }[]) {
        if (element?.type === 'button' && element.action_id === actionId && (element.value ?? '') === value) {
          return { blockId: block.block_id ?? '', text: element.text?.text ?? '' };
        }
      }
    }
  }
  return undefined;
}

type InputElement = { type?: string; action_id?: string; options?: StateOption[] };

/**
 * A modal's state as Slack sends it on submit, from what the client filled in: each value must
 * name an input of the modal, of its kind (text for a text input, options for the others), and
 * only options the modal offers; options go back with the text the bot gave them.
 */
function viewState(blocks: unknown[], values: z.infer<typeof ViewRequest>['values']): Record<string, Record<string, ViewStateValue>> {
  const inputs = new Map<string, InputElement>();
  for (const block of blocks as { type?: string; block_id?: string; element?: InputElement }[]) {
    if (block?.type === 'input' && block.element) inputs.set(`${block.block_id ?? ''}\n${block.element.action_id ?? ''}`, block.element);
  }
  const state: Record<string, Record<string, ViewStateValue>> = {};
  for (const [blockId, actions] of Object.entries(values)) {
    for (const [actionId, value] of Object.entries(actions)) {
      const element = inputs.get(`${blockId}\n${actionId}`);
      const invalid = (why: string) => new ApolloError(ErrorCode.PayloadInvalid, `${blockId}/${actionId}: ${why}`);
      if (!element) throw invalid('the modal has no such input');
      let entry: ViewStateValue;
      if (element.type === 'plain_text_input') {
        if (typeof value !== 'string') throw invalid('expected typed text');
        entry = { type: 'plain_text_input', value };
      } else if (element.type === 'checkboxes' || element.type === 'radio_buttons' || element.type === 'static_select') {
        if (typeof value === 'string') throw invalid('expected chosen options');
        const offered = element.options ?? [];
        const chosen = [...new Set(value.selected)].map((v) => offered.find((o) => o.value === v) ?? v);
        const unknown = chosen.find((o): o is string => typeof o === 'string');
        if (unknown !== undefined) throw invalid(`the input has no option ${JSON.stringify(unknown)}`);
        const options = (chosen as StateOption[]).map((o) => ({ text: o.text, value: o.value }));
        if (element.type === 'checkboxes') entry = { type: 'checkboxes', selected_options: options };
        else if (options.length > 1) throw invalid('choose one option at most');
        else entry = { type: element.type, selected_option: options[0] ?? null };
      } else {
        throw invalid(`the playground cannot fill a ${element.type ?? 'missing'} input`);
      }
      (state[blockId] ??= {})[actionId] = entry;
    }
  }
  return state;
}

/**
 * The playground's local client: the page (`GET /`), its script and styles, and a small JSON and
 * server-sent-events API over the playground's channel. People act through it as a person of the
 * roster; every command and click goes to the bot's own `/slack/events`, signed as Slack signs,
 * through the same guard as Slack's requests. Loopback only, and never in production.
 */
export function playgroundClientRoutes(deps: ClientRoutesDeps): CustomRoute[] {
  if (process.env.NODE_ENV === 'production') {
    throw new ApolloError(ErrorCode.EnvInvalid, 'the playground client never runs under NODE_ENV=production');
  }
  const files = Object.fromEntries(Object.entries(STATIC).map(([path, { file }]) => [path, readFileSync(join(PUBLIC, file))]));
  const person = (id: string): PlaygroundPerson => {
    const found = deps.roster.find((p) => p.id === id);
    if (!found) throw new ApolloError(ErrorCode.NotAllowed, `${id} is not on the playground's roster`);
    return found;
  };
  const actor = (p: PlaygroundPerson): SlackActor => ({ userId: p.id, userName: p.name, teamId: deps.teamId, channelId: deps.channel.channelId, channelName: deps.channelName });
  const endpoint = (req: IncomingMessage) => `http://127.0.0.1:${req.socket.localPort}/slack/events`;
  const responseUrlId = (url: string) => url.split('/').pop() ?? '';

  /** Every route: loopback only, typed errors as JSON with their stable code. */
  const guarded =
    (handle: (req: IncomingMessage, res: ServerResponse, params: Record<string, string | string[]>) => Promise<void> | void) =>
    (req: IncomingMessage & { params?: Record<string, string | string[]> }, res: ServerResponse) => {
      const problem = loopbackProblem(req);
      if (problem) {
        deps.logger.warn({ url: req.url, problem }, 'playground client request refused');
        sendJson(res, 403, { ok: false, error: ErrorCode.NotAllowed, message: `The playground answers this machine only: ${problem}.` });
        return;
      }
      void Promise.resolve()
        .then(() => handle(req, res, req.params ?? {}))
        .catch((err: unknown) => {
          if (isApolloError(err)) {
            sendJson(res, statusOf(err), { ok: false, error: err.code, message: err.message, details: err.details });
            return;
          }
          deps.logger.error({ err, url: req.url }, 'playground client request failed');
          sendJson(res, 500, { ok: false, error: ErrorCode.Internal, message: 'The playground failed; see its log.' });
        });
    };

  const staticRoutes: CustomRoute[] = Object.entries(STATIC).map(([path, { type }]) => ({
    path,
    method: ['GET'],
    handler: guarded((_req, res) => {
      res.writeHead(200, { 'content-type': type, ...PAGE_HEADERS });
      res.end(files[path]);
    }),
  }));

  const snapshot = () => ({
    messages: deps.channel.all().map((m) => toClientMessage(m, deps.names)),
    surfaces: deps.channel.allSurfaces().map((s) => toClientSurface(s, deps.names)),
  });

  return [
    ...staticRoutes,
    {
      path: '/playground/api/state',
      method: ['GET'],
      handler: guarded((_req, res) => {
        sendJson(res, 200, { ok: true, roster: deps.roster, channel: { id: deps.channel.channelId, name: deps.channelName }, ...snapshot() });
      }),
    },
    {
      // Live: every post, edit, reply and upload as it happens (the browser's EventSource reconnects by itself).
      path: '/playground/api/events',
      method: ['GET'],
      handler: guarded((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
        const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        send('snapshot', snapshot());
        const unsubscribe = deps.channel.subscribe((change) => {
          if (change.kind === 'message') send('message', toClientMessage(change.message, deps.names));
          else send('surface', toClientSurface(change.surface, deps.names));
        });
        const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
        ping.unref();
        req.once('close', () => {
          unsubscribe();
          clearInterval(ping);
        });
      }),
    },
    {
      path: '/playground/api/command',
      method: ['POST'],
      handler: guarded(async (req, res) => {
        const { user, text } = await readJson(req, CommandRequest);
        const who = person(user);
        const [command = '', ...rest] = text.split(/\s+/);
        if (command !== '/apollo') {
          // What Slack says to an unknown slash command; anything else would be a chat message, which the bot never reads.
          const said = command.startsWith('/')
            ? `\`${command}\` is not a valid command. Only \`/apollo\` is installed in this playground: try \`/apollo help\`.`
            : 'The bot reads slash commands only: try `/apollo help`.';
          deps.channel.ephemeral(who.id, said);
          sendJson(res, 200, { ok: true, status: 0 });
          return;
        }
        const responseUrl = deps.slack.responseUrl();
        deps.channel.expectResponse(responseUrlId(responseUrl), { user: who.id, channel: deps.channel.channelId });
        const answer = await sendSigned(endpoint(req), deps.signingSecret, slashCommandForm(actor(who), '/apollo', rest.join(' '), responseUrl));
        // An answer in the ack itself (a usage error, a refusal) is private to the person who typed.
        if (answer.body.trim().startsWith('{')) {
          const ack = JSON.parse(answer.body) as { text?: string; blocks?: unknown[] };
          if (ack.text || ack.blocks) deps.channel.ephemeral(who.id, ack.text ?? '', 'UAPOLLOBOT', ack.blocks);
        } else if (answer.body.trim() && answer.status === 200) {
          deps.channel.ephemeral(who.id, answer.body, 'UAPOLLOBOT');
        }
        sendJson(res, 200, { ok: answer.status === 200, status: answer.status });
      }),
    },
    {
      // A modal submitted (or closed): sent as Slack sends a view_submission; the bot's errors stay in the modal.
      path: '/playground/api/view',
      method: ['POST'],
      handler: guarded(async (req, res) => {
        const request = await readJson(req, ViewRequest);
        const who = person(request.user);
        const modal = deps.channel.modalOf(who.id);
        if (!modal?.callbackId) throw new ApolloError(ErrorCode.RunUnknown, 'no modal is open for this user');
        if (!request.submit) {
          deps.channel.closeModal(who.id);
          sendJson(res, 200, { ok: true, status: 0 });
          return;
        }
        const form = viewSubmissionForm(actor(who), { callbackId: modal.callbackId, privateMetadata: modal.privateMetadata ?? '' }, viewState(modal.blocks, request.values));
        const answer = await sendSigned(endpoint(req), deps.signingSecret, form);
        const ack = answer.body.trim().startsWith('{') ? (JSON.parse(answer.body) as { response_action?: string; errors?: Record<string, string> }) : {};
        if (ack.response_action === 'errors' && ack.errors) deps.channel.modalErrors(who.id, ack.errors);
        else if (answer.status === 200) deps.channel.closeModal(who.id);
        sendJson(res, 200, { ok: answer.status === 200, status: answer.status });
      }),
    },
    {
      path: '/playground/api/action',
      method: ['POST'],
      handler: guarded(async (req, res) => {
        const click = await readJson(req, ActionRequest);
        const who = person(click.user);
        const message = deps.channel.get(click.messageId);
        if (!message || (message.ephemeralFor && message.ephemeralFor !== who.id)) {
          throw new ApolloError(ErrorCode.RunUnknown, 'that message is not in the channel for this user');
        }
        const button = findButton(message, click.actionId, click.value);
        if (!button) throw new ApolloError(ErrorCode.PayloadInvalid, 'that message has no such button');
        const responseUrl = deps.slack.responseUrl();
        deps.channel.expectResponse(responseUrlId(responseUrl), { user: who.id, channel: deps.channel.channelId, messageId: message.id });
        const form = blockActionsForm(
          actor(who),
          { actionId: click.actionId, blockId: button.blockId, value: click.value, text: button.text, messageTs: message.ts, ephemeral: message.ephemeralFor !== undefined },
          responseUrl,
        );
        const answer = await sendSigned(endpoint(req), deps.signingSecret, form);
        sendJson(res, 200, { ok: answer.status === 200, status: answer.status });
      }),
    },
    {
      // The Home tab opened: an Events API app_home_opened for this person (a fresh event id, as
      // each opening is a new event); the bot answers with views.publish, which the channel keeps.
      path: '/playground/api/home',
      method: ['POST'],
      handler: guarded(async (req, res) => {
        const who = person((await readJson(req, HomeRequest)).user);
        const event = appHomeOpenedEvent({ userId: who.id, teamId: deps.teamId }, `Ev${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`);
        const answer = await sendSigned(endpoint(req), deps.signingSecret, event, 'application/json');
        sendJson(res, 200, { ok: answer.status === 200, status: answer.status });
      }),
    },
    {
      // A button on the App Home: block_actions from a view (no channel, no response_url).
      path: '/playground/api/home-action',
      method: ['POST'],
      handler: guarded(async (req, res) => {
        const click = await readJson(req, HomeActionRequest);
        const who = person(click.user);
        const home = deps.channel.homeOf(who.id);
        if (!home) throw new ApolloError(ErrorCode.RunUnknown, 'no App Home was published for this user');
        const button = findButton({ blocks: home.blocks }, click.actionId, click.value);
        if (!button || button.blockId !== click.blockId) throw new ApolloError(ErrorCode.PayloadInvalid, 'that App Home has no such button');
        const form = homeActionsForm(actor(who), { actionId: click.actionId, blockId: button.blockId, value: click.value, text: button.text });
        const answer = await sendSigned(endpoint(req), deps.signingSecret, form);
        sendJson(res, 200, { ok: answer.status === 200, status: answer.status });
      }),
    },
    {
      path: '/playground/api/files/:id',
      method: ['GET'],
      handler: guarded((_req, res, params) => {
        // The server gives every path one spelling (lower case) before routing: ids are matched without case.
        const wanted = typeof params.id === 'string' ? params.id.toLowerCase() : '';
        const id = [...deps.slack.uploads.keys()].find((key) => key.toLowerCase() === wanted) ?? wanted;
        const content = deps.slack.uploads.get(id);
        if (!content) throw new ApolloError(ErrorCode.RunUnknown, `no file ${id}`);
        const name = deps.channel.fileName(id) ?? `${id}.txt`;
        res.writeHead(200, {
          'content-type': 'text/plain; charset=utf-8',
          'content-disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        });
        res.end(content);
      }),
    },
  ];
}
