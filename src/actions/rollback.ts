import type { CloudState } from '../runs/cloud-state.js';
import { requestDeploy, resolveClouds, type RequestDeployDeps } from './request-deploy.js';

/** What a rollback reads besides what asking for a deploy touches. */
export interface RollbackDeps extends RequestDeployDeps {
  cloudState: Pick<CloudState, 'history' | 'lastDeploy'>;
}

export type RollbackOutcome =
  | { kind: 'requested'; runId: string; cloud: string; from: string; to: string; cardError?: string }
  /** Nothing is deployed on the cloud now (never, or destroyed): there is nothing to roll back. */
  | { kind: 'nothing-live'; cloud: string }
  /** The cloud's history has no earlier passed deploy of another commit. */
  | { kind: 'no-previous'; cloud: string; live: string };

/**
 * `/apollo rollback <cloud>`: a deploy request of the commit that was live on the cloud before the
 * current one (the newest earlier deploy that passed, of another commit), through the same
 * checks, plan and approval as any deploy. Deployers only (requestDeploy checks).
 */
export async function rollback(deps: RollbackDeps, cloudName: string, user: string, channel: string): Promise<RollbackOutcome> {
  const [cloud] = resolveClouds(deps.config, [cloudName]) as [string];
  const live = await deps.cloudState.lastDeploy(cloud);
  if (!live) return { kind: 'nothing-live', cloud };
  const history = await deps.cloudState.history(cloud);
  const at = history.findIndex((d) => d.runId === live.runId);
  const previous = history.slice(at + 1).find((d) => d.outcome === 'passed' && d.sha !== live.sha);
  if (!previous) return { kind: 'no-previous', cloud, live: live.sha };
  const result = await requestDeploy(deps, { clouds: [cloud], ref: previous.sha, requestedBy: user, channel, rollbackFrom: live.sha });
  return { kind: 'requested', runId: result.runId, cloud, from: live.sha, to: previous.sha, ...(result.cardError ? { cardError: result.cardError } : {}) };
}
