import { audit } from '../audit/record.js';
import { buildDedupId, type createBuildQueue } from '../queue/build-queue.js';
import { cloudJobId, deployJobId, type DeployFlow } from '../queue/deploy-flow.js';
import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { RunStore } from '../runs/run-store.js';
import type { ApprovalRequests } from '../runs/approval-requests.js';
import type { CancelBus } from '../queue/cancel-bus.js';
import { awaitingApproval, isRunDone, lanesDone, type Lane } from '../runs/run.js';
import { cancelLane } from '../runs/lane.js';
import { clickedInRunChannel } from '../access/run-channel.js';
import type { AuditTrail, Cards } from './ports.js';

/** What cancelling touches. */
export interface CancelRunDeps extends AuditTrail {
  config: Pick<Config, 'access'>;
  access: Pick<Access, 'allows'>;
  runs: Pick<RunStore, 'get' | 'decide' | 'markCancelled' | 'saveLane'>;
  approvals: Pick<ApprovalRequests, 'close'>;
  buildQueue: Pick<ReturnType<typeof createBuildQueue>, 'remove' | 'removeDeduplicationKey'>;
  deployFlow: { cloudQueue: Pick<DeployFlow['cloudQueue'], 'remove'>; deployQueue: Pick<DeployFlow['deployQueue'], 'remove'> };
  cancelBus: Pick<CancelBus, 'publish'>;
  notifier: Pick<Cards, 'flush'>;
}

export type CancelOutcome =
  | { kind: 'cancelling'; runId: string }
  | { kind: 'withdrawn'; runId: string }
  | { kind: 'unknown-run'; runId: string }
  | { kind: 'wrong-channel' }
  | { kind: 'already-cancelled'; runId: string; by?: string }
  | { kind: 'finished'; runId: string }
  | { kind: 'not-allowed'; runKind: 'build' | 'deploy' }
  | { kind: 'decided-meanwhile' };

/**
 * Cancel a run from any process: it is marked cancelled once (HSETNX), its queued jobs are removed,
 * lanes that never started are marked cancelled, and every worker holding one of its jobs is told
 * to stop (pub/sub) — the running step's process group gets SIGTERM, then SIGKILL after the grace,
 * and the cloud locks are released as the jobs end.
 */
export async function cancelRun(deps: CancelRunDeps, runId: string, user: string, channel?: string): Promise<CancelOutcome> {
  const { runs, config, access, buildQueue, deployFlow, cancelBus, notifier } = deps;
  const run = await runs.get(runId);
  if (!run) return { kind: 'unknown-run', runId };
  if (!clickedInRunChannel(run, channel)) return { kind: 'wrong-channel' };
  const destroying = run.destroy !== undefined && !lanesDone(run.destroyLanes ?? []);
  const already = destroying ? run.destroyCancelledBy : run.cancelledBy;
  if (already) return { kind: 'already-cancelled', runId, by: already };
  if (isRunDone(run) && !destroying) return { kind: 'finished', runId };
  // Cancel: the requester, an approver, and for builds any builder.
  const allowed =
    user === run.requestedBy ||
    (await access.allows(config.access.approvers, user)) ||
    (run.kind === 'build' && (await access.allows(config.access.builders ?? config.access.deployers, user)));
  if (!allowed) return { kind: 'not-allowed', runKind: run.kind };

  if (awaitingApproval(run)) {
    // Not started: withdrawing the request is rejecting it.
    const { won } = await runs.decide(runId, { state: 'rejected', by: user, at: Date.now() });
    if (won) await audit(deps, { action: 'deploy.rejected', by: user, runId, commit: run.sha, clouds: run.laneNames, reason: 'withdrawn with cancel' });
    await deps.approvals.close(runId);
    await notifier.flush(runId);
    return won ? { kind: 'withdrawn', runId } : { kind: 'decided-meanwhile' };
  }
  if (!(await runs.markCancelled(runId, user, destroying ? 'destroy' : 'run'))) return { kind: 'already-cancelled', runId };
  await audit(deps, { action: 'run.cancelled', by: user, runId, commit: run.sha, ...(run.kind === 'deploy' ? { clouds: run.laneNames } : {}) });

  // Queued jobs go; an active job cannot be removed (it is locked) and is stopped through the bus.
  const removeQuietly = async (remove: () => Promise<unknown>) => remove().catch(() => undefined);
  const notStarted = async (lanes: Lane[], phase: 'run' | 'destroy') => {
    for (const lane of lanes.filter((l) => l.startedAt === undefined && !l.finishedAt)) {
      await runs.saveLane(runId, cancelLane(lane, user, Date.now()), phase);
    }
  };
  if (run.kind === 'build') {
    await removeQuietly(() => buildQueue.remove(runId));
    await removeQuietly(() => buildQueue.removeDeduplicationKey(buildDedupId(run.channel, run.sha)));
    await notStarted(run.lanes, 'run');
  } else {
    const phase = destroying ? 'destroy' : 'deploy';
    const lanes = destroying ? (run.destroyLanes ?? []) : run.lanes;
    for (const lane of lanes) await removeQuietly(() => deployFlow.cloudQueue.remove(cloudJobId(runId, phase, lane.name)));
    await notStarted(lanes, destroying ? 'destroy' : 'run');
    // With every child gone or done, the parent would wait forever for removed children: drop it too.
    if (lanes.every((l) => l.startedAt === undefined)) await removeQuietly(() => deployFlow.deployQueue.remove(deployJobId(runId, phase)));
  }
  await cancelBus.publish(runId);
  await notifier.flush(runId);
  return { kind: 'cancelling', runId };
}
