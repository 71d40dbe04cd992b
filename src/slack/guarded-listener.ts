import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HTTPModuleFunctions, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { randomUUID } from 'node:crypto';
import { withLogContext, type Logger } from '../logger.js';
import { ErrorCode } from '../errors.js';
import { armBodyDeadline, DEFAULT_BODY_TIMEOUT_MS } from '../http/body-deadline.js';
import { canonicalTarget } from '../http/canonical-path.js';
import { readRawBody } from '../webhooks/raw-body.js';
import { isWebhookError } from '../webhooks/webhook-error.js';
import type { ReplayGuard } from './replay-guard.js';
import { checkSlackSignature } from './request-signature.js';

/** Slack's own bodies are small; Bolt's default limit. */
const SLACK_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * The replay check's share of Slack's 3 s: a Redis that hangs rather than refuses (the web
 * connection gives up after 2 s) must leave the command its own second to answer "queue unavailable".
 */
const REPLAY_CHECK_MS = 500;

export interface GuardOptions {
  /** Slack's signing secret: requests to `slackPath` are checked against it before anything else. */
  signingSecret: string;
  /** Tells a first request from a replay of it. */
  replay: ReplayGuard;
  /** How long any request's body may take once its headers are in. Default 10 s (DEFAULT_BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
  /** Default `/slack/events` (Bolt's endpoint). */
  slackPath?: string;
  /**
   * Paths under these prefixes (lower case, e.g. `/admin/queues`) reach their route with the case
   * they were sent in: the queue dashboard serves files and queue names whose case matters.
   */
  casedPrefixes?: string[];
}

/** A proxy's X-Request-Id when it is a plain token; otherwise a fresh one. */
function requestId(req: IncomingMessage): string {
  const given = singleHeader(req, 'x-request-id');
  return given && /^[A-Za-z0-9._:-]{1,100}$/.test(given) ? given : randomUUID();
}

function answer(req: IncomingMessage, res: ServerResponse, status: number, error: string, message: string): void {
  if (res.headersSent) return;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // A body left unread cannot be skipped reliably: the connection is not reused.
  if (!req.complete) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(JSON.stringify({ ok: false, error, message }));
}

function isForm(contentType: string | undefined): boolean {
  return Boolean(contentType?.includes('application/x-www-form-urlencoded'));
}

/** An interaction whose `payload` is not a JSON object (null, an array, a string) would crash Bolt's parser. */
function malformedPayload(raw: Buffer, contentType: string | undefined): boolean {
  if (!isForm(contentType)) return false;
  const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
  if (payload === null) return false;
  try {
    const parsed: unknown = JSON.parse(payload);
    return parsed === null || typeof parsed !== 'object' || Array.isArray(parsed);
  } catch {
    return true;
  }
}

/**
 * Slack's certificate probe (`ssl_check=1`) may come unsigned (Bolt lets it through unverified).
 * It is answered here and never reaches Bolt, so nothing smuggled next to it is acted on.
 */
function isSslCheck(raw: Buffer, contentType: string | undefined): boolean {
  return isForm(contentType) && new URLSearchParams(raw.toString('utf8')).get('ssl_check') === '1';
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
}

