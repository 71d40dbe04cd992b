import type { Delivery, WebhookContext } from './webhook-context.js';
import type { WebhookAnswer } from './json-route.js';
import type { Notification } from './notification.js';
import { runRefOf } from './notification-store.js';
import { chooseRoute, passesFilter } from './routing.js';
import { redisUnavailable } from './webhook-error.js';

/** Answered when the sender repeats a delivery: it was handled the first time. */
export const DUPLICATE: WebhookAnswer = { status: 200, body: { ok: true, result: 'duplicate' } };

/**
 * Claims the delivery, then runs `record`. A repeat gets undefined. If recording fails the claim is
 * dropped again, so the sender's retry is treated as new rather than as a repeat of nothing.
 */
export async function recordOnce<T>(ctx: WebhookContext, delivery: Delivery, record: () => Promise<T>): Promise<T | undefined> {
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

/**
 * A run's new state, from a verified and validated delivery: chooses the channel, compares a verdict
 * with the branch's last one, records the state, and answers. The post or edit follows the answer.
 */
export async function acceptNotification(ctx: WebhookContext, delivery: Delivery, n: Notification): Promise<WebhookAnswer> {
  const { config, logger } = ctx.services;
  const run = { repo: n.repo, pipeline: n.pipeline, runId: n.runId, attempt: n.attempt, status: n.status };
  const choice = chooseRoute(config, { event: n.source, repo: n.repo, branch: n.branch });
  if (!choice) {
    logger.warn({ delivery, run }, 'CI notification not posted: no route matches and `channel` is not set');
    return { status: 202, body: { ok: true, result: 'no_channel', message: 'accepted, but no channel is configured for it' } };
  }

  const recorded = await recordOnce(ctx, delivery, async () => {
    const transition = await ctx.transitions.observe(n);
    const state: Notification = transition ? { ...n, transition } : n;
    const version = await ctx.store.record(state);
    const posted = version > 0 && (await ctx.store.message(runRefOf(n))) !== undefined;
    return { state, version, posted };
  });
  if (!recorded) return DUPLICATE;
  const { state, version, posted } = recorded;
  if (version === 0) {
    return { status: 200, body: { ok: true, result: 'stale', message: 'a later state of this run was already received' } };
  }
  // A run already in the channel keeps being edited: its message must not freeze on an old state.
  if (!posted && !passesFilter(choice, state)) {
    return { status: 200, body: { ok: true, result: 'filtered', message: 'the matching route takes only failures and recoveries' } };
  }
  logger.info({ delivery, run, channel: choice.channel, transition: state.transition }, 'CI notification accepted');
  return {
    status: 202,
    body: { ok: true, result: 'accepted', channel: choice.channel, ...(state.transition ? { transition: state.transition } : {}) },
    after: () => ctx.publisher.publish(runRefOf(n), choice.channel),
  };
}
