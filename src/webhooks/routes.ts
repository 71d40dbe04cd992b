import type { CustomRoute } from '@slack/bolt';
import type { Services } from '../services.js';
import { ciWebhook } from './ci/handler.js';
import { githubWebhook } from './github/handler.js';
import { jsonRoute } from './json-route.js';
import { createWebhookContext } from './webhook-context.js';

export interface WebhookSecrets {
  github?: string;
  ci?: string;
}

/** Routes under /webhooks/*, served by the same HTTP server as /slack/events. */
export function webhookRoutes(services: Services, secrets: WebhookSecrets): CustomRoute[] {
  const ctx = createWebhookContext(services);
  return [
    jsonRoute('/webhooks/github', services.logger, githubWebhook(ctx, { secret: secrets.github })),
    jsonRoute('/webhooks/ci', services.logger, ciWebhook(ctx, { secret: secrets.ci })),
  ];
}
