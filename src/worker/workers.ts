import { Worker, type Job, type Processor } from 'bullmq';
import { withLogContext } from '../logger.js';
import { queueWait } from '../metrics/metrics.js';
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
import { Workspace, workspacesRoot } from '../pipeline/workspace.js';

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
   * Runs once the sandbox is proven and before any job is taken (main.ts checks Slack here), so
   * that a worker which cannot work stops before it holds anything.
   */
  beforeTakingJobs?: () => Promise<void>;
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
  await options.beforeTakingJobs?.();
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
  // Final card states a lost worker had not delivered yet.
  const resumed = await services.notifier.resumeSettling();
  if (resumed > 0) logger.info({ cards: resumed }, 'delivering final card states left by a stopped worker');
  // Checkouts a stopped worker had discarded but not yet deleted.
  const swept = await Workspace.sweep(workspacesRoot(settings.stateDir), (err: unknown) => logger.warn({ err }, 'could not remove a discarded workspace'));
  if (swept > 0) logger.info({ workspaces: swept }, 'removing workspaces a stopped worker left');
  const workers = [
    // Builds only read: one retry after a lost worker is safe (and the card says so).
    new Worker<BuildJobData, string>(BUILD_QUEUE, observed(BUILD_QUEUE, createBuildProcessor(services, sandbox)), { ...common, maxStalledCount: 1, connection: connections[0]!, concurrency: config.worker.concurrency }),
    new Worker<CloudJobData, string>(CLOUD_QUEUE, observed(CLOUD_QUEUE, createCloudProcessor(services, sandbox)), {
      ...common,
      // Deploys and destroys are never re-run behind anyone's back: a lost one is shown interrupted.
      maxStalledCount: 0,
      connection: connections[1]!,
      // Clouds of one deploy run in parallel: at least as many slots as clouds.
      concurrency: Math.max(config.worker.concurrency, Object.keys(config.clouds).length),
    }),
    // A parent waits for its children by design: its wait is not a queue's.
    new Worker<DeployJobData, void>(DEPLOY_QUEUE, observed(DEPLOY_QUEUE, createDeployProcessor(services), { wait: false }), { ...common, maxStalledCount: 1, connection: connections[2]!, concurrency: 4 }),
    // Kept deploys' reminders and automatic destroys: delayed jobs, due whichever worker is up then; their wait is their delay.
    new Worker<ExpiryJobData, string>(EXPIRY_QUEUE, observed(EXPIRY_QUEUE, createExpiryProcessor(services), { wait: false }), { ...common, maxStalledCount: 1, connection: connections[3]!, concurrency: 2 }),
  ];
  for (const worker of workers) {
    worker.on('failed', (job, err) => logger.error({ err, queue: worker.name, jobId: job?.id, runId: (job?.data as { runId?: string } | undefined)?.runId }, 'job failed'));
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
      // An ephemeral deploy stopped by the shutdown still tears down: its teardown gets a second grace period.
      const teardownGrace = setTimeout(() => {
        const stopped = services.cancelBus.abortTeardowns('shutdown');
        if (stopped > 0) logger.warn({ stopped }, 'second grace period over: stopping running teardowns (their clouds will need cleanup)');
      }, 2 * config.worker.shutdownGrace);
      try {
        await Promise.all(workers.map((w) => w.close()));
      } finally {
        clearTimeout(grace);
        clearTimeout(teardownGrace);
      }
      // Jobs end before their cards show it: the final states still go out before the process does.
      await services.notifier.idle();
      // Checkouts the jobs left to be deleted in the background.
      await Workspace.discarded();
      await services.cancelBus.close();
      await Promise.all(stallWatchers.map((w) => w.close()));
      for (const c of connections) c.disconnect();
    },
  };
}

/**
 * A processor as the workers run it: every log line of the job carries its run id, queue and job
 * id; and how long the job waited for a worker is observed (from when it could first run).
 */
function observed<D extends { runId: string }, R>(queue: string, processor: (job: Job<D>, token?: string, signal?: AbortSignal) => Promise<R>, options: { wait?: boolean } = {}): Processor<D, R> {
  const run = (job: Job<D>, token?: string, signal?: AbortSignal) => {
    if (options.wait !== false) {
      const readyAt = job.timestamp + (job.opts.delay ?? 0);
      queueWait.observe({ queue }, Math.max(0, Date.now() - readyAt) / 1000);
    }
    return withLogContext({ runId: job.data.runId, queue, ...(job.id ? { jobId: job.id } : {}) }, () => processor(job, token, signal));
  };
  // BullMQ tracks an AbortSignal only for processors that take one (by their arity): keep it as it was.
  return processor.length >= 3 ? (job, token, signal) => run(job, token, signal) : (job, token) => run(job, token);
}
