import { needsCleanup, newLane, runStatus, type Lane, type Run } from '../runs/run.js';
import { ApolloError, ErrorCode } from '../errors.js';
import type { Config, Step } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { RunStore } from '../runs/run-store.js';
import type { CloudState } from '../runs/cloud-state.js';
import type { DeployFlow } from '../queue/deploy-flow.js';
import { audit } from '../audit/record.js';
import { clickedInRunChannel } from '../access/run-channel.js';
import { cloudPolicy } from '../access/cloud-policy.js';
import type { AuditTrail, Cards } from './ports.js';

/** What starting a destroy touches. */
export interface DestroyCloudsDeps extends AuditTrail {
  runs: Pick<RunStore, 'startDestroy' | 'undoDestroy' | 'clearKeep'>;
  cloudState: Pick<CloudState, 'current'>;
  deployFlow: Pick<DeployFlow, 'add'>;
  notifier: Pick<Cards, 'refresh'>;
}

/** What the Destroy button touches. */
export interface DestroyDeployDeps extends DestroyCloudsDeps {
  config: Pick<Config, 'access' | 'clouds' | 'destroy'>;
  access: Pick<Access, 'allows'>;
  runs: Pick<RunStore, 'get' | 'startDestroy' | 'undoDestroy' | 'clearKeep'>;
}

/** A cloud an old card may no longer destroy, and which run (if any) carries it now. */
export interface TakenCloud {
  cloud: string;
  currentRunId?: string;
}

export type DestroyOutcome =
  | { kind: 'destroying'; clouds: string[]; taken: TakenCloud[] }
  | { kind: 'gone' }
  | { kind: 'wrong-channel' }
  | { kind: 'not-configured' }
  | { kind: 'already-started'; by?: string; at?: number }
  | { kind: 'never-ran' }
  | { kind: 'still-running' }
  | { kind: 'not-destroyer'; clouds: string[] }
  | { kind: 'nothing-deployed' }
  | { kind: 'nothing-left'; runId: string; taken: TakenCloud[] };

/**
 * The Destroy button: allowed to `access.destroyers` (default the approvers), once per deploy, for
 * each cloud the deploy touched (a failed apply may still have created resources).
 */
export async function destroyDeploy(deps: DestroyDeployDeps, runId: string, user: string, channel?: string): Promise<DestroyOutcome> {
  const run = await deps.runs.get(runId);
  const allowed = await mayDestroy(deps, run, user, channel);
  if ('kind' in allowed) return allowed;
  return destroyClouds(deps, allowed.run, user, allowed.steps);
}

/**
 * Whether `user` may destroy `run` now, from `channel`: the deploy is over, nothing destroyed it
 * yet, and they are a destroyer of every cloud it has. The checks of every way a person destroys.
 */
export async function mayDestroy(deps: Pick<DestroyDeployDeps, 'config' | 'access'>, run: Run | undefined, user: string, channel?: string): Promise<{ run: Run; steps: Step[] } | Exclude<DestroyOutcome, { kind: 'destroying' }>> {
  const { config, access } = deps;
  if (!run || run.kind !== 'deploy') return { kind: 'gone' };
  if (!clickedInRunChannel(run, channel)) return { kind: 'wrong-channel' };
  const destroySteps = run.pipeline ? run.pipeline.destroy : config.destroy?.steps;
  if (!destroySteps?.length) return { kind: 'not-configured' };
  if (run.destroy) return { kind: 'already-started', by: run.destroy.by, at: run.destroy.at };
  if (run.decision?.state !== 'approved') return { kind: 'never-ran' };
  const status = runStatus(run);
  if (status === 'running' || status === 'queued') return { kind: 'still-running' };
  // Each cloud has its destroyers (clouds.<name>.destroyers, default access.destroyers, else its
  // approvers): the clicker must be one for every cloud this destroy may touch.
  const refused: string[] = [];
  for (const cloud of run.laneNames) if (!(await access.allows(cloudPolicy(config, cloud).destroyers, user))) refused.push(cloud);
  if (refused.length > 0) return { kind: 'not-destroyer', clouds: refused };
  return { run, steps: destroySteps };
}

/**
 * The clouds a destroy of `run` would touch now, with their lanes (what the last apply did): those
 * it started (for an ephemeral deploy, those whose teardown failed) that it still carries.
 */
export async function destroyTargets(deps: Pick<DestroyCloudsDeps, 'cloudState'>, run: Run): Promise<{ targets: Lane[]; taken: TakenCloud[] }> {
  const started = run.lanes.filter((l) => (run.ephemeral ? needsCleanup(l) : l.startedAt !== undefined));
  const targets: Lane[] = [];
  const taken: TakenCloud[] = [];
  for (const lane of started) {
    const current = await deps.cloudState.current(lane.name);
    if (current === run.id) targets.push(lane);
    else taken.push({ cloud: lane.name, ...(current ? { currentRunId: current } : {}) });
  }
  return { targets, taken };
}

/**
 * Starts the destroy phase of a finished deploy, for each cloud it still carries, by `by` (a person
 * who was authorised, or the end of the deploy's lifetime). Once per deploy; the automatic destroy's
 * timer is off from here on.
 */
export async function destroyClouds(deps: DestroyCloudsDeps, run: Run, by: string, destroySteps: Step[], options: { expired?: true; keepUntil?: number; confirmedBy?: string[] } = {}): Promise<DestroyOutcome> {
  const { runs, deployFlow, notifier, cloudState } = deps;
  const runId = run.id;
  // An ephemeral deploy tore its clouds down itself: only a cloud whose teardown failed is left.
  const started = run.lanes.filter((l) => (run.ephemeral ? needsCleanup(l) : l.startedAt !== undefined)).map((l) => l.name);
  if (started.length === 0) return { kind: 'nothing-deployed' };
  // A newer deploy to the same cloud owns its state now: an old card's Destroy must not touch it.
  const clouds: string[] = [];
  const taken: TakenCloud[] = [];
  for (const cloud of started) {
    const current = await cloudState.current(cloud);
    if (current === runId) clouds.push(cloud);
    else taken.push({ cloud, ...(current ? { currentRunId: current } : {}) });
  }
  if (clouds.length === 0) return { kind: 'nothing-left', runId, taken };
  const stepNames = destroySteps.map((s) => s.name);
  const request = { by, at: Date.now(), laneNames: clouds, ...(options.expired ? { expired: true as const } : {}), ...(options.confirmedBy ? { confirmedBy: options.confirmedBy } : {}) };
  const won = await runs.startDestroy(runId, request, clouds.map((c) => newLane(c, stepNames)), options.keepUntil);
  if (!won) return { kind: 'already-started' };
  try {
    await deployFlow.add(runId, 'destroy', clouds);
  } catch (err) {
    // Undo, so the button works again once the queue is back: a destroy must never be lost silently.
    await runs.undoDestroy(runId, clouds);
    throw new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable; nothing was destroyed. Click Destroy again in a minute.', { cause: err });
  }
  await audit(deps, { action: options.expired ? 'deploy.lifetime-ended' : 'destroy.requested', by, runId, commit: run.sha, clouds, ...(options.confirmedBy?.length ? { reason: `with ${options.confirmedBy.join(', ')}` } : {}) });
  await runs.clearKeep(runId).catch(() => undefined); // its timers find the destroy started and do nothing
  notifier.refresh(runId);
  return { kind: 'destroying', clouds, taken };
}
