import type { DecisionOutcome } from './decide-deploy.js';
import { audit } from '../audit/record.js';
import { buildDedupId } from '../queue/build-queue.js';
import { cloudJobId, deployJobId } from '../queue/deploy-flow.js';
import type { Services } from '../services.js';
import { awaitingApproval, isRunDone, lanesDone, type Lane } from '../runs/run.js';
import { cancelLane } from '../worker/lane-job.js';
import { mention } from '../../views/mention.js';
import { clickedInRunChannel, WRONG_CHANNEL } from '../access/run-channel.js';

/**
 * Cancel a run from any process: it is marked cancelled once (HSETNX), its queued jobs are removed,
 * lanes that never started are marked cancelled, and every worker holding one of its jobs is told
 * to stop (pub/sub) — the running step's process group gets SIGTERM, then SIGKILL after the grace,
 * and the cloud locks are released as the jobs end.
 */
export async function cancelRun(services: Services, runId: string, user: string, channel?: string): Promise<DecisionOutcome> {
  const { runs, config, access, buildQueue, deployFlow, cancelBus, notifier } = services;
  const run = await runs.get(runId);
  if (!run) return { ok: false, text: `There is no run \`${runId}\`.` };
  if (!clickedInRunChannel(run, channel)) return { ok: false, text: WRONG_CHANNEL };
  const destroying = run.destroy !== undefined && !lanesDone(run.destroyLanes ?? []);
  const already = destroying ? run.destroyCancelledBy : run.cancelledBy;
  if (already) return { ok: false, text: `Run \`${runId}\` was already cancelled by ${mention(already)}.` };
  if (isRunDone(run) && !destroying) return { ok: false, text: `Run \`${runId}\` has already finished; nothing to cancel.` };
  // Cancel: the requester, an approver, and for builds any builder.
  const allowed =
    user === run.requestedBy ||
    (await access.allows(config.access.approvers, user)) ||
    (run.kind === 'build' && (await access.allows(config.access.builders ?? config.access.deployers, user)));
  if (!allowed) return { ok: false, text: run.kind === 'build' ? 'Only the requester, a builder or an approver can cancel this build.' : 'Only the requester or an approver can cancel this run.' };

  if (awaitingApproval(run)) {
    // Not started: withdrawing the request is rejecting it.
    const { won } = await runs.decide(runId, { state: 'rejected', by: user, at: Date.now() });
    if (won) await audit(services, { action: 'deploy.rejected', by: user, runId, commit: run.sha, clouds: run.laneNames, reason: 'withdrawn with cancel' });
    await services.approvals.close(runId);
    await notifier.flush(runId);
    return won ? { ok: true, text: `Deploy request \`${runId}\` withdrawn.` } : { ok: false, text: 'This request was decided meanwhile; nothing changed.' };
  }
  if (!(await runs.markCancelled(runId, user, destroying ? 'destroy' : 'run'))) return { ok: false, text: `Run \`${runId}\` was already cancelled.` };
  await audit(services, { action: 'run.cancelled', by: user, runId, commit: run.sha, ...(run.kind === 'deploy' ? { clouds: run.laneNames } : {}) });

  // Queued jobs go; an active job cannot be removed (it is locked) and is stopped through the bus.
  const removeQuietly = async (remove: () => Promise<unknown>) => remove().catch(() => undefined);
  const notStarted = async (lanes: Lane[], phase: 'run' | 'destroy') => {
    for (const lane of lanes.filter((l) => l.startedAt === undefined && !l.finishedAt)) {
      await runs.saveLane(runId, cancelLane(lane, user), phase);
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
  return { ok: true, text: `Cancelling run \`${runId}\`: running steps are being stopped.` };
}
