import type { Queue } from 'bullmq';
import { locksActive, queueDepth, queueOldestWaiting } from './metrics.js';

/** The job states shown per queue; `completed` is left out: retention trims it, so it says nothing. */
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;

/** Queue depth by state, and the age of the oldest waiting job, read from Redis at scrape time. */
export function readQueues(queues: readonly Queue[]): () => Promise<void> {
  return async () => {
    await Promise.all(
      queues.map(async (queue) => {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) queueDepth.set({ queue: queue.name, state }, counts[state] ?? 0);
        const [oldest] = await queue.getJobs(['waiting', 'prioritized'], 0, 0, true);
        queueOldestWaiting.set({ queue: queue.name }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
      }),
    );
  };
}

/** How many clouds hold a run lock and how many a sticky lock, read at scrape time. */
export function readLocks(count: () => Promise<{ run: number; sticky: number }>): () => Promise<void> {
  return async () => {
    const { run, sticky } = await count();
    locksActive.set({ kind: 'run' }, run);
    locksActive.set({ kind: 'sticky' }, sticky);
  };
}
