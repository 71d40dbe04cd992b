import type { IncomingMessage } from 'node:http';
import { WebhookError, WebhookErrorCode } from './webhook-error.js';

/** GitHub's payloads are far below this; a larger body is refused before it is held in memory. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

function tooLarge(maxBytes: number): WebhookError {
  return new WebhookError(WebhookErrorCode.PayloadTooLarge, 413, `the body is larger than ${maxBytes} bytes`);
}

/**
 * The request body exactly as sent: signatures are computed over these bytes, so nothing may parse
 * or re-encode them first. Refuses with 413 as soon as the body passes `maxBytes` (or says it will),
 * and discards the rest so the answer can still be written.
 */
export function readRawBody(req: IncomingMessage, maxBytes: number = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        // Keep the stream flowing into nothing: destroying it would take the socket, and the 413, with it.
        req.on('error', () => undefined);
        req.resume();
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
