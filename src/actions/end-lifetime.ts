import type { Config } from '../config/schema.js';
import type { RunStore } from '../runs/run-store.js';
import { runStatus } from '../runs/run.js';
import { destroyClouds, type DestroyCloudsDeps, type DestroyOutcome } from './destroy-deploy.js';
import type { CloudLocks } from '../queue/cloud-locks.js';
import type { CloudState } from '../runs/cloud-state.js';
import type { ExpiryQueue } from '../queue/expiry-queue.js';

/** What the automatic destroy touches: what a destroy does, without a person to authorise. */
export interface EndLifetimeDeps extends DestroyCloudsDeps {
  config: Pick<Config, 'destroy'>;
  runs: DestroyCloudsDeps['runs'] & Pick<RunStore, 'get' | 'setKeepUntil'>;
  cloudState: DestroyCloudsDeps['cloudState'] & Pick<CloudState, 'carriedBy'>;
  locks: Pick<CloudLocks, 'blocker'>;
  expiry: Pick<ExpiryQueue, 'schedule'>;
}

/** How long an automatic destroy waits when a cloud is locked, before it tries again. */
export const LOCKED_RETRY_MS = 15 * 60_000;

/** Who the card and the audit say destroyed a deploy whose lifetime ended. */
export const LIFETIME_ACTOR = 'apollo (lifetime ended)';

export type EndLifetimeOutcome = { kind: 'stale'; why: string } | { kind: 'postponed'; until: number; cloud: string } | DestroyOutcome;

/**
 * The timer of a kept deploy fired: its lifetime ended at `at`, so its clouds are destroyed, as if
 * Destroy had been clicked. Nothing happens when the timer is stale: the lifetime was extended, the
 * deploy was destroyed already, or newer deploys took its clouds (destroyClouds skips those).
 */
export async function endLifetime(deps: EndLifetimeDeps, runId: string, at: number): Promise<EndLifetimeOutcome> {
  const run = await deps.runs.get(runId);
  if (!run) return { kind: 'stale', why: 'the run is gone' };
  if (run.destroy) return { kind: 'stale', why: 'already destroyed' };
  if (run.keepUntil !== at) return { kind: 'stale', why: run.keepUntil === undefined ? 'no lifetime any more' : 'extended' };
  const status = runStatus(run);
  if (status === 'running' || status === 'queued') return { kind: 'stale', why: 'still running' };
  const steps = run.pipeline ? run.pipeline.destroy : deps.config.destroy?.steps;
  if (!steps?.length) return { kind: 'not-configured' };
  // A cloud someone locked (or another run is using) is not destroyed under them: the lifetime is
  // moved on a little and the timers scheduled again, so the destroy still happens, and is reminded of.
  for (const cloud of await deps.cloudState.carriedBy(runId, run.laneNames)) {
    if (!(await deps.locks.blocker(cloud, LIFETIME_ACTOR, runId))) continue;
    const until = Date.now() + LOCKED_RETRY_MS;
    await deps.runs.setKeepUntil(runId, until);
    await deps.expiry.schedule(runId, until, until - Math.floor(LOCKED_RETRY_MS / 2));
    deps.notifier.refresh(runId);
    return { kind: 'postponed', until, cloud };
  }
  // Only if the lifetime is still the one that ended: an Extend clicked meanwhile wins.
  return destroyClouds(deps, run, LIFETIME_ACTOR, steps, { expired: true, keepUntil: at });
}
