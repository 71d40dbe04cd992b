import { resolve } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Step } from '../config/schema.js';
import { runLane } from '../pipeline/lane-runner.js';
import { RunLog } from '../pipeline/run-log.js';
import { stepEnv } from '../pipeline/step-env.js';
import { Workspace, workspacesRoot } from '../pipeline/workspace.js';
import type { LanePhase } from '../runs/run-store.js';
import type { Lane, Run } from '../runs/run.js';
import { cancelLane, failLane } from '../runs/lane.js';
import type { WorkerDeps } from './worker-deps.js';
import { renderFailuresThread } from '../../views/failures-thread.js';
import { CANCEL_REASON } from '../queue/cancel-bus.js';
import { NO_SANDBOX, type StepNetwork, type StepSandbox } from '../pipeline/sandbox.js';
import { TerminalTextFilter } from '../pipeline/terminal-text.js';
import { StreamRedactor } from '../redaction/stream-redactor.js';
import { sensitiveTerraformValues } from '../redaction/terraform-sensitive.js';
import type { Redactor } from '../redaction/redactor.js';
import { recordSteps } from './run-metrics.js';

/** How often a running job re-reads its cancel flag, in case a pub/sub message was lost. */
const CANCEL_POLL_MS = 2000;

/** One file per lane, side by side: no directory per run to make and remove (each costs the disk). */
export function runLogPath(stateDir: string, runId: string, lane: string): string {
  return resolve(stateDir, 'logs', `${runId}-${lane}.log`);
}

export interface LaneJob {
  run: Run;
  lane: Lane;
  phase: LanePhase;
  steps: Step[];
  requestedBy: string;
  cloud?: string;
  /** Extra environment (the cloud's `env`). */
  env?: Record<string, string>;
  skip?: ReadonlySet<string>;
  suites?: ReadonlySet<string>;
  /** See LaneRunOptions.verifyPlan. */
  verifyPlan?: (lane: Lane) => string | undefined;
  signal?: AbortSignal;
  /** Stops an ephemeral deploy's teardown steps: the worker's shutdown or a lost lock, never a cancel. */
  teardownSignal?: AbortSignal;
  /** Where the steps run (the worker's sandbox). */
  sandbox?: StepSandbox;
  /** The steps' network: builds run code from any branch, so by default they get none. */
  network?: StepNetwork;
  /** Secret values only this lane knows (its cloud's env), redacted on top of the configured ones. */
  secrets?: string[];
  /**
   * Runs once, with the lane's final state, just before it is saved (and so before any card shows
   * it done): a cloud's lock is released and what the cloud carries is recorded here, so that nobody
   * who sees "passed" or "destroyed" is told otherwise by `/apollo status` or a lock.
   */
  beforeFinish?: (lane: Lane) => Promise<void>;
}

/**
 * Runs one lane of a run the same way for builds, deploys and destroys: a fresh checkout, the steps,
 * every state change saved to Redis and shown on the card. The workspace is removed whatever
 * happened (in the background); the (redacted) log is stored in Redis for the Logs button, and its
 * file removed.
 */
