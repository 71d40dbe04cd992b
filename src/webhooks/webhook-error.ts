import { ErrorCode } from '../errors.js';

/**
 * Why a webhook request was refused. The codes shared with the rest of the bot keep their values;
 * the ones only a webhook sender can meet are added here. Stable: senders may branch on them.
 */
export const WebhookErrorCode = {
  NotConfigured: 'apollo_webhook_not_configured',
  SignatureInvalid: ErrorCode.SignatureInvalid,
  PayloadInvalid: ErrorCode.PayloadInvalid,
  PayloadTooLarge: 'apollo_payload_too_large',
  RedisUnavailable: ErrorCode.RedisUnavailable,
  Internal: 'apollo_internal_error',
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
