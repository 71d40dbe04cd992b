import type { Job } from 'bullmq';
import { ApolloError, ErrorCode } from '../errors.js';
import type { BuildJobData } from '../queue/build-queue.js';
import type { Services } from '../services.js';
import { runLaneJob } from './lane-job.js';
import { postVerdictElsewhere } from '../slack/post-verdict.js';

/** Runs a build: `build.steps` in a fresh checkout of the commit, the card kept up to date. */
export function createBuildProcessor(services: Services) {
  return async (job: Job<BuildJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const run = await services.runs.get(job.data.runId);
    if (!run) throw new ApolloError(ErrorCode.RunUnknown, `run ${job.data.runId} not found`);
    const lane = await runLaneJob(services, {
      run,
      lane: run.lanes[0]!,
      phase: 'run',
      steps: services.config.build.steps,
      requestedBy: run.requestedBy,
      ...(signal ? { signal } : {}),
    });
    await services.notifier.flush(run.id);
    await postVerdictElsewhere(services, run.id, 'build');
    return lane.error || lane.steps.some((s) => s.status === 'failed') ? 'failed' : 'passed';
  };
}
