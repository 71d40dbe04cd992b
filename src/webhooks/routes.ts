import type { CustomRoute } from '@slack/bolt';
import type { Services } from '../services.js';

export interface WebhookSecrets {
  github?: string;
  ci?: string;
}

/** Routes under /webhooks/*, served by the same HTTP server as /slack/events. */
export function webhookRoutes(_services: Services, _secrets: WebhookSecrets): CustomRoute[] {
  return [];
}
