import { hostname } from 'node:os';
import { relative, resolve } from 'node:path';
import type { Step } from '../config/schema.js';
import { parseReport } from '../reports/index.js';
import { CANCEL_REASON } from '../queue/cancel-bus.js';
import { unparsed, type TestSummary } from '../reports/summary.js';
import type { Lane } from '../runs/run.js';
import {
  finishLane,
  planRefused,
  skipStep,
  startLane,
  stepProcessStarted,
  stepResult,
  stepStarted,
  stoppedBeforeStep,
  stoppedWhileRunning,
  type StepEnd,
  type StepResult,
  type StopCause,
} from '../runs/lane.js';
import type { RunLog } from './run-log.js';
import { formatDuration } from '../config/duration.js';
import { runStepProcess, type OutputFilter, type StepProcessResult } from './step-runner.js';
import type { Workspace } from './workspace.js';
import { NO_SANDBOX, type StepNetwork, type StepSandbox } from './sandbox.js';
import { isApolloError } from '../errors.js';

export const DEFAULT_STEP_TIMEOUT_MS = 30 * 60_000;
/** Reports parsed from stdout are held in memory up to this size; larger ones are "unparsed". */
const STDOUT_REPORT_LIMIT = 8 * 1024 * 1024;
const REPORT_FILE_LIMIT = 32 * 1024 * 1024;

export interface LaneRunOptions {
  lane: Lane;
  steps: Step[];
  workspace: Workspace;
  /** Environment for every step (APOLLO_* and the cloud's env); a step's own env is added on top. */
  env: Record<string, string>;
  log: RunLog;
  signal?: AbortSignal;
  /**
   * Stops the lane's teardown steps (an ephemeral deploy's destroy). A person's cancel is not in it:
   * the teardown runs after a cancel, as after a failure; only the worker's shutdown stops it.
   */
  teardownSignal?: AbortSignal;
  /** Replaces `${cloud}` in step cwd. */
  cloud?: string;
  /** Names of steps not to run (e.g. suites turned off with --no-tests); shown as skipped. */
  skip?: ReadonlySet<string>;
  /**
   * Names of independent test suites: a failing suite does not stop the suites after it (each is its
   * own verdict); a failing step that is not a suite still skips everything after it.
   */
  suites?: ReadonlySet<string>;
  killGraceMs?: number;
  /** Where steps run (default: unsandboxed, as the worker). */
  sandbox?: StepSandbox;
  /** The steps' network (default the host's; builds get none unless the operator says so). */
  network?: StepNetwork;
  /** A fresh output filter (the redactor) for each step. */
  filter?: () => OutputFilter;
  /** Called with the raw text of each parsed report (the worker learns sensitive values from it). */
  onReport?: (format: string, text: string) => void;
  /**
   * After the last plan step of a deploy lane passed: why the apply must not go on (the re-plan is
   * not the approved plan), or undefined to go on.
   */
  verifyPlan?: (lane: Lane) => string | undefined;
  /**
   * Called with the lane as it is now when it changes: a step's start, its process, its end, the
   * lane's end. The lane's start comes with its first step's start.
   */
  onChange: (lane: Lane) => Promise<void>;
}

/**
 * Runs a lane's steps in order in one workspace, saying as it goes what the lane is now.
 * What a failure or an abort does to the other steps is the lane's rule (runs/lane.ts); this only
 * runs the processes and reports what happened.
 */
export async function runLane(options: LaneRunOptions): Promise<Lane> {
  // The lane's start is saved with its first step's (one save, not two in the same millisecond: each
  // is a Redis write and a card refresh). Each step's end is saved on its own, before whatever the
  // lane's end waits for (the log's upload, a deploy's outcome): a worker lost meanwhile must not
  // leave a finished step, an applied plan, reading as interrupted.
  let lane = startLane(options.lane, Date.now());

  for (let i = 0; i < options.steps.length; i++) {
    const step = options.steps[i]!;
    // A failure or a stop has already settled the steps after it.
    if (lane.steps[i]!.status !== 'queued') continue;
    const teardown = lane.steps[i]!.role === 'teardown';
    const signal = teardown ? options.teardownSignal : options.signal;
    if (signal?.aborted) {
      lane = stoppedBeforeStep(lane, i, stopCause(signal.reason));
      continue;
    }
    if (!teardown && options.skip?.has(step.name)) {
      lane = skipStep(lane, i, 'not selected');
      continue;
    }
    lane = stepStarted(lane, i, Date.now());
    await options.onChange(lane);

    const ran = await runOneStep(options, step, signal, (pid) => {
      lane = stepProcessStarted(lane, { host: hostname(), pid });
      void options.onChange(lane);
    });
    const suite = !teardown && (lane.steps[i]!.role === 'test' || (options.suites?.has(step.name) ?? false));
    lane = 'stopped' in ran ? stoppedWhileRunning(lane, i, stopCause(signal?.reason), ran.stopped) : stepResult(lane, i, ran.result, { suite });
    const lastPlanStep = lane.steps[i]!.role === 'plan' && lane.steps[i + 1]?.role !== 'plan';
    if (lastPlanStep && lane.steps[i]!.status === 'passed' && options.verifyPlan) {
      const refused = options.verifyPlan(lane);
      if (refused) lane = planRefused(lane, i, refused);
    }
    await options.onChange(lane);
  }
  lane = finishLane(lane, Date.now());
  await options.onChange(lane);
  return lane;
}

