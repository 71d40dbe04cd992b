import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import type { Logger } from '../logger.js';
import { isWebhookError, WebhookErrorCode } from './webhook-error.js';
import { webhookDeliveries } from '../metrics/metrics.js';

/** What a webhook handler decided: the answer to send, and the work that may wait until it is sent. */
export interface WebhookAnswer {
  status: number;
  body: { ok: boolean; result?: string; [key: string]: unknown };
  /**
   * Slack calls and builds run after the answer is written: GitHub gives up after 10 s, and a
   * sender must never wait on Slack. Errors here are logged; the answer has already gone.
   */
  after?: () => Promise<void>;
}

export type WebhookHandler = (req: IncomingMessage) => Promise<WebhookAnswer>;

/**
 * A POST route whose every outcome is a JSON answer with a status code. Nothing a request does —
 * a bad body, a Redis outage, a bug — escapes into Bolt or the process.
 */
export function jsonRoute(path: string, logger: Logger, handle: WebhookHandler): CustomRoute {
  return {
    path,
    method: ['POST'],
    handler: (req, res) => {
      void serve(path, logger, handle, req, res);
    },
  };
}

async function serve(path: string, logger: Logger, handle: WebhookHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let answer: WebhookAnswer;
  try {
    answer = await handle(req);
  } catch (err) {
    answer = errorAnswer(path, logger, err);
  }
  // The result as the sender sees it: `accepted`, `duplicate`, `ignored`… or the error code.
  const result = answer.body.result ?? (typeof answer.body.error === 'string' ? answer.body.error : String(answer.status));
  webhookDeliveries.inc({ source: path.split('/').at(-1) ?? path, result });
  try {
    send(res, answer);
  } catch (err) {
    logger.warn({ err, path }, 'could not write the webhook answer');
  }
  const after = answer.after;
  if (after) {
    // Not awaited by anyone: it must settle on its own and never reject unobserved.
    void Promise.resolve()
      .then(after)
      .catch((err: unknown) => logger.error({ err, path }, 'webhook follow-up failed'));
  }
}

function errorAnswer(path: string, logger: Logger, err: unknown): WebhookAnswer {
  if (isWebhookError(err)) {
    const level = err.status >= 500 ? 'error' : 'warn';
    logger[level]({ err, path, code: err.code }, `webhook refused: ${err.message}`);
    return {
      status: err.status,
      body: { ok: false, error: err.code, message: err.message, ...(err.details.length > 0 ? { details: err.details } : {}) },
    };
  }
  logger.error({ err, path }, 'webhook handler failed');
  // Internals stay in the log; the sender learns only that it was our fault and may retry.
  return { status: 500, body: { ok: false, error: WebhookErrorCode.Internal, message: 'internal error; see the bot log' } };
}

function send(res: ServerResponse, answer: WebhookAnswer): void {
  if (res.headersSent || res.writableEnded) return;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  // The rest of an oversized body was not read: the connection cannot carry another request.
  if (answer.status === 413) headers.connection = 'close';
  res.writeHead(answer.status, headers);
  res.end(JSON.stringify(answer.body));
}
