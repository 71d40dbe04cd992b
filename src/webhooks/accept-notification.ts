import type { Notification } from '../notifications/notification.js';
import { runRefOf } from '../notifications/notification-store.js';
import { recordNotification } from '../notifications/notify.js';
import { chooseRoute } from '../notifications/routing.js';
import type { WebhookAnswer } from './json-route.js';
import { DUPLICATE, recordOnce } from './record-once.js';
import type { Delivery, WebhookContext } from './webhook-context.js';

/**
 * A run's new state, from a verified and validated delivery: recorded once per delivery, answered,
 * and posted or edited only after the answer, so the sender never waits on Slack.
 */
export async function acceptNotification(ctx: WebhookContext, delivery: Delivery, n: Notification): Promise<WebhookAnswer> {
  const { config, logger } = ctx.services;
  const run = { repo: n.repo, pipeline: n.pipeline, runId: n.runId, attempt: n.attempt, status: n.status };
  // A passed CI run makes its commit green for the deploy gate, whichever channel (if any) hears of it.
  if (n.status === 'passed') await ctx.services.greenBuilds.record(n.sha, { kind: 'ci', pipeline: n.pipeline });
  const choice = chooseRoute(config, { event: n.source, repo: n.repo, branch: n.branch });
  if (!choice) {
    logger.warn({ delivery, run }, 'CI notification not posted: no route matches and `channel` is not set');
    return { status: 202, body: { ok: true, result: 'no_channel', message: 'accepted, but no channel is configured for it' } };
  }

  const notified = await recordOnce(ctx, delivery, () => recordNotification(ctx, n, choice));
  if (!notified) return DUPLICATE;
  switch (notified.result) {
    case 'stale':
      return { status: 200, body: { ok: true, result: 'stale', message: 'a later state of this run was already received' } };
    case 'filtered':
      return { status: 200, body: { ok: true, result: 'filtered', message: 'the matching route takes only failures and recoveries' } };
    case 'accepted': {
      const { transition } = notified.state;
      logger.info({ delivery, run, channel: choice.channel, transition }, 'CI notification accepted');
      return {
        status: 202,
        body: { ok: true, result: 'accepted', channel: choice.channel, ...(transition ? { transition } : {}) },
        after: () => ctx.publisher.publish(runRefOf(n), choice.channel),
      };
    }
  }
}
