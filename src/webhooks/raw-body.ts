import type { IncomingMessage } from 'node:http';
import { DEFAULT_BODY_TIMEOUT_MS } from '../http/body-deadline.js';
import { WebhookError, WebhookErrorCode } from './webhook-error.js';

/** GitHub's payloads are far below this; a larger body is refused before it is held in memory. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(maxBytes: number): WebhookError {
  return new WebhookError(WebhookErrorCode.PayloadTooLarge, 413, `the body is larger than ${maxBytes} bytes`);
}

function timedOut(timeoutMs: number): WebhookError {
  // WebhookErrorCode (webhook-error.ts) does not list this code yet; it is one of ErrorCode's all the same.
  return new WebhookError(WebhookErrorCode.RequestTimeout, 408, `the body did not arrive within ${timeoutMs} ms`);
}

/**
 * The request body exactly as sent: signatures are computed over these bytes, so nothing may parse
 * or re-encode them first. Refuses with 413 as soon as the body passes `maxBytes` (or says it will),
 * and with 408 when it is not complete within `timeoutMs` (a sender that stalls or trickles must
 * not hold the read open); either way the rest is discarded so the answer can still be written.
 * Behind the HTTP guard the connection is then closed by its body deadline (src/http/body-deadline.ts).
 */
export function readRawBody(req: IncomingMessage, maxBytes: number = DEFAULT_MAX_BODY_BYTES, timeoutMs: number = DEFAULT_BODY_TIMEOUT_MS): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const discardRest = () => {
      // Keep the stream flowing into nothing: destroying it would take the socket, and the answer, with it.
      req.on('error', () => undefined);
      req.resume();
    };
    const timer = setTimeout(() => {
      cleanup();
      discardRest();
      reject(timedOut(timeoutMs));
    }, timeoutMs);
    timer.unref();
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        discardRest();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'the request body could not be read', { cause: err }));
    };
    const onClose = () => {
      if (req.complete) return;
      cleanup();
      reject(new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'the sender closed the connection before the body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
