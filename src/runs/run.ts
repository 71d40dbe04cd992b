import type { TestSummary } from '../reports/summary.js';
import type { PipelineSteps } from '../pipeline/run-steps.js';

/**
 * A run is a value: what was asked, and per lane (the build, or one cloud of a deploy) the steps with
 * their status, timings, exit codes and report summaries. Views render it; nothing else formats it.
 */
export type StepStatus = 'queued' | 'running' | 'passed' | 'failed' | 'skipped' | 'interrupted' | 'cancelled';
export type RunStatus = 'queued' | 'running' | 'passed' | 'failed' | 'interrupted' | 'cancelled';
export type RunKind = 'build' | 'deploy';

/**
 * What a step is for in a deploy lane: a test suite (its own verdict), or the teardown of an
 * ephemeral deploy (runs whatever happened before it). Steps without a role are the deploy itself.
 */
export type StepRole = 'test' | 'teardown' | 'plan';

export interface StepState {
  name: string;
  status: StepStatus;
  role?: StepRole;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number | null;
  timedOut?: boolean;
  /** Last lines of this step's output; kept only for failed or interrupted steps. */
  tail?: string[];
  summary?: TestSummary;
  /** Why a step ended the way it did when the exit code does not say (timeout, report gate...). */
  reason?: string;
}

/**
 * Why a cloud's lane could not run: its cloud was locked (by a person's sticky lock, or by another
 * run), or, for a destroy, another deploy has taken the cloud over since.
 */
export type LaneBlock =
  | { kind: 'locked'; lock: 'sticky' | 'run'; cloud: string; by: string; since: number; reason?: string; runId?: string }
  | { kind: 'taken-over'; cloud: string; currentRunId?: string };

export interface Lane {
  name: string;
  steps: StepState[];
  startedAt?: number;
  finishedAt?: number;
  /**
   * A lane-level failure outside any step (checkout failed, the job threw): that failure's own
   * text, plain, never mrkdwn; views escape it.
   */
  error?: string;
  /** What kept the lane from running at all, as data: views word it (with its mentions). */
  blocked?: LaneBlock;
  /** Something the card should say about the lane (e.g. it was retried after its worker was lost). */
  note?: string;
  /** Where the running step's process group lives, so a stalled lane's leftovers can be stopped. */
  process?: { host: string; pid: number };
}

export interface RunMeta {
  id: string;
  kind: RunKind;
  ref: string;
  sha: string;
  subject: string;
  author: string;
  requestedBy: string;
  channel: string;
  createdAt: number;
  laneNames: string[];
  /** The card, once posted. */
  message?: { channel: string; ts: string };
  /** Deploys: which test suites run (undefined: all of deploy.tests). */
  tests?: string[];
  /** Deploys: when the approval request expires (epoch ms). */
  approvalExpiresAt?: number;
  /** Deploys: torn down by the run itself (`--ephemeral`): each cloud's lane ends with the destroy steps. */
  ephemeral?: boolean;
  /** The steps read from the repository (`pipeline.fromRepo`) when the run was requested; else the server's. */
  pipeline?: PipelineSteps;
  /**
   * Deploys: the requester forced a commit without a green build past `deploy.requireGreenBuild`
   * (`--force`, approvers only): the card says so.
   */
  forced?: boolean;
  /** Deploys: why, in the requester's words (the deploy form's reason). */
  reason?: string;
  /** Deploys asked for by `/apollo rollback`: the commit that was live on the cloud, which this one replaces. */
  rollbackFrom?: string;
  /** Deploys: kept this long after the deploy finishes (`--keep`), then destroyed automatically. */
  keepMs?: number;
  /**
   * Branches (and tags, as `tag:<name>`) of the repository that contain the commit, when it was
   * requested: only reviewed code is built, and the approval card says where the commit comes from.
   */
  branches?: string[];
}

/** A deploy's approval, written once (HSETNX): the first click wins. */
export interface Decision {
  state: 'approved' | 'rejected' | 'expired';
  /** Approved: the plan digest of each cloud the approval is bound to (deploys with `deploy.plan`). */
  planDigests?: Record<string, string>;
  by?: string;
  at: number;
  /** Approved: everyone whose approval counted (the last of them is `by`), when more than one did. */
  approvers?: string[];
}

export interface DestroyRequest {
  by: string;
  at: number;
  laneNames: string[];
  /** Set when nobody clicked: the deploy's lifetime (`--keep`) ended. */
  expired?: true;
  /** `destroy.requiredApprovals`: the destroyers who confirmed it before `by`, oldest first. */
  confirmedBy?: string[];
}

