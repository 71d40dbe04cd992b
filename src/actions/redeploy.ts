import type { RunStore } from '../runs/run-store.js';
import { clickedInRunChannel } from '../access/run-channel.js';
import { requestDeploy, type RequestDeployDeps } from './request-deploy.js';

export interface RedeployDeps extends RequestDeployDeps {
  runs: RequestDeployDeps['runs'] & Pick<RunStore, 'get'>;
}

export type RedeployOutcome = { kind: 'requested'; runId: string; cardError?: string } | { kind: 'gone' } | { kind: 'wrong-channel' };

/**
 * The Redeploy button: a new approval request for the same commit and clouds, by whoever clicked
 * (a deployer: requestDeploy checks), from the run's own card.
 */
export async function redeploy(deps: RedeployDeps, runId: string, user: string, channel?: string): Promise<RedeployOutcome> {
  const run = await deps.runs.get(runId);
  if (!run || run.kind !== 'deploy') return { kind: 'gone' };
  if (!clickedInRunChannel(run, channel)) return { kind: 'wrong-channel' };
  const result = await requestDeploy(deps, { clouds: run.laneNames, ref: run.sha, requestedBy: user, channel: run.channel, ...(run.tests ? { tests: run.tests } : {}), ...(run.ephemeral ? { ephemeral: true } : {}), ...(run.keepMs !== undefined ? { keepMs: run.keepMs } : {}) });
  return { kind: 'requested', runId: result.runId, ...(result.cardError ? { cardError: result.cardError } : {}) };
}
