import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { formatIssues, requiredErrorMap } from '../config/issues.js';
import { verifySha256Header } from '../slack/signing.js';
import { readRawBody } from './raw-body.js';
import { WebhookError, WebhookErrorCode } from './webhook-error.js';

export interface SignatureRule {
  /** The configured secret; without one every request is refused. */
  secret: string | undefined;
  /** The environment variable that holds it, named in the refusal so the operator knows what to set. */
  secretName: string;
  /** Header carrying `sha256=<hex>` of the raw body. */
  header: string;
  maxBytes?: number;
}

/** A header's value (the first, if repeated), or undefined when absent or empty. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first ? first : undefined;
}

/**
 * The raw body, once its HMAC matches. Checked before anything reads the content, and in constant
 * time; an unset secret refuses everything, so the route can never be open by omission.
 */
export async function readSignedBody(req: IncomingMessage, rule: SignatureRule): Promise<Buffer> {
  if (!rule.secret) {
    req.resume();
    throw new WebhookError(WebhookErrorCode.NotConfigured, 401, `${rule.secretName} is not set on the bot: every delivery is refused`);
  }
  const raw = await readRawBody(req, rule.maxBytes);
  if (!verifySha256Header(rule.secret, raw, header(req, rule.header))) {
    throw new WebhookError(WebhookErrorCode.SignatureInvalid, 401, `${rule.header} is missing or does not match the body`);
  }
  return raw;
}

/**
 * JSON from the body: `application/json`, or GitHub's form encoding with the JSON in `payload`.
 */
export function decodeJson(raw: Buffer, contentType: string | undefined): unknown {
  let text = raw.toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'a form-encoded body must carry the JSON in `payload`');
    text = payload;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'the body is not valid JSON', { cause: err });
  }
}

/** Validates at the edge: a 400 whose details name each problem by path (`status: …`). */
export function parsePayload<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value, { error: requiredErrorMap });
  if (!result.success) {
    throw new WebhookError(WebhookErrorCode.PayloadInvalid, 400, `invalid ${what}`, { details: formatIssues(result.error) });
  }
  return result.data;
}

/** Stands in for a delivery id the sender did not give: the same bytes are the same delivery. */
export function bodyDigest(raw: Buffer): string {
  return `sha256-${createHash('sha256').update(raw).digest('hex')}`;
}
