import type { Job } from 'bullmq';
import { ApolloError, ErrorCode } from '../errors.js';
import type { BuildJobData } from '../queue/build-queue.js';
import type { WorkerDeps } from './worker-deps.js';
import { runLaneJob } from './lane-job.js';
import { retryLane } from '../runs/lane.js';
import { laneStatus } from '../runs/run.js';
import { hostname } from 'node:os';
import { signalLeftoverGroup } from '../pipeline/process-groups.js';
import { postVerdictElsewhere } from '../slack/post-verdict.js';
import type { StepSandbox } from '../pipeline/sandbox.js';
import { recordRun } from './run-metrics.js';

/** Runs a build: `build.steps` in a fresh checkout of the commit, the card kept up to date. */
export function createBuildProcessor(services: WorkerDeps, sandbox: StepSandbox) {
  return async (job: Job<BuildJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const run = await services.runs.get(job.data.runId);
    if (!run) throw new ApolloError(ErrorCode.RunUnknown, `run ${job.data.runId} not found`);
    let start = run.lanes[0]!;
    if (job.stalledCounter > 0 || start.startedAt !== undefined) {
      // Its worker was lost mid-run: stop what it left running here, run again from the first step,
      // and say so on the card.
      if (start.process?.host === hostname()) signalLeftoverGroup(start.process.pid, 'SIGKILL');
      start = retryLane(start);
    }
    const lane = await runLaneJob(services, {
      run,
      lane: start,
      phase: 'run',
      steps: run.pipeline?.build ?? services.config.build.steps,
      requestedBy: run.requestedBy,
      // Builds run code from any branch: no cloud env, no secrets, and by default no network.
      sandbox,
      network: services.config.worker.buildNetwork,
      ...(signal ? { signal } : {}),
    });
    recordRun('build', run, [lane]);
    const passed = laneStatus(lane) === 'passed';
    // The deploy gate (deploy.requireGreenBuild) lets this commit through from now on.
    if (passed) await services.greenBuilds.record(run.sha, { kind: 'build', runId: run.id });
    // The job ends with its work: the card's final state goes out from whoever holds the card.
    void services.notifier.settle(run.id);
    await postVerdictElsewhere(services, run.id, 'build');
    return passed ? 'passed' : 'failed';
  };
}
