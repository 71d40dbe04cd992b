import type { WebhookAnswer } from './json-route.js';
import type { Delivery, WebhookContext } from './webhook-context.js';
import { redisUnavailable } from './webhook-error.js';

/** Answered when the sender repeats a delivery: it was handled the first time. */
export const DUPLICATE: WebhookAnswer = { status: 200, body: { ok: true, result: 'duplicate' } };

/**
 * Claims the delivery, then runs `record`. A repeat gets undefined. If recording fails the claim is
 * dropped again, so the sender's retry is treated as new rather than as a repeat of nothing.
 */
export async function recordOnce<T>(ctx: Pick<WebhookContext, 'dedup'>, delivery: Delivery, record: () => Promise<T>): Promise<T | undefined> {
  let first: boolean;
  try {
    first = await ctx.dedup.claim(delivery.source, delivery.id);
  } catch (err) {
    throw redisUnavailable(err);
  }
  if (!first) return undefined;
  try {
    return await record();
  } catch (err) {
    await ctx.dedup.release(delivery.source, delivery.id).catch(() => undefined);
    throw redisUnavailable(err);
  }
}
