import { ErrorCode } from '../errors.js';

/**
 * Why a webhook request was refused: the bot's own stable codes (src/errors.ts), the subset a
 * webhook sender can meet. Senders may branch on them.
 */
export const WebhookErrorCode = {
  NotConfigured: ErrorCode.WebhookNotConfigured,
  SignatureInvalid: ErrorCode.SignatureInvalid,
  PayloadInvalid: ErrorCode.PayloadInvalid,
  PayloadTooLarge: ErrorCode.PayloadTooLarge,
  RequestTimeout: ErrorCode.RequestTimeout,
  RedisUnavailable: ErrorCode.RedisUnavailable,
  Internal: ErrorCode.Internal,
} as const;

export type WebhookErrorCode = (typeof WebhookErrorCode)[keyof typeof WebhookErrorCode];

/** A refused webhook request: `status` is the HTTP answer, `details` the lines the sender reads. */
export class WebhookError extends Error {
  readonly code: WebhookErrorCode;
  readonly status: number;
  readonly details: string[];

  constructor(code: WebhookErrorCode, status: number, message: string, options: { details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebhookError';
    this.code = code;
    this.status = status;
    this.details = options.details ?? [];
  }
}

export function isWebhookError(err: unknown): err is WebhookError {
  return err instanceof WebhookError;
}

/** Redis did not answer: nothing was recorded, and the sender may retry the same delivery. */
export function redisUnavailable(cause: unknown): WebhookError {
  return new WebhookError(WebhookErrorCode.RedisUnavailable, 503, 'the bot cannot reach its store; nothing was recorded, retry later', { cause });
}
