import { NotificationMessage } from '../slack/notification-message.js';
import { NotificationStore } from '../notifications/notification-store.js';
import { TransitionTracker } from '../notifications/transitions.js';
import type { Services } from '../services.js';
import { DeliveryDedup, type WebhookSource } from './delivery-dedup.js';

/** What the webhook handlers share: the bot's services plus the notification state in Redis. */
export interface WebhookContext {
  services: Services;
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
