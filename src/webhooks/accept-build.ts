import { startBuild } from '../actions/request-build.js';
import { chooseRoute } from '../notifications/routing.js';
import type { BuildTrigger } from './github/triggers.js';
import type { WebhookAnswer } from './json-route.js';
import { DUPLICATE, recordOnce } from './record-once.js';
import type { Delivery, WebhookContext } from './webhook-context.js';

/**
 * Queues the bot's own build of the commit. Its run card, posted where the `build` route says, is
 * the notification: nothing else is posted for the push or pull request. Resolving the commit may
 * need a fetch, which can outlast GitHub's 10 s, so the build starts after the answer.
 */
/** What the log says of an auto-build, by how it started. */
const AUTO_BUILD_LOG = {
  queued: 'auto-build queued',
  duplicate: 'auto-build already queued or running',
  invalid: "auto-build not run: the commit's pipeline file is invalid (its card says why)",
} as const;

export async function acceptBuild(ctx: WebhookContext, delivery: Delivery, trigger: BuildTrigger): Promise<WebhookAnswer> {
  const { config, logger } = ctx.services;
  const choice = chooseRoute(config, { event: 'build', repo: trigger.repo, branch: trigger.branch });
  if (!choice) {
    logger.warn({ delivery, trigger }, 'auto-build skipped: no route for builds matches and `channel` is not set');
    return { status: 202, body: { ok: true, result: 'no_channel', message: 'accepted, but no channel is configured for its run card' } };
  }
  if (!(await recordOnce(ctx, delivery, async () => true))) return DUPLICATE;
  return {
    status: 202,
    body: { ok: true, result: 'build_requested', sha: trigger.sha, channel: choice.channel },
    after: async () => {
      try {
        const started = await startBuild(ctx.services, { ref: trigger.sha, requestedBy: `github:${trigger.login}`, channel: choice.channel });
        logger.info({ delivery, trigger, ...started }, AUTO_BUILD_LOG[started.status]);
      } catch (err) {
        // Let "Redeliver" on GitHub try again once the cause (an unreachable remote, Redis) is fixed.
        await ctx.dedup.release(delivery.source, delivery.id).catch(() => undefined);
        logger.error({ err, delivery, trigger }, 'auto-build could not be started');
      }
    },
  };
}
