import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { SIGNATURE_WINDOW_MS } from './request-signature.js';

/** Tells a signed request's first arrival from a replay of it. */
export interface ReplayGuard {
  /** True the first time a signature is seen within its window; rejects when the answer is unknown. */
  firstSeen(signature: string): Promise<boolean>;
}

export interface RedisReplayGuardOptions {
  /** How long a signature is remembered. Default SIGNATURE_WINDOW_MS (6 min: 5 min of age + 1 min of skew). */
  windowMs?: number;
}

/**
 * Remembers accepted signatures in Redis, shared by every web process: SET NX, so of two copies
 * arriving at once (on one process or two) exactly one is first. Only a digest is stored, so a
 * reader of Redis learns nothing it could send.
 */
export class RedisReplayGuard implements ReplayGuard {
  private readonly windowMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: RedisReplayGuardOptions = {},
  ) {
    this.windowMs = options.windowMs ?? SIGNATURE_WINDOW_MS;
  }

  async firstSeen(signature: string): Promise<boolean> {
    const digest = createHash('sha256').update(signature).digest('base64url');
    const set = await this.redis.set(this.keys.slackRequestSeen(digest), '1', 'PX', this.windowMs, 'NX');
    return set === 'OK';
  }
}
