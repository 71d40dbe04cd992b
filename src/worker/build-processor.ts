import { join, resolve } from 'node:path';
import type { Job } from 'bullmq';
import { ApolloError } from '../errors.js';
import { runLane } from '../pipeline/lane-runner.js';
import { RunLog } from '../pipeline/run-log.js';
import { stepEnv } from '../pipeline/step-env.js';
import { Workspace } from '../pipeline/workspace.js';
import type { BuildJobData } from '../queue/build-queue.js';
import type { Lane } from '../runs/run.js';
import type { Services } from '../services.js';

export function runLogPath(stateDir: string, runId: string, lane: string): string {
  return resolve(stateDir, 'logs', runId, `${lane}.log`);
}

/**
 * Runs a build: a fresh checkout of the commit, `build.steps` in order, the card kept up to date.
 * The workspace is removed afterwards whatever happened; the log stays for the Logs button.
 */
export function createBuildProcessor(services: Services) {
  return async (job: Job<BuildJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const { runs, notifier, mirror, settings, config, logger } = services;
    const runId = job.data.runId;
    const run = await runs.get(runId);
    if (!run) throw new ApolloError('apollo_run_unknown', `run ${runId} not found`);
    let lane: Lane = run.lanes[0]!;
    const save = async (next: Lane) => {
      lane = next;
      await runs.saveLane(runId, next);
      notifier.refresh(runId);
    };

    const log = new RunLog(runLogPath(settings.stateDir, runId, lane.name));
    await log.open();
    let workspace: Workspace | undefined;
    try {
      await mirror.ensureCommit(run.sha);
      workspace = await Workspace.create(join(resolve(settings.stateDir), 'workspaces'), `${runId}-${lane.name}`, mirror.path, run.sha);
      log.write(`[apollo] run ${runId}: build of ${run.sha} (${run.ref}) requested by ${run.requestedBy}\n`);
      lane = await runLane({
        lane,
        steps: config.build.steps,
        workspace,
        env: stepEnv({ commit: run.sha, ref: run.ref, runId, requestedBy: run.requestedBy }),
        log,
        ...(signal ? { signal } : {}),
        ...(settings.killGraceMs !== undefined ? { killGraceMs: settings.killGraceMs } : {}),
        onChange: save,
      });
    } catch (err) {
      logger.error({ err, runId }, 'build could not run');
      const message = err instanceof Error ? err.message : String(err);
      await save({
        ...lane,
        error: message,
        finishedAt: Date.now(),
        steps: lane.steps.map((s) => (s.status === 'queued' || s.status === 'running' ? { ...s, status: 'skipped' } : s)),
      });
    } finally {
      await log.close();
      await workspace?.remove();
      await notifier.flush(runId);
    }
    return lane.steps.some((s) => s.status === 'failed') || lane.error ? 'failed' : 'passed';
  };
}
