import type { TestSummary } from '../reports/summary.js';
import type { Lane, LaneBlock, StepState } from './run.js';

/**
 * Every way a lane changes, as pure functions: each takes a lane and what happened (with the time
 * it happened, so that tests and callers agree on it) and returns a new lane; none mutates its
 * input. The rules of a lane live here and nowhere else: which steps a failure or a stop skips,
 * how an abort reads, what a retry keeps. Callers (the lane runner, the worker, cancel) only
 * decide which of these happened.
 */

/** How a step that ran to its end ended. */
export interface StepResult {
  status: 'passed' | 'failed';
  finishedAt: number;
  exitCode?: number | null;
  timedOut?: boolean;
  /** Kept for failed steps only: the card and the thread show it, a passed step needs none. */
  tail?: string[];
  summary?: TestSummary;
  reason?: string;
}

/** What is known of a step whose process was stopped under it. */
export interface StepEnd {
  finishedAt: number;
  exitCode?: number | null;
  timedOut?: boolean;
  tail?: string[];
}

/**
 * Why a lane's job was told to stop: a person cancelled the run, or the worker stopped it (it was
 * shutting down, or lost the cloud's lock). The first is the person's choice and reads cancelled;
 * the second is not, and reads interrupted so that someone looks at it.
 */
export type StopCause = { kind: 'cancelled' } | { kind: 'interrupted'; why: string };

/** The reason a lane retried after a lost worker carries, for the card. */
export const RETRY_NOTE = 'retried from the start: the worker running it was lost';

const isOpen = (step: StepState) => step.status === 'queued' || step.status === 'running';

function withStep(lane: Lane, index: number, change: (step: StepState) => StepState): Lane {
  return { ...lane, steps: lane.steps.map((s, i) => (i === index ? change(s) : s)) };
}

/**
 * The steps after `index` that were waiting become skipped: nothing after a failure or a stop runs,
 * except an ephemeral deploy's teardown, which runs whatever happened before it. A failure or stop
 * in the teardown itself skips the rest of it.
 */
function skipAfter(lane: Lane, index: number): Lane {
  const inTeardown = lane.steps[index]?.role === 'teardown';
  return {
    ...lane,
    steps: lane.steps.map((s, i) => (i > index && s.status === 'queued' && (inTeardown || s.role !== 'teardown') ? { ...s, status: 'skipped' } : s)),
  };
}

function withoutProcess(lane: Lane): Lane {
  const { process: _gone, ...rest } = lane;
  return rest;
}

/** The lane's job began (its checkout is ready, its first step comes next). */
export function startLane(lane: Lane, at: number): Lane {
  return { ...lane, startedAt: at };
}

/** A step is not run because it was not asked for (e.g. a suite turned off with --no-tests). */
export function skipStep(lane: Lane, index: number, reason: string): Lane {
  return withStep(lane, index, (s) => ({ ...s, status: 'skipped', reason }));
}

export function stepStarted(lane: Lane, index: number, at: number): Lane {
  return withStep(lane, index, (s) => ({ ...s, status: 'running', startedAt: at }));
}

/** Where the running step's process group lives, so that a stalled lane's leftovers can be stopped. */
export function stepProcessStarted(lane: Lane, process: { host: string; pid: number }): Lane {
  return { ...lane, process };
}

/**
 * A step ran to its end. A failed step skips everything after it, except when it is an independent
 * test suite: each suite is its own verdict, so the suites after it still run.
 */
export function stepResult(lane: Lane, index: number, result: StepResult, options: { suite?: boolean } = {}): Lane {
  const next = withStep(withoutProcess(lane), index, (s) => ({ ...s, ...result }));
  return result.status === 'failed' && !options.suite ? skipAfter(next, index) : next;
}

/**
 * The job was told to stop before this step began. The step reads cancelled or interrupted, never
 * passed or skipped: a lane stopped early must not look as if it did its work.
 */
