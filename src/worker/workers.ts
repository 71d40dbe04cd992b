import { Worker } from 'bullmq';
import { BUILD_QUEUE, type BuildJobData } from '../queue/build-queue.js';
import { CLOUD_QUEUE, DEPLOY_QUEUE, type CloudJobData, type DeployJobData } from '../queue/deploy-flow.js';
import { createRedis } from '../redis/connection.js';
import type { Services } from '../services.js';
import { createBuildProcessor } from './build-processor.js';
import { createExpiryProcessor } from './expiry-processor.js';
import { EXPIRY_QUEUE, type ExpiryJobData } from '../queue/expiry-queue.js';
import { createCloudProcessor, createDeployProcessor } from './cloud-processor.js';
import { DEFAULT_STALL, watchStalls } from './stall-recovery.js';
import { createSandbox, NO_SANDBOX, type StepSandbox } from '../pipeline/sandbox.js';

export interface WorkerHandle {
  /** Where steps run, as proven by the start-up probe. */
  sandbox: StepSandbox;
  close(): Promise<void>;
}

/**
 * The worker process: builds, cloud lanes of deploys and destroys, and the parents that finish
 * them. Each BullMQ worker gets its own blocking connection.
 */
export interface WorkerOptions {
  /**
   * The local playground only: when the sandbox cannot be had (not root), run steps unsandboxed
   * and say so, instead of refusing to start. Never in production (main.ts decides).
   */
  playgroundSandboxFallback?: boolean;
}

export async function startWorkers(services: Services, options: WorkerOptions = {}): Promise<WorkerHandle> {
  const { settings, keys, config, logger } = services;
  // Before taking any job: a worker that cannot sandbox its steps refuses to start (one line).
  let sandbox: StepSandbox;
  try {
    sandbox = await createSandbox({
      sandbox: config.worker.sandbox,
      runAs: config.worker.runAs,
      stateDir: settings.stateDir,
      ...(settings.configPath ? { hide: [settings.configPath] } : {}),
    });
  } catch (err) {
    if (!options.playgroundSandboxFallback) throw err;
    logger.warn(`playground: ${err instanceof Error ? err.message : String(err)}; running steps UNSANDBOXED for this local demo`);
    sandbox = NO_SANDBOX;
  }
  logger[sandbox.kind === 'none' ? 'warn' : 'info'](sandbox.describe());
  const connections = [0, 1, 2, 3].map(() => createRedis(settings.redisUrl, 'blocking'));
  const subscriber = createRedis(settings.redisUrl, 'blocking');
  const listening = services.cancelBus.listen(subscriber).catch((err: unknown) => logger.error({ err }, 'could not subscribe to cancel requests'));
  const stall = settings.stall ?? DEFAULT_STALL;
  const common = { prefix: keys.bullPrefix, lockDuration: stall.lockDurationMs, stalledInterval: stall.stalledIntervalMs };
  // Listening for stalled jobs starts before the workers, whose first stall check runs at once.
  const stallWatchers = [
    watchStalls(services, services.buildQueue, (data) => {
      const { runId } = data as BuildJobData;
      return { runId, lane: 'build', phase: 'run' };
    }),
    watchStalls(services, services.deployFlow.cloudQueue, (data) => {
      const { runId, cloud, phase } = data as CloudJobData;
      return { runId, lane: cloud, phase: phase === 'deploy' ? 'run' : phase, cloud };
    }),
  ];
  await Promise.all(stallWatchers.map((w) => w.ready));
  const workers = [
    // Builds only read: one retry after a lost worker is safe (and the card says so).
    new Worker<BuildJobData, string>(BUILD_QUEUE, createBuildProcessor(services, sandbox), { ...common, maxStalledCount: 1, connection: connections[0]!, concurrency: config.worker.concurrency }),
    new Worker<CloudJobData, string>(CLOUD_QUEUE, createCloudProcessor(services, sandbox), {
      ...common,
      // Deploys and destroys are never re-run behind anyone's back: a lost one is shown interrupted.
      maxStalledCount: 0,
      connection: connections[1]!,
      // Clouds of one deploy run in parallel: at least as many slots as clouds.
      concurrency: Math.max(config.worker.concurrency, Object.keys(config.clouds).length),
    }),
    new Worker<DeployJobData, void>(DEPLOY_QUEUE, createDeployProcessor(services), { ...common, maxStalledCount: 1, connection: connections[2]!, concurrency: 4 }),
    // Kept deploys' reminders and automatic destroys: delayed jobs, due whichever worker is up then.
    new Worker<ExpiryJobData, string>(EXPIRY_QUEUE, createExpiryProcessor(services), { ...common, maxStalledCount: 1, connection: connections[3]!, concurrency: 2 }),
  ];
  for (const worker of workers) {
    worker.on('failed', (job, err) => logger.error({ err, queue: worker.name, jobId: job?.id }, 'job failed'));
    worker.on('error', (err) => logger.warn({ err, queue: worker.name }, 'worker error'));
  }
  return {
    sandbox,
    /**
     * Stops taking jobs and lets running steps finish for `worker.shutdownGrace`; then stops their
     * process groups, so the steps end "interrupted" and the cards and locks are settled before exit.
     */
    async close() {
      await listening;
      const grace = setTimeout(() => {
        const stopped = services.cancelBus.abortAll('shutdown');
        if (stopped > 0) logger.warn({ stopped }, 'grace period over: stopping running steps');
      }, config.worker.shutdownGrace);
      try {
        await Promise.all(workers.map((w) => w.close()));
      } finally {
        clearTimeout(grace);
      }
      await services.cancelBus.close();
      await Promise.all(stallWatchers.map((w) => w.close()));
      for (const c of connections) c.disconnect();
    },
  };
}
