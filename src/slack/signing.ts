import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's request signature: `v0=` + HMAC-SHA256(secret, `v0:${timestamp}:${rawBody}`). */
export function slackSignature(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export function signedSlackHeaders(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, timestamp, rawBody),
  };
}

/** `sha256=<hex>` HMAC of a raw body, as GitHub and the generic CI webhook sign it. */
export function hmacSha256Hex(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Constant-time check of a `sha256=<hex>` header against the raw body. */
export function verifySha256Header(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = Buffer.from(hmacSha256Hex(secret, rawBody), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
