import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../errors.js';

/**
 * How long a request body may take to arrive once its headers are in. Slack's and GitHub's bodies
 * arrive in milliseconds; a client still sending after this is stalling or trickling on purpose,
 * holding a connection (and a buffer) for nothing.
 */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/**
 * Answers 408 and closes the connection when the body of `req` is not complete `ms` after this
 * call, whichever handler was (or was not) reading it: routes that never read a body, and bodies
 * still being drained after an early answer, are cut off too. A request whose body is complete in
 * time is left alone, however long its handler then takes.
 */
export function armBodyDeadline(req: IncomingMessage, res: ServerResponse, ms: number = DEFAULT_BODY_TIMEOUT_MS): void {
  const timer = setTimeout(() => {
    if (req.complete || req.socket.destroyed) return;
    if (!res.headersSent) {
      // `connection: close` makes Node end the socket once the answer is flushed.
      res.writeHead(408, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ ok: false, error: ErrorCode.RequestTimeout, message: `The request body did not arrive within ${ms} ms.` }));
      return;
    }
    // Already answered (a refusal before the body was read): the rest of the body is not worth waiting for.
    if (res.writableFinished) req.socket.destroySoon();
    else res.once('finish', () => req.socket.destroySoon());
  }, ms);
  // Never what keeps a stopping process alive.
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once('end', clear);
  req.once('close', clear);
}