export async function runLaneJob(services: WorkerDeps, job: LaneJob): Promise<Lane> {
  const { runs, notifier, mirror, settings, logs, logger } = services;
  const { run, phase } = job;
  const logName = phase === 'run' ? job.lane.name : `${phase}-${job.lane.name}`;
  let lane = job.lane;
  // Output is redacted here, where it is produced, before the log file, Redis, the card or the
  // thread see it; values the run learns (sensitive terraform outputs) are added as they appear.
  let redactor: Redactor = job.secrets?.length ? services.redactor.withValues(job.secrets) : services.redactor;
  let finishing: Promise<void> | undefined;
  // What was last stored, and each step as redacted by the current redactor: a save redacts only the
  // steps that changed (lane transitions keep the others as they were), and the store writes only
  // what differs from the last save (nothing, and no card refresh, when the lane as shown is the same).
  let storedLane: Lane | undefined;
  let redactedBy = redactor;
  let redactedSteps = new WeakMap<object, Lane['steps'][number]>();
  // Set once the log is open: stores it (once) in Redis for the Logs button.
  let storeLog: (() => Promise<void>) | undefined = undefined;
  const save = async (next: Lane) => {
    if (next.finishedAt !== undefined && job.beforeFinish) await (finishing ??= job.beforeFinish(next));
    // The card's final state shows the Logs button: the log is in Redis before that state is saved.
    if (next.finishedAt !== undefined) await storeLog?.();
    lane = next;
    if (redactedBy !== redactor) {
      redactedBy = redactor;
      redactedSteps = new WeakMap();
    }
    // Redacted before it is stored: secrets stay out of Redis, and no view can cut one in half.
    const shown = redactLane(redactor, next, redactedSteps);
    const previous = storedLane;
    storedLane = shown;
    // Only what changed since this job's last save (a step's start or end rewrites that step alone).
    if (await runs.saveLane(run.id, shown, phase, previous)) notifier.refresh(run.id);
  };

  // A cancel from any process aborts this job (pub/sub, and a poll in case a message was missed);
  // so does the worker's shutdown (BullMQ's signal). Subscribe first, then look: no gap.
  const registration = services.cancelBus.register(run.id);
  // The checkout (most of a short lane's set-up) starts now, beside the cancel check and the log's
  // opening; its failure is the lane's, where it is awaited below.
  const checkout = mirror
    .ensureCommit(run.sha)
    .then(() => Workspace.create(workspacesRoot(settings.stateDir), `${run.id}-${logName}`, mirror.path, run.sha, job.sandbox ?? NO_SANDBOX));
  checkout.catch(() => undefined);
  // Leaving before the lane runs: no more cancels for it, and the checkout begun meanwhile goes.
  const abandon = async () => {
    registration.release();
    await checkout.then(
      (made) => made.discard((err: unknown) => logger.warn({ err, runId: run.id }, 'could not remove the workspace')),
      () => undefined,
    );
  };
  let cancelledBy: string | undefined;
  try {
    cancelledBy = await runs.cancelledBy(run.id, phase);
  } catch (err) {
    await abandon();
    throw err;
  }
  if (cancelledBy) {
    // The card says so first: the checkout begun meanwhile may take a while to finish.
    const saved = save(cancelLane(lane, cancelledBy, Date.now()));
    await saved.finally(abandon);
    return lane;
  }
  const poll = setInterval(() => {
    void runs
      .cancelledBy(run.id, phase)
      .then((by) => by && registration.abort(CANCEL_REASON))
      .catch(() => undefined);
  }, CANCEL_POLL_MS);
  const signal = job.signal ? AbortSignal.any([registration.signal, job.signal]) : registration.signal;
  const log = new RunLog(runLogPath(settings.stateDir, run.id, logName));
  try {
    await log.open();
  } catch (err) {
    clearInterval(poll);
    await abandon();
    throw err;
  }
  let logStored: Promise<void> | undefined;
  storeLog = () =>
    (logStored ??= log
      .close()
      .then(() => logs.saveFile(run.id, logName, log.path))
      .catch((err: unknown) => logger.warn({ err }, 'could not store the log')));
  let workspace: Workspace | undefined;
  try {
    workspace = await checkout;
    log.write(`[apollo] run ${run.id}: ${phase === 'destroy' ? 'destroy' : run.kind} ${job.cloud ?? ''} of ${run.sha} (${run.ref}) requested by ${job.requestedBy}\n`);
    lane = await runLane({
      lane,
      steps: job.steps,
      workspace,
      env: stepEnv({ commit: run.sha, ref: run.ref, runId: run.id, requestedBy: job.requestedBy, ...(job.cloud ? { cloud: job.cloud } : {}) }, job.env),
      log,
      ...(job.cloud ? { cloud: job.cloud } : {}),
      ...(job.skip ? { skip: job.skip } : {}),
      ...(job.suites ? { suites: job.suites } : {}),
      ...(job.verifyPlan ? { verifyPlan: job.verifyPlan } : {}),
      signal,
      teardownSignal: job.teardownSignal ? AbortSignal.any([registration.shutdownSignal, job.teardownSignal]) : registration.shutdownSignal,
      ...(settings.killGraceMs !== undefined ? { killGraceMs: settings.killGraceMs } : {}),
      sandbox: job.sandbox ?? NO_SANDBOX,
      ...(job.network ? { network: job.network } : {}),
      filter: () => new TerminalTextFilter(new StreamRedactor(redactor)),
      onReport: (format, text) => {
        if (format !== 'terraform') return;
        const learned = sensitiveTerraformValues(text);
        if (learned.length > 0) redactor = redactor.withValues(learned);
      },
      onChange: save,
    });
  } catch (err) {
    logger.error({ err, runId: run.id, lane: lane.name }, 'lane could not run');
    log.line(`[apollo] ${err instanceof Error ? err.message : String(err)}\n`);
    await save(failLane(lane, err instanceof Error ? err.message : String(err), Date.now()));
  } finally {
    clearInterval(poll);
    registration.release();
    await storeLog();
    // Out of the way at once, deleted in the background (the worker's shutdown waits for it).
    await workspace?.discard((err: unknown) => logger.warn({ err, runId: run.id, lane: lane.name }, 'could not remove the workspace'));
    // Once in Redis (redacted, with an expiry), the file has no reader left: it goes.
    await rm(log.path, { force: true }).catch(() => undefined);
  }
  recordSteps(phase === 'destroy' ? 'destroy' : run.kind, lane);
  // The thread gets the lane as stored: redacted with everything this lane learned.
  await postFailures(services, run.id, redactLane(redactor, lane), job.cloud ? `${job.cloud}${phase === 'destroy' ? ' (destroy)' : ''}` : run.kind).catch((err: unknown) =>
    logger.warn({ err, runId: run.id }, 'could not post failures in the thread'),
  );
  return lane;
}

/** The first failures of a lane's failing suites, once, in the card's thread. */
async function postFailures(services: WorkerDeps, runId: string, lane: Lane, label: string): Promise<void> {
  const message = renderFailuresThread(lane, label);
  if (!message) return;
  const run = await services.runs.get(runId);
  if (!run?.message) return;
  if (!(await services.once.claim('failures', runId, label))) return;
  await services.slack.postMessage(run.message.channel, message, run.message.ts);
}

/**
 * A lane as it may be stored and shown. Each step's tail is redacted as one text, since secrets
 * span lines (a private key's body sits between its BEGIN and END lines).
 */
function redactLane(redactor: Redactor, lane: Lane, memo?: WeakMap<object, Lane['steps'][number]>): Lane {
  const { steps, ...rest } = lane;
  const redactStep = (s: Lane['steps'][number]) => redactor.redactDeep(s.tail ? { ...s, tail: redactor.redact(s.tail.join('\n')).split('\n') } : s);
  return {
    ...redactor.redactDeep(rest),
    steps: steps.map((s) => {
      const known = memo?.get(s);
      if (known) return known;
      const redacted = redactStep(s);
      memo?.set(s, redacted);
      return redacted;
    }),
  };
}