export function stoppedBeforeStep(lane: Lane, index: number, cause: StopCause): Lane {
  const reason = cause.kind === 'cancelled' ? 'cancelled before it started' : `not started: ${cause.why}`;
  return skipAfter(
    withStep(lane, index, (s) => ({ ...s, status: cause.kind, reason })),
    index,
  );
}

/** The job was told to stop while this step ran, and its process was stopped. */
export function stoppedWhileRunning(lane: Lane, index: number, cause: StopCause, end: StepEnd): Lane {
  const reason = cause.kind === 'cancelled' ? 'cancelled while running' : `stopped while running: ${cause.why}`;
  return skipAfter(
    withStep(withoutProcess(lane), index, (s) => ({ ...s, ...end, status: cause.kind, reason })),
    index,
  );
}

/**
 * The re-plan before an apply is not the plan that was approved (or there is none): the plan step
 * fails with why, and nothing after it runs — not the apply, and not an ephemeral teardown, which
 * would tear down what the cloud carries now.
 */
export function planRefused(lane: Lane, index: number, reason: string): Lane {
  return {
    ...lane,
    steps: lane.steps.map((s, i) => (i === index ? { ...s, status: 'failed', reason } : i > index && s.status === 'queued' ? { ...s, status: 'skipped' } : s)),
  };
}

/** The job is over: every step has its outcome. */
export function finishLane(lane: Lane, at: number): Lane {
  return { ...withoutProcess(lane), finishedAt: at };
}

/**
 * The lane could not run its steps (the checkout failed, the job threw): `error` is that failure's
 * own text, which views show as plain text. Steps not done are skipped.
 */
export function failLane(lane: Lane, error: string, at: number): Lane {
  return {
    ...withoutProcess(lane),
    error,
    finishedAt: at,
    steps: lane.steps.map((s) => (isOpen(s) ? { ...s, status: 'skipped' } : s)),
  };
}

/**
 * The lane may not run at all (its cloud is locked, or another deploy took it over). What stands
 * in the way is kept as data; the card words it.
 */
export function blockLane(lane: Lane, blocked: LaneBlock, at: number): Lane {
  return {
    ...withoutProcess(lane),
    blocked,
    finishedAt: at,
    steps: lane.steps.map((s) => (isOpen(s) ? { ...s, status: 'skipped' } : s)),
  };
}

/**
 * Someone cancelled the run before this lane's job got to it (or while it was waiting): every step
 * not done reads cancelled, so the lane does, too.
 */
export function cancelLane(lane: Lane, by: string, at: number): Lane {
  return {
    ...withoutProcess(lane),
    finishedAt: at,
    steps: lane.steps.map((s) => (isOpen(s) ? { ...s, status: 'cancelled', reason: `cancelled by ${by}` } : s)),
  };
}

/**
 * The lane's worker was lost (killed, crashed) and the job will not run again: the step it was
 * running is interrupted, the rest skipped. Lost between steps, no step carries the blame, so the
 * lane says it itself.
 */
export function interruptLane(lane: Lane, at: number): Lane {
  const running = lane.steps.some((s) => s.status === 'running');
  return {
    ...withoutProcess(lane),
    finishedAt: at,
    steps: lane.steps.map((s) => {
      if (s.status === 'running') return { ...s, status: 'interrupted', finishedAt: at, reason: 'its worker was lost (killed or crashed) while it ran' };
      if (s.status === 'queued') return { ...s, status: 'skipped' };
      return s;
    }),
    ...(running ? {} : { error: 'its worker was lost before the lane finished' }),
  };
}

/**
 * The lane runs again from its first step after its worker was lost: every step queued again,
 * nothing of the lost attempt kept but the note that says there was one.
 */
export function retryLane(lane: Lane): Lane {
  return { name: lane.name, steps: lane.steps.map((s) => ({ name: s.name, status: 'queued' })), note: RETRY_NOTE };
}
