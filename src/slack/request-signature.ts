import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's own rule: a request signed more than 5 minutes ago is refused. */
export const MAX_AGE_SECONDS = 5 * 60;

/**
 * A timestamp ahead of our clock is allowed this much skew and no more: NTP keeps honest clocks
 * within a second, and a signature dated in the future would otherwise stay valid for longer than
 * the five minutes every replay defence here is sized for.
 */
export const MAX_SKEW_SECONDS = 60;

/**
 * How long one signature can be accepted: from 60 s before its timestamp (skew) to 5 minutes after
 * it. A signature remembered this long from its first use is remembered until it can no longer pass.
 */
export const SIGNATURE_WINDOW_MS = (MAX_AGE_SECONDS + MAX_SKEW_SECONDS) * 1000;

const SIGNATURE = /^v0=([0-9a-f]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

export type SignatureCheck = { ok: true; signature: string } | { ok: false; reason: string };

export interface SignedHeaders {
  /** `x-slack-request-timestamp`: seconds since the epoch, as a string. */
  timestamp: string | undefined;
  /** `x-slack-signature`: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`. */
  signature: string | undefined;
}

/**
 * Checks Slack's request signature over the exact body bytes, in constant time, and the timestamp
 * it signs against `nowMs`. The reason of a refusal is for the log; the sender only learns 401.
 */
export function checkSlackSignature(secret: string, headers: SignedHeaders, raw: Buffer, nowMs: number): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !TIMESTAMP.test(timestamp)) return { ok: false, reason: 'x-slack-request-timestamp is missing or not a number of seconds' };
  const given = signature ? SIGNATURE.exec(signature) : null;
  if (!given) return { ok: false, reason: 'x-slack-signature is missing or not v0=<64 hex digits>' };
  const age = Math.floor(nowMs / 1000) - Number(timestamp);
  if (age > MAX_AGE_SECONDS) return { ok: false, reason: `the request was signed ${age} s ago (at most ${MAX_AGE_SECONDS} s)` };
  if (-age > MAX_SKEW_SECONDS) return { ok: false, reason: `the request is dated ${-age} s ahead (at most ${MAX_SKEW_SECONDS} s)` };
  const [whole, hex = ''] = given;
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(raw).digest();
  // Both 32 bytes: the pattern above admits exactly 64 hex digits.
  if (!timingSafeEqual(Buffer.from(hex, 'hex'), expected)) return { ok: false, reason: 'x-slack-signature does not match the body' };
  return { ok: true, signature: whole };
}