/** A step either ran to its end, or was stopped under it (the job was aborted). */
type StepRun = { result: StepResult } | { stopped: StepEnd };

async function runOneStep(options: LaneRunOptions, step: Step, signal: AbortSignal | undefined, onStart: (pid: number) => void): Promise<StepRun> {
  const cwdSpec = step.cwd && options.cloud !== undefined ? step.cwd.replaceAll('${cloud}', options.cloud) : step.cwd;
  let cwd: string;
  try {
    cwd = await options.workspace.cwd(cwdSpec);
  } catch (err) {
    if (!isApolloError(err)) throw err;
    options.log.write(`\n==> ${step.name}: ${err.message}\n`);
    return { result: { status: 'failed', finishedAt: Date.now(), exitCode: null, reason: err.message } };
  }
  options.log.write(`\n==> ${step.name}  (cwd ${cwdSpec ?? '.'})\n`);
  const reportFromStdout = step.report !== undefined && step.report.path === undefined;
  const sandbox = options.sandbox ?? NO_SANDBOX;
  const result = await runStepProcess({
    script: step.run,
    command: sandbox.command(step.run, cwd, options.workspace.dir, options.network ?? 'host', { ...options.env, ...(step.env ?? {}) }),
    ...(options.filter ? { filter: options.filter() } : {}),
    cwd,
    env: { ...options.env, ...(step.env ?? {}) },
    timeoutMs: step.timeout ?? DEFAULT_STEP_TIMEOUT_MS,
    log: options.log,
    ...(signal ? { signal } : {}),
    ...(options.killGraceMs !== undefined ? { killGraceMs: options.killGraceMs } : {}),
    ...(reportFromStdout ? { captureStdoutLimit: STDOUT_REPORT_LIMIT } : {}),
    onStart,
  });
  options.log.line(`==> ${step.name}: exit ${result.exitCode ?? 'none'} after ${formatDuration(result.durationMs)}\n`);

  const base = { finishedAt: Date.now(), exitCode: result.exitCode, timedOut: result.timedOut };
  if (result.aborted) return { stopped: { ...base, tail: result.tail } };
  if (result.startError) return { result: { ...base, status: 'failed', tail: result.tail, reason: result.startError } };

  const summary = step.report ? await readReport(options, step, cwd, result) : undefined;
  const verdict = stepVerdict(result, summary);
  return {
    result: {
      ...base,
      status: verdict.passed ? 'passed' : 'failed',
      ...(summary ? { summary } : {}),
      ...(verdict.reason ? { reason: verdict.reason } : {}),
      ...(verdict.passed ? {} : { tail: result.tail }),
    },
  };
}

/** A person's cancel reads cancelled; any other abort (shutdown, a lost lock) reads interrupted. */
function stopCause(reason: unknown): StopCause {
  return reason === CANCEL_REASON ? { kind: 'cancelled' } : { kind: 'interrupted', why: abortReason(reason) };
}

/** Why a job was aborted, in words, from the abort reason its signal carries. */
export function abortReason(reason: unknown): string {
  if (reason === 'shutdown') return 'the worker was shutting down';
  if (reason === 'lock-lost') return 'the cloud lock was lost';
  return 'the job was stopped';
}

/** A step passes when its exit code is 0 and its report (if any) was read and shows no failure. */
export function stepVerdict(result: Pick<StepProcessResult, 'exitCode' | 'timedOut'>, summary?: TestSummary): { passed: boolean; reason?: string } {
  if (result.timedOut) return { passed: false, reason: 'timed out' };
  if (result.exitCode !== 0) return { passed: false, reason: `exit code ${result.exitCode ?? 'none'}` };
  if (summary?.verdict === 'unparsed') return { passed: false, reason: `report unparsed: ${summary.reason ?? 'no reason given'}` };
  if (summary?.verdict === 'failed') return { passed: false, reason: 'report shows failures' };
  return { passed: true };
}

async function readReport(options: LaneRunOptions, step: Step, cwd: string, result: StepProcessResult): Promise<TestSummary> {
  const report = step.report!;
  const opts = {
    ...(report.warnThreshold !== undefined ? { warnThreshold: report.warnThreshold } : {}),
    ...(report.publicOutputs ? { publicOutputs: report.publicOutputs } : {}),
    ...(report.passPattern !== undefined ? { passPattern: report.passPattern } : {}),
    ...(report.failPattern !== undefined ? { failPattern: report.failPattern } : {}),
  };
  const parse = (text: string) => {
    options.onReport?.(report.format, text);
    return parseReport(report.format, text, opts);
  };
  if (report.path === undefined) {
    if (result.stdoutTruncated) return unparsed(report.format, 'output larger than the report limit');
    return parse(result.stdout ?? '');
  }
  const relativeToCheckout = relative(options.workspace.dir, resolve(cwd, report.path));
  try {
    const { text, truncated } = await options.workspace.readReport(relativeToCheckout, REPORT_FILE_LIMIT);
    if (truncated) return unparsed(report.format, `${report.path} is larger than the report limit (${REPORT_FILE_LIMIT} bytes)`);
    return parse(text);
  } catch (err) {
    if (isApolloError(err)) return unparsed(report.format, err.message);
    return unparsed(report.format, `${report.path} was not written by the step`);
  }
}