export interface Run extends RunMeta {
  lanes: Lane[];
  /** Deploys: the approvals given so far, oldest first (each person once), until the decision. */
  approvals?: { by: string; at: number }[];
  /** Deploys with a lifetime: when the automatic destroy runs (epoch ms), once the deploy finished. */
  keepUntil?: number;
  decision?: Decision;
  /** Destroys needing more than one destroyer: who confirmed so far, oldest first. */
  destroyVotes?: { by: string; at: number }[];
  /** Deploys with `deploy.plan`: each cloud's plan, run when the deploy was requested. */
  planLanes?: Lane[];
  destroy?: DestroyRequest;
  destroyLanes?: Lane[];
  /** Set when someone cancelled the run (its build or deploy phase). */
  cancelledBy?: string;
  /** Set when someone cancelled the destroy phase of a deploy. */
  destroyCancelledBy?: string;
}

const DONE: ReadonlySet<StepStatus> = new Set(['passed', 'failed', 'skipped', 'interrupted', 'cancelled']);

export function isStepDone(step: StepState): boolean {
  return DONE.has(step.status);
}

export function laneStatus(lane: Lane): RunStatus {
  if (lane.error || lane.blocked) return 'failed';
  const statuses = lane.steps.map((s) => s.status);
  // A stopped or failed lane is not over while its teardown still has to run (or is running).
  const tearingDown = lane.finishedAt === undefined && lane.steps.some((s) => s.role === 'teardown' && (s.status === 'queued' || s.status === 'running'));
  if (tearingDown && statuses.some((s) => s === 'cancelled' || s === 'interrupted' || s === 'failed')) return 'running';
  if (statuses.includes('cancelled')) return 'cancelled';
  if (statuses.includes('interrupted')) return 'interrupted';
  if (statuses.includes('failed')) return lane.finishedAt ? 'failed' : 'running';
  if (statuses.every((s) => s === 'queued')) return lane.startedAt ? 'running' : 'queued';
  if (statuses.every((s) => s === 'passed' || s === 'skipped')) return 'passed';
  return 'running';
}

/** The run's status follows its lanes: done only when every lane is. */
export function runStatus(run: Run): RunStatus {
  const statuses = run.lanes.map(laneStatus);
  if (statuses.length === 0) return 'queued';
  if (statuses.some((s) => s === 'running' || s === 'queued')) {
    return statuses.every((s) => s === 'queued') ? 'queued' : 'running';
  }
  for (const terminal of ['cancelled', 'interrupted', 'failed'] as const) {
    if (statuses.includes(terminal)) return terminal;
  }
  return 'passed';
}

export function isRunDone(run: Run): boolean {
  if (run.kind === 'deploy' && run.decision?.state !== 'approved') return run.decision !== undefined;
  const status = runStatus(run);
  return status !== 'queued' && status !== 'running';
}

/** A deploy waiting for an approver's click. */
export function awaitingApproval(run: Run): boolean {
  return run.kind === 'deploy' && run.decision === undefined;
}

/** A deploy request nobody decided before its approval time ran out (decided or not yet marked). */
export function approvalExpired(run: Run, now: number): boolean {
  return awaitingApproval(run) && run.approvalExpiresAt !== undefined && run.approvalExpiresAt <= now;
}

export function lanesDone(lanes: Lane[]): boolean {
  return lanes.every((l) => l.finishedAt !== undefined || l.error !== undefined);
}

/** The digest of the plan a lane's plan steps reported, when one did and passed. */
export function planDigest(lane: Lane): string | undefined {
  for (const step of lane.steps) {
    if (step.status === 'passed' && step.summary?.details?.format === 'terraform-plan') return step.summary.details.digest;
  }
  return undefined;
}

/** A lane whose steps are all queued; `roles[i]` is the role of step i, if it has one. */
export function newLane(name: string, stepNames: string[], roles: (StepRole | undefined)[] = []): Lane {
  return { name, steps: stepNames.map((n, i) => ({ name: n, status: 'queued', ...(roles[i] ? { role: roles[i] } : {}) })) };
}

/** The teardown steps of an ephemeral deploy's lane (none for other lanes). */
export function teardownSteps(lane: Lane): StepState[] {
  return lane.steps.filter((s) => s.role === 'teardown');
}

/**
 * Whether an ephemeral lane may have left something behind: it started (so its deploy steps may
 * have created resources) and its teardown did not pass.
 */
export function needsCleanup(lane: Lane): boolean {
  const teardown = teardownSteps(lane);
  if (teardown.length === 0 || lane.startedAt === undefined || lane.finishedAt === undefined) return false;
  return teardown.some((s) => s.status !== 'passed');
}

export function runStartedAt(run: Run): number | undefined {
  const starts = run.lanes.map((l) => l.startedAt).filter((t): t is number => t !== undefined);
  return starts.length > 0 ? Math.min(...starts) : undefined;
}

export function runFinishedAt(run: Run): number | undefined {
  if (!isRunDone(run)) return undefined;
  const ends = run.lanes.map((l) => l.finishedAt).filter((t): t is number => t !== undefined);
  return ends.length > 0 ? Math.max(...ends) : undefined;
}
