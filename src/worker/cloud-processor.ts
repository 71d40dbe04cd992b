import type { Job } from 'bullmq';
import { ApolloError, ErrorCode } from '../errors.js';
import { RUN_LOCK_TTL_MS, type LockHolder } from '../queue/cloud-locks.js';
import type { CloudJobData, DeployJobData } from '../queue/deploy-flow.js';
import { postVerdictElsewhere } from '../slack/post-verdict.js';
import { laneStatus, needsCleanup, planDigest, type Lane, type LaneBlock } from '../runs/run.js';
import { deployLaneSteps, serverPipeline } from '../pipeline/run-steps.js';
import { blockLane } from '../runs/lane.js';
import type { WorkerDeps } from './worker-deps.js';
import { runLaneJob } from './lane-job.js';
import type { StepSandbox } from '../pipeline/sandbox.js';
import { resolveCloudEnv } from '../config/cloud-env.js';
import { reminderAt } from '../queue/expiry-queue.js';
import { recordRun } from './run-metrics.js';

/**
 * One cloud of a deploy or destroy: takes the cloud's run lock (renewed while running, released
 * at the end whatever happens), runs the steps in the cloud's own workspace and environment, and
 * records the last deployed commit. A locked cloud ends its lane with who holds it; the other
 * clouds carry on.
 */
export function createCloudProcessor(services: WorkerDeps, sandbox: StepSandbox) {
  return async (job: Job<CloudJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const { runId, cloud, phase } = job.data;
    const { runs, config, locks, cloudState } = services;
    const run = await runs.get(runId);
    if (!run) throw new ApolloError(ErrorCode.RunUnknown, `run ${runId} not found`);
    const lanePhase = phase === 'deploy' ? 'run' : phase;
    const lane = (phase === 'destroy' ? run.destroyLanes : phase === 'plan' ? run.planLanes : run.lanes)?.find((l) => l.name === cloud);
    if (!lane) throw new ApolloError(ErrorCode.RunUnknown, `run ${runId} has no ${phase} lane for ${cloud}`);
    const requestedBy = phase === 'destroy' ? (run.destroy?.by ?? run.requestedBy) : run.requestedBy;
    const pipeline = run.pipeline ?? serverPipeline(config);
    const steps = phase === 'destroy' ? (pipeline.destroy ?? []) : phase === 'plan' ? (pipeline.deploy?.plan ?? []) : deployLaneSteps(pipeline, run.ephemeral === true).steps;
    const suites = (pipeline.deploy?.tests ?? []).map((t) => t.name);
    const skip = phase === 'deploy' && run.tests ? new Set(suites.filter((n) => !run.tests!.includes(n))) : undefined;

    const refuse = async (blocked: LaneBlock): Promise<Lane> => {
      const refused = blockLane(lane, blocked, Date.now());
      await runs.saveLane(runId, refused, lanePhase);
      services.notifier.refresh(runId);
      return refused;
    };
    const locked = (lock: 'sticky' | 'run', holder: LockHolder): LaneBlock => ({
      kind: 'locked',
      lock,
      cloud,
      by: holder.owner,
      since: holder.since,
      ...(holder.reason !== undefined ? { reason: holder.reason } : {}),
      ...(holder.runId !== undefined ? { runId: holder.runId } : {}),
    });

    // A plan changes nothing: it takes no lock and no cloud, and runs with the cloud's env like a deploy.
    if (phase === 'plan') {
      const cloudEnv = resolveCloudEnv(config, cloud);
      const planned = await runLaneJob(services, { run, lane, phase: 'plan', steps, requestedBy, cloud, env: cloudEnv.env, secrets: cloudEnv.secrets, sandbox, ...(signal ? { signal } : {}) });
      return laneStatus(planned);
    }

    const blocker = await locks.blocker(cloud, requestedBy, runId);
    if (blocker?.kind === 'sticky') return laneStatus(await refuse(locked('sticky', blocker.holder)));
    const acquired = await locks.acquireRun(cloud, { runId, owner: requestedBy });
    if (!acquired.ok) return laneStatus(await refuse(locked('run', acquired.holder)));
    if (phase === 'destroy') {
      // Terraform state is per cloud: destroying from an old card would tear down a newer deploy.
      const current = await cloudState.current(cloud);
      if (current !== runId) {
        await locks.releaseRun(cloud, runId);
        return laneStatus(await refuse({ kind: 'taken-over', cloud, ...(current ? { currentRunId: current } : {}) }));
      }
    } else {
      const previous = await cloudState.takeOver(cloud, runId);
      if (previous && previous !== runId) await forgetLifetimeIfGone(services, previous);
    }

    // Without its lock the cloud is no longer ours: another deploy could take it. Stop the lane.
    const lockLost = new AbortController();
    const renew = setInterval(() => {
      void locks
        .renewRun(cloud, runId)
        .then((held) => {
          if (!held && !lockLost.signal.aborted) {
            services.logger.error({ runId, cloud }, 'lost the cloud lock while running: stopping the lane');
            lockLost.abort('lock-lost');
          }
        })
        .catch(() => undefined);
    }, RUN_LOCK_TTL_MS / 3);
    const laneSignal = signal ? AbortSignal.any([signal, lockLost.signal]) : lockLost.signal;
    /** What the cloud carries once this lane is over. */
    const recordOutcome = async (final: Lane) => {
      const status = laneStatus(final);
      if (phase === 'deploy' && run.ephemeral) {
        // Torn down by its own lane: nothing is left, unless the teardown failed (the cloud stays this
        // run's, so `/apollo status` says it needs cleanup and its Destroy can still run).
        if (final.startedAt !== undefined && !needsCleanup(final)) await cloudState.tornDown(cloud, runId);
      } else if (phase === 'deploy' && status === 'passed') {
        await cloudState.recordDeploy(cloud, { sha: run.sha, ref: run.ref, by: run.requestedBy, at: Date.now(), runId });
      } else if (phase === 'destroy' && status === 'passed') {
        // Nothing of this run is left on the cloud: forget it, unless a newer run took over meanwhile.
        await cloudState.clearIfOurs(cloud, runId);
      }
      if (phase === 'deploy' && final.startedAt !== undefined) {
        // Every deploy that ran goes into the cloud's history, whatever its outcome (rollbacks read it).
        const link = run.message ? await services.slack.permalink(run.message).catch(() => undefined) : undefined;
        const outcome = status === 'cancelled' || status === 'interrupted' || status === 'passed' ? status : 'failed';
        await cloudState.recordHistory(cloud, { runId, sha: run.sha, ref: run.ref, by: run.requestedBy, at: Date.now(), outcome, ...(link ? { link } : {}) }).catch((err: unknown) => services.logger.warn({ err, runId, cloud }, 'could not record the cloud history'));
      }
    };
    // Only this cloud's env, read now: another cloud's credentials never reach these steps.
    const cloudEnv = resolveCloudEnv(config, cloud);
    let result: Lane;
    try {
      result = await runLaneJob(services, {
        run,
        lane,
        phase: lanePhase,
        steps,
        requestedBy,
        cloud,
        env: cloudEnv.env,
        secrets: cloudEnv.secrets,
        sandbox,
        beforeFinish: async (final) => {
          clearInterval(renew);
          await recordOutcome(final);
          await locks.releaseRun(cloud, runId);
        },
        ...(skip ? { skip } : {}),
        // The approval is bound to the plan: the re-plan in this workspace must be the same.
        ...(pipeline.deploy?.plan?.length ? { verifyPlan: (planned: Lane) => planMismatch(run.decision?.planDigests?.[cloud], planDigest(planned)) } : {}),
        signal: laneSignal,
        // The teardown runs after a cancel, but not without the cloud's lock: another deploy may own the cloud then.
        teardownSignal: signal ? AbortSignal.any([signal, lockLost.signal]) : lockLost.signal,
      });
    } finally {
      clearInterval(renew);
      await locks.releaseRun(cloud, runId);
    }
    await settleWhenLast(services, runId, phase);
    return laneStatus(result);
  };
}

