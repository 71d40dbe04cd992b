import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

export type WebhookSource = 'github' | 'ci';

export interface DeliveryDedupOptions {
  /** How long a delivery id is remembered. Default 24 h (GitHub redelivers by hand, within days at most). */
  ttlSeconds?: number;
}

/**
 * Remembers which deliveries were handled, so a sender's retry of one it thinks failed (a timeout,
 * a "Redeliver" click) is answered without a second post or build. SET NX: of two copies arriving at
 * once, exactly one is first.
 */
export class DeliveryDedup {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: DeliveryDedupOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 24 * 3600;
  }

  /** True for the first delivery with this id. */
  async claim(source: WebhookSource, id: string): Promise<boolean> {
    const set = await this.redis.set(this.keys.webhookDelivery(source, id), String(Date.now()), 'EX', this.ttlSeconds, 'NX');
    return set === 'OK';
  }

  /** Forgets a delivery whose handling failed before anything was recorded, so its retry is not a "repeat". */
  async release(source: WebhookSource, id: string): Promise<void> {
    await this.redis.del(this.keys.webhookDelivery(source, id));
  }
}
