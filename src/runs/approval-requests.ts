import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/**
 * A deploy's open approval request: a key with the approval TTL, whose absence means the request
 * expired. The only owner of these keys.
 */
export class ApprovalRequests {
  constructor(
    private readonly redis: Pick<Redis, 'set' | 'exists' | 'del'>,
    private readonly keys: Pick<Keys, 'deployRequest'>,
  ) {}

  async open(runId: string, requestedBy: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.deployRequest(runId), requestedBy, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async isOpen(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.deployRequest(runId))) === 1;
  }

  async close(runId: string): Promise<void> {
    await this.redis.del(this.keys.deployRequest(runId));
  }
}
