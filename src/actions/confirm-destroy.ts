import type { Config } from '../config/schema.js';
import type { RunStore } from '../runs/run-store.js';
import type { Lane, Run } from '../runs/run.js';
import { audit } from '../audit/record.js';
import { destroyClouds, destroyTargets, mayDestroy, type DestroyDeployDeps, type DestroyOutcome, type TakenCloud } from './destroy-deploy.js';
import type { Cards } from './ports.js';

/** What the destroy modal's two steps touch. */
export interface ConfirmDestroyDeps extends DestroyDeployDeps {
  config: DestroyDeployDeps['config'] & Pick<Config, 'access'>;
  runs: DestroyDeployDeps['runs'] & Pick<RunStore, 'addDestroyVote'>;
  notifier: Pick<Cards, 'refresh'>;
}

/** A destroy waiting for its next destroyer. */
export interface PendingDestroy {
  by: string;
  at: number;
  /** When the waiting request expires (after `access.approvalTtl`). */
  expiresAt: number;
}

/** What the modal shows: the clouds (with what their last apply did), and who confirmed so far. */
export type DestroyPrompt =
  | { kind: 'confirm'; run: Run; targets: Lane[]; taken: TakenCloud[]; required: number; pending: PendingDestroy[]; expired: PendingDestroy[] }
  | Exclude<DestroyOutcome, { kind: 'destroying' }>;

export type ConfirmDestroyOutcome =
  | DestroyOutcome
  /** The typed names are not the clouds': nothing happens, the modal says so. */
  | { kind: 'wrong-name'; expected: string[] }
  /** Counted; `destroy.requiredApprovals` wants more destroyers before anything runs. */
  | { kind: 'needs-more'; have: number; required: number; expired: PendingDestroy[] }
  /** This person's confirmation stands already: the next must be someone else's. */
  | { kind: 'same-destroyer' };

function fresh(run: Run, ttlMs: number, now: number): { pending: PendingDestroy[]; expired: PendingDestroy[] } {
  const votes = (run.destroyVotes ?? []).map((v) => ({ ...v, expiresAt: v.at + ttlMs }));
  return { pending: votes.filter((v) => v.expiresAt > now), expired: votes.filter((v) => v.expiresAt <= now) };
}

/** Destroy, clicked: may this person destroy it, and what would the modal ask them to confirm. */
export async function prepareDestroy(deps: ConfirmDestroyDeps, runId: string, user: string, channel?: string, now: number = Date.now()): Promise<DestroyPrompt> {
  const allowed = await mayDestroy(deps, await deps.runs.get(runId), user, channel);
  if ('kind' in allowed) return allowed;
  const { targets, taken } = await destroyTargets(deps, allowed.run);
  if (targets.length === 0) return taken.length > 0 ? { kind: 'nothing-left', runId, taken } : { kind: 'nothing-deployed' };
  return { kind: 'confirm', run: allowed.run, targets, taken, required: deps.config.destroy?.requiredApprovals ?? 1, ...fresh(allowed.run, deps.config.access.approvalTtl, now) };
}

/** The names a person typed, as a set: `aws`, `aws, gcp` or `aws gcp`. */
export function typedClouds(typed: string): string[] {
  return [...new Set(typed.toLowerCase().split(/[\s,]+/).filter(Boolean))].sort();
}

/**
 * The modal, submitted: the person typed the names of the clouds it destroys. With
 * `destroy.requiredApprovals` above 1, each destroyer's confirmation is counted once (it expires
 * after `access.approvalTtl`), and the destroy starts with the one that completes the count.
 * Every check of the button is made again: things may have changed while the modal was open.
 */
export async function confirmDestroy(deps: ConfirmDestroyDeps, runId: string, user: string, typed: string, channel?: string, now: number = Date.now()): Promise<ConfirmDestroyOutcome> {
  const prompt = await prepareDestroy(deps, runId, user, channel, now);
  if (prompt.kind !== 'confirm') return prompt;
  const expected = prompt.targets.map((l) => l.name).sort();
  if (typedClouds(typed).join(',') !== expected.join(',')) return { kind: 'wrong-name', expected };
  const { run, required } = prompt;
  const steps = (run.pipeline ? run.pipeline.destroy : deps.config.destroy?.steps) ?? [];
  if (required <= 1) return destroyClouds(deps, run, user, steps);
  const ttl = deps.config.access.approvalTtl;
  if (!(await deps.runs.addDestroyVote(runId, user, now, now - ttl))) return { kind: 'same-destroyer' };
  const others = prompt.pending.filter((v) => v.by !== user).map((v) => v.by);
  if (others.length + 1 < required) {
    await audit(deps, { action: 'destroy.confirmed', by: user, runId, commit: run.sha, clouds: expected, reason: `${others.length + 1} of ${required} destroyers` });
    deps.notifier.refresh(runId);
    return { kind: 'needs-more', have: others.length + 1, required, expired: prompt.expired.filter((v) => v.by !== user) };
  }
  return destroyClouds(deps, run, user, steps, { confirmedBy: others });
}
