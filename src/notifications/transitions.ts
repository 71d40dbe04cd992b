import { SCRIPTS } from '../redis/scripts.js';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { transitionFrom, type Notification, type Transition } from './notification.js';

/**
 * Swaps in the new verdict and returns the one it replaced. A second report of the same run (a
 * repeated completion under another delivery id) gets the same answer as the first instead of
 * comparing the run with itself.
 */
export interface TransitionTrackerOptions {
  /** How long a pipeline's last verdict is remembered without a new run. Default 90 days. */
  ttlSeconds?: number;
}

/**
 * Keeps the verdict of the last completed run per (repo, pipeline, branch) and says what a new one
 * means: "broken by", "still failing", "fixed — back to normal". Only passed and failed are
 * verdicts: a canceled or skipped run says nothing about the branch, so it is not remembered.
 */
export class TransitionTracker {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: TransitionTrackerOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 90 * 24 * 3600;
  }

  async observe(n: Notification): Promise<Transition | undefined> {
    if ((n.status !== 'passed' && n.status !== 'failed') || !n.branch) return undefined;
    const key = this.keys.notificationLast(n.repo.toLowerCase(), n.pipeline, n.branch);
    const previous = (await this.redis.eval(SCRIPTS.observeTransition, 1, key, `${n.runId}#${n.attempt}`, n.status, String(this.ttlSeconds))) as string;
    return transitionFrom(previous === 'passed' || previous === 'failed' ? previous : undefined, n.status);
  }
}
