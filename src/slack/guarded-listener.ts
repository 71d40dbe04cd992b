import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { HTTPModuleFunctions } from '@slack/bolt';
import type { Logger } from '../logger.js';
import { ErrorCode } from '../errors.js';

/** Slack's own bodies are small; Bolt's default limit. */
const SLACK_BODY_LIMIT = 4 * 1024 * 1024;

function answer(res: ServerResponse, status: number, error: string, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: false, error, message }));
}

/** An interaction whose `payload` is not a JSON object (null, an array, a string) would crash Bolt's parser. */
function malformedPayload(raw: Buffer, contentType: string | undefined): boolean {
  if (!contentType?.includes('application/x-www-form-urlencoded')) return false;
  const payload = new URLSearchParams(raw.toString('utf8')).get('payload');
  if (payload === null) return false;
  try {
    const parsed: unknown = JSON.parse(payload);
    return parsed === null || typeof parsed !== 'object' || Array.isArray(parsed);
  } catch {
    return true;
  }
}

/** Bolt's logger interface over pino, for Bolt's own error handler. */
function boltLogger(logger: Logger) {
  return {
    debug: (...m: unknown[]) => logger.debug(m.join(' ')),
    info: (...m: unknown[]) => logger.info(m.join(' ')),
    warn: (...m: unknown[]) => logger.warn(m.join(' ')),
    error: (...m: unknown[]) => logger.error(m.join(' ')),
    setLevel: () => undefined,
    getLevel: () => 'info' as never,
    setName: () => undefined,
  };
}

/**
 * Wraps Bolt's request listener: Slack's bodies are read here (Bolt uses a pre-read body as is),
 * payload shapes that would throw inside Bolt are answered 400, and nothing that goes wrong while
 * handling a request can escape as an unhandled error.
 */
export function guardedListener(inner: RequestListener, logger: Logger, slackPath = '/slack/events'): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (req.method === 'POST' && (req.url ?? '').split('?')[0] === slackPath) {
        let raw: Buffer;
        try {
          raw = await getRawBody(req, { limit: SLACK_BODY_LIMIT });
        } catch {
          answer(res, 413, ErrorCode.PayloadTooLarge, 'The request body is too large.');
          return;
        }
        if (malformedPayload(raw, req.headers['content-type'])) {
          answer(res, 400, ErrorCode.PayloadInvalid, 'The interaction payload is not a JSON object; nothing changed.');
          return;
        }
        (req as IncomingMessage & { rawBody: Buffer }).rawBody = raw;
      }
      try {
        await inner(req, res);
      } catch (error) {
        // What Bolt's own server does: an unknown path is a 404, anything else a 500.
        HTTPModuleFunctions.defaultDispatchErrorHandler({ error: error as Error, logger: boltLogger(logger), request: req, response: res });
      }
    })().catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'request handling failed');
      answer(res, 500, ErrorCode.Internal, 'Something went wrong on our side; nothing changed.');
    });
  };
}
