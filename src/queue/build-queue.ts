import { Queue, type ConnectionOptions } from 'bullmq';
import type { Keys } from '../redis/keys.js';

export const BUILD_QUEUE = 'apollo-build';

/** Job data holds ids only: BullMQ stores it in clear text, and the run record has the rest. */
export interface BuildJobData {
  runId: string;
}

export const RETENTION = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 5000 },
};

export function createBuildQueue(connection: ConnectionOptions, keys: Keys): Queue<BuildJobData> {
  return new Queue<BuildJobData>(BUILD_QUEUE, { connection, prefix: keys.bullPrefix, defaultJobOptions: RETENTION });
}

/** The same commit built from the same channel runs once while one is queued or running. */
export function buildDedupId(channel: string, sha: string): string {
  return `build-${channel}-${sha}`;
}

/**
 * Queues a build. Returns the id of the run that will do it: `runId` when queued, or the run
 * already queued or running for the same channel and commit.
 */
export async function enqueueBuild(queue: Queue<BuildJobData>, runId: string, channel: string, sha: string): Promise<string> {
  const job = await queue.add(
    'build',
    { runId },
    {
      jobId: runId,
      deduplication: { id: buildDedupId(channel, sha) },
      // A crashed worker's build is retried once (stall recovery); a failing step is not retried.
      attempts: 1,
    },
  );
  return job.id ?? runId;
}