/** Bolt's logger interface over pino, for Bolt's own error handler. */
function boltLogger(logger: Logger): BoltLogger {
  return {
    debug: (...m: unknown[]) => logger.debug(m.join(' ')),
    info: (...m: unknown[]) => logger.info(m.join(' ')),
    warn: (...m: unknown[]) => logger.warn(m.join(' ')),
    error: (...m: unknown[]) => logger.error(m.join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/**
 * Reads and vets a request to Slack's endpoint. True when Bolt may have it (its raw body attached);
 * otherwise it has been answered. The order matters: the signature is checked on the raw bytes
 * before anything reads them as JSON, and a replay is answered before Bolt can act on it twice.
 */
async function admitSlackRequest(req: IncomingMessage, res: ServerResponse, logger: Logger, options: Required<Omit<GuardOptions, 'slackPath' | 'casedPrefixes'>>): Promise<boolean> {
  let raw: Buffer;
  try {
    raw = await readRawBody(req, SLACK_BODY_LIMIT, options.bodyTimeoutMs);
  } catch (err) {
    if (isWebhookError(err)) answer(req, res, err.status, err.code, `The request body could not be read: ${err.message}.`);
    else answer(req, res, 400, ErrorCode.PayloadInvalid, 'The request body could not be read.');
    return false;
  }
  const contentType = req.headers['content-type'];
  if (isSslCheck(raw, contentType)) {
    res.writeHead(200).end();
    return false;
  }
  const check = checkSlackSignature(
    options.signingSecret,
    { timestamp: singleHeader(req, 'x-slack-request-timestamp'), signature: singleHeader(req, 'x-slack-signature') },
    raw,
    Date.now(),
  );
  if (!check.ok) {
    logger.warn({ url: req.url, reason: check.reason }, 'Slack request refused: bad signature');
    answer(req, res, 401, ErrorCode.SignatureInvalid, 'The request signature is missing, stale or does not match; nothing changed.');
    return false;
  }
  let first = true;
  try {
    first = await withDeadline(options.replay.firstSeen(check.signature), REPLAY_CHECK_MS);
  } catch (err) {
    // Without Redis a replay cannot be told from a first request; let it through rather than refuse
    // Slack itself: every command and button then meets the same outage and answers "queue unavailable".
    logger.warn({ err }, 'could not check the Slack request for a replay; handling it');
  }
  if (!first) {
    logger.warn({ url: req.url }, 'Slack request replayed: answered, not acted on');
    // Slack expects 200 to any request it sent; an empty body says nothing to anyone who did not.
    res.writeHead(200).end();
    return false;
  }
  if (malformedPayload(raw, contentType)) {
    answer(req, res, 400, ErrorCode.PayloadInvalid, 'The interaction payload is not a JSON object; nothing changed.');
    return false;
  }
  (req as IncomingMessage & { rawBody: Buffer }).rawBody = raw;
  return true;
}

/**
 * Wraps Bolt's request listener, and with it every route on the server (Slack, webhooks, health):
 * each request gets a body deadline, and its path one spelling (req.url is rewritten) before any
 * router compares it. Slack's requests are then read and vetted here (Bolt uses a pre-read body as
 * is), and nothing that goes wrong while handling a request escapes as an unhandled error.
 */
export function guardedListener(inner: RequestListener, logger: Logger, options: GuardOptions): RequestListener {
  const slackPath = options.slackPath ?? '/slack/events';
  const vetting = { signingSecret: options.signingSecret, replay: options.replay, bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS };
  return (req: IncomingMessage, res: ServerResponse) => {
    // Every line logged while this request is handled carries its id; the answer says it too.
    const reqId = requestId(req);
    res.setHeader('x-request-id', reqId);
    void withLogContext({ reqId }, async () => {
      armBodyDeadline(req, res, vetting.bodyTimeoutMs);
      const target = canonicalTarget(req.url ?? '/');
      if (!target) {
        answer(req, res, 400, ErrorCode.PayloadInvalid, 'The request path is not valid.');
        return;
      }
      const cased = (options.casedPrefixes ?? []).some((p) => target.path === p || target.path.startsWith(`${p}/`));
      req.url = `${cased ? target.casedPath : target.path}${target.search}`;
      if (req.method === 'POST' && target.path === slackPath && !(await admitSlackRequest(req, res, logger, vetting))) return;
      try {
        await inner(req, res);
      } catch (error) {
        // What Bolt's own server does: an unknown path is a 404, anything else a 500.
        HTTPModuleFunctions.defaultDispatchErrorHandler({ error: error as Error, logger: boltLogger(logger), request: req, response: res });
      }
    }).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'request handling failed');
      answer(req, res, 500, ErrorCode.Internal, 'Something went wrong on our side; nothing changed.');
    });
  };
}