/**
 * The last cloud to finish sends the card's final state at once (in the background), rather than
 * after the edit debounce or the flow's parent job: nobody waits for the verdict in between.
 */
async function settleWhenLast(services: WorkerDeps, runId: string, phase: 'deploy' | 'destroy'): Promise<void> {
  const run = await services.runs.get(runId).catch(() => undefined);
  const lanes = phase === 'destroy' ? run?.destroyLanes : run?.lanes;
  if (lanes && lanes.length > 0 && lanes.every((l) => l.finishedAt !== undefined)) void services.notifier.settle(runId);
}

/**
 * A newer deploy took one of `runId`'s clouds: when that run carries none of its clouds any more,
 * its automatic destroy is off (its card and `/apollo status` stop showing an expiry).
 */
async function forgetLifetimeIfGone(services: WorkerDeps, runId: string): Promise<void> {
  const run = await services.runs.get(runId);
  if (run?.keepUntil === undefined) return;
  if ((await services.cloudState.carriedBy(runId, run.laneNames)).length > 0) return;
  await services.runs.clearKeep(runId);
  services.notifier.refresh(runId);
}

/**
 * A kept deploy (`--keep`) that left something on a cloud gets its lifetime now that it finished:
 * the end is stored on the run, and the reminder and the destroy are scheduled as delayed jobs.
 */
async function startLifetime(services: WorkerDeps, runId: string): Promise<void> {
  const run = await services.runs.get(runId);
  if (!run || run.keepMs === undefined || run.ephemeral || run.keepUntil !== undefined || run.destroy) return;
  const started = run.lanes.filter((l) => l.startedAt !== undefined).map((l) => l.name);
  if ((await services.cloudState.carriedBy(runId, started)).length === 0) return;
  const at = Date.now() + run.keepMs;
  await services.runs.setKeepUntil(runId, at);
  await services.expiry.schedule(runId, at, reminderAt(at, run.keepMs, services.config.deploy?.keepReminder ?? 0));
  services.notifier.refresh(runId);
}

/** Why an apply must not go on: the re-plan is not the approved plan. Plain text; the card shows it. */
export function planMismatch(approved: string | undefined, now: string | undefined): string | undefined {
  if (approved === undefined) return 'no approved plan for this cloud: nothing applied';
  if (now === undefined) return 'the re-plan reported no plan: nothing applied';
  if (now !== approved) return `the re-plan differs from the approved plan (${approved.slice(0, 8)} approved, ${now.slice(0, 8)} now): nothing applied; ask again for a new plan and approval`;
  return undefined;
}

/** The parent of a deploy or destroy flow runs once every cloud is done: it settles the final card (delivered in the background). */
export function createDeployProcessor(services: WorkerDeps) {
  return async (job: Job<DeployJobData>): Promise<void> => {
    if (job.data.phase === 'plan') {
      // Every cloud planned: the card asks for approval now (or says a plan failed).
      await services.notifier.flush(job.data.runId);
      return;
    }
    if (job.data.phase === 'deploy') await startLifetime(services, job.data.runId);
    const run = await services.runs.get(job.data.runId);
    if (run) recordRun(job.data.phase, run, (job.data.phase === 'destroy' ? run.destroyLanes : run.lanes) ?? []);
    void services.notifier.settle(job.data.runId);
    await postVerdictElsewhere(services, job.data.runId, job.data.phase);
  };
}
