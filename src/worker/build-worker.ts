import { Worker } from 'bullmq';
import { BUILD_QUEUE, type BuildJobData } from '../queue/build-queue.js';
import { createRedis } from '../redis/connection.js';
import type { Services } from '../services.js';
import { createBuildProcessor } from './build-processor.js';

export interface WorkerHandle {
  close(): Promise<void>;
}

/** A BullMQ worker for builds: its own blocking Redis connection, concurrency from the config. */
export function startBuildWorker(services: Services): WorkerHandle {
  const connection = createRedis(services.settings.redisUrl, 'blocking');
  const worker = new Worker<BuildJobData, string>(BUILD_QUEUE, createBuildProcessor(services), {
    connection,
    prefix: services.keys.bullPrefix,
    concurrency: services.config.worker.concurrency,
  });
  worker.on('failed', (job, err) => services.logger.error({ err, runId: job?.data.runId }, 'build job failed'));
  worker.on('error', (err) => services.logger.warn({ err }, 'build worker error'));
  return {
    async close() {
      await worker.close();
      connection.disconnect();
    },
  };
}
