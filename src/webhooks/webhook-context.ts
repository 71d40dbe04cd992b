import type { NotificationMessage } from '../slack/notification-message.js';
import type { NotificationStore } from '../notifications/notification-store.js';
import type { TransitionTracker } from '../notifications/transitions.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { RequestBuildDeps } from '../actions/request-build.js';
import type { DeliveryDedup, WebhookSource } from './delivery-dedup.js';
import type { GreenBuilds } from '../runs/green-builds.js';

/**
 * What the webhook handlers share: what starting a build needs (pull requests and pushes start
 * builds the way a person does), the config, and the notification state in Redis.
 */
export interface WebhookContext {
  services: RequestBuildDeps & { config: Config; logger: Logger; greenBuilds: Pick<GreenBuilds, 'record'> };
  dedup: DeliveryDedup;
  store: NotificationStore;
  publisher: NotificationMessage;
  transitions: TransitionTracker;
}

/** One request from a sender, by the id the sender gives it (or a digest of its body). */
export interface Delivery {
  source: WebhookSource;
  id: string;
}
