import { SCRIPTS } from '../redis/scripts.js';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { bodyDigest } from './signed-request.js';

export type WebhookSource = 'github' | 'ci';

export interface DeliveryDedupOptions {
  /** How long a delivery id is remembered. Default 24 h (GitHub redelivers by hand, within days at most). */
  ttlSeconds?: number;
}

/** The body digest's own shape (bodyDigest): the last part of a delivery id, after a space. */
const WITH_DIGEST = /^(.*) (sha256-[0-9a-f]{64})$/s;

/**
 * The id of one delivery: the sender's id, if it gave one, and always the digest of the exact
 * body. The sender's id is an unsigned header, so a captured body re-sent under a new id must
 * still be recognised; and a sender's retry may carry a re-encoded body under the same id.
 * `claim` and `release` act on both.
 */
export function deliveryId(senderId: string | undefined, raw: Buffer): string {
  const digest = bodyDigest(raw);
  return senderId === undefined ? digest : `${senderId} ${digest}`;
}

/** Claims every key, or none when any exists: of two copies arriving at once, exactly one is first. */
/**
 * Remembers which deliveries were handled, so a sender's retry of one it thinks failed (a timeout,
 * a "Redeliver" click) — or an attacker's replay of a captured one — is answered without a second
 * post or build.
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

  /** True for the first delivery with this id: neither its sender's id nor its body was seen. */
  async claim(source: WebhookSource, id: string): Promise<boolean> {
    const keys = this.keysOf(source, id);
    return (await this.redis.eval(SCRIPTS.claimAll, keys.length, ...keys, String(Date.now()), String(this.ttlSeconds))) === 1;
  }

  /** Forgets a delivery whose handling failed before anything was recorded, so its retry is not a "repeat". */
  async release(source: WebhookSource, id: string): Promise<void> {
    await this.redis.del(...this.keysOf(source, id));
  }

  private keysOf(source: WebhookSource, id: string): string[] {
    const parts = WITH_DIGEST.exec(id);
    return (parts ? parts.slice(1) : [id]).map((part) => this.keys.webhookDelivery(source, part));
  }
}
