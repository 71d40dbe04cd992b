import { Queue, type ConnectionOptions } from 'bullmq';
import type { Keys } from '../redis/keys.js';
import { RETENTION } from './build-queue.js';

/**
 * Delayed jobs of deploys: a kept deploy's reminder before its automatic destroy and the destroy,
 * and the end of an approval request (`access.approvalTtl`), which takes the card's buttons away.
 */
export const EXPIRY_QUEUE = 'apollo-expiry';

export interface ExpiryJobData {
  runId: string;
  kind: 'remind' | 'expire' | 'approval';
  /**
   * The lifetime's end this job was scheduled for: an Extend moves it, and older jobs see they are
   * stale. For `approval`, when the request expires.
   */
  at: number;
}

/**
 * The timers of kept deploys, as BullMQ delayed jobs in Redis: they survive restarts of every
 * process, and whichever worker is up when one is due runs it. A timer is never removed: an Extend
 * adds new ones, a destroy or a takeover makes them stale, and the job checks the run when it fires.
 */
export class ExpiryQueue {
  readonly queue: Queue<ExpiryJobData>;

  constructor(connection: ConnectionOptions, keys: Keys) {
    this.queue = new Queue<ExpiryJobData>(EXPIRY_QUEUE, { connection, prefix: keys.bullPrefix });
  }

  /** The reminder at `remindAt` and the destroy at `at`; the same (run, at) twice adds nothing. */
  async schedule(runId: string, at: number, remindAt: number): Promise<void> {
    const now = Date.now();
    await this.queue.addBulk([
      { name: 'remind', data: { runId, kind: 'remind', at }, opts: { jobId: `${runId}-remind-${at}`, delay: Math.max(0, remindAt - now), attempts: 3, backoff: { type: 'exponential', delay: 5000 }, ...RETENTION } },
      { name: 'expire', data: { runId, kind: 'expire', at }, opts: { jobId: `${runId}-expire-${at}`, delay: Math.max(0, at - now), attempts: 5, backoff: { type: 'exponential', delay: 5000 }, ...RETENTION } },
    ]);
  }

  /**
   * The end of a deploy's approval request, at `at`: the card loses its buttons without anyone
   * clicking. The same (run, at) twice adds nothing; a request decided before then makes it stale.
   */
  async scheduleApprovalExpiry(runId: string, at: number): Promise<void> {
    await this.queue.add('approval', { runId, kind: 'approval', at }, { jobId: `${runId}-approval-${at}`, delay: Math.max(0, at - Date.now()), attempts: 5, backoff: { type: 'exponential', delay: 5000 }, ...RETENTION });
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** When the reminder goes: `keepReminder` before the end, but never earlier than half the lifetime. */
export function reminderAt(at: number, keepMs: number, keepReminderMs: number): number {
  return at - Math.min(keepReminderMs, Math.floor(keepMs / 2));
}
