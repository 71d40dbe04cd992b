import type { CustomRoute } from '@slack/bolt';
import type { Services } from '../services.js';
import { ciWebhook } from './ci/handler.js';
import { githubWebhook } from './github/handler.js';
import { jsonRoute } from './json-route.js';
import type { WebhookContext } from './webhook-context.js';
import { NotificationMessage } from '../slack/notification-message.js';
import { NotificationStore } from '../notifications/notification-store.js';
import { TransitionTracker } from '../notifications/transitions.js';
import { DeliveryDedup } from './delivery-dedup.js';

export interface WebhookSecrets {
  github?: string;
  ci?: string;
}

/** The handlers' shared context, built once per web process. */
export function createWebhookContext(services: Services): WebhookContext {
  const { redis, keys, slack, logger } = services;
  const store = new NotificationStore(redis, keys);
  return {
    services,
    dedup: new DeliveryDedup(redis, keys),
    store,
    publisher: new NotificationMessage({ redis, keys, store, slack, logger }),
    transitions: new TransitionTracker(redis, keys),
  };
}

/** Routes under /webhooks/*, served by the same HTTP server as /slack/events. */
export function webhookRoutes(services: Services, secrets: WebhookSecrets): CustomRoute[] {
  const ctx = createWebhookContext(services);
  return [
    jsonRoute('/webhooks/github', services.logger, githubWebhook(ctx, { secret: secrets.github })),
    jsonRoute('/webhooks/ci', services.logger, ciWebhook(ctx, { secret: secrets.ci })),
  ];
}
