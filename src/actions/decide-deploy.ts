import { ApolloError, ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { assertCloudsFree } from './request-deploy.js';
import { hhmm } from '../../views/lock-message.js';
import { mention } from '../../views/mention.js';
import { audit } from '../audit/record.js';
import { clickedInRunChannel, WRONG_CHANNEL } from '../access/run-channel.js';

export type DecisionOutcome = { ok: true; text?: string } | { ok: false; text: string };

/**
 * Approve or Reject, authorised at click time. The first valid click wins (HSETNX on the run);
 * every other click — repeated, concurrent, late, or by someone not allowed — changes nothing and
 * gets a private answer.
 */
export async function decideDeploy(services: Services, runId: string, user: string, choice: 'approve' | 'reject', channel?: string): Promise<DecisionOutcome> {
  const { runs, approvals, config, access, notifier, deployFlow, mirror } = services;
  const run = await runs.get(runId);
  if (!run || run.kind !== 'deploy') return { ok: false, text: 'This deploy request no longer exists.' };
  if (!clickedInRunChannel(run, channel)) return { ok: false, text: WRONG_CHANNEL };
  if (run.decision) {
    const { state, by, at } = run.decision;
    return { ok: false, text: `This request was already ${state}${by ? ` by ${mention(by)}` : ''} at ${hhmm(at)}; nothing changed.` };
  }
  if (!(await approvals.isOpen(runId))) {
    const expired = await runs.decide(runId, { state: 'expired', at: run.approvalExpiresAt ?? Date.now() });
    if (expired.won) await audit(services, { action: 'deploy.expired', by: user, runId, commit: run.sha, clouds: run.laneNames });
    await notifier.flush(runId);
    return { ok: false, text: `This request expired at ${hhmm(run.approvalExpiresAt ?? Date.now())}; ask again with \`/apollo deploy\`.` };
  }
  if (!(await access.allows(config.access.approvers, user))) {
    return { ok: false, text: 'Only approvers (`access.approvers`) can approve or reject deploys.' };
  }
  if (choice === 'approve' && user === run.requestedBy && !config.access.allowSelfApproval) {
    return { ok: false, text: 'You cannot approve your own deploy; ask another approver.' };
  }
  if (choice === 'approve') {
    // Re-check just before running: the commit still exists and no one took the clouds meanwhile.
    try {
      await mirror.ensureCommit(run.sha);
      await assertCloudsFree(services, run.laneNames, run.requestedBy, runId);
    } catch (err) {
      if (err instanceof ApolloError) return { ok: false, text: [err.message, ...err.details].join('\n') };
      throw err;
    }
  }
  const state = choice === 'approve' ? 'approved' : 'rejected';
  const { won, decision } = await runs.decide(runId, { state, by: user, at: Date.now() });
  if (!won) return { ok: false, text: `This request was already ${decision.state}${decision.by ? ` by ${mention(decision.by)}` : ''}; nothing changed.` };
  await approvals.close(runId);
  await audit(services, { action: state === 'approved' ? 'deploy.approved' : 'deploy.rejected', by: user, runId, commit: run.sha, clouds: run.laneNames });
  if (state === 'approved') {
    try {
      await deployFlow.add(runId, 'deploy', run.laneNames);
    } catch (err) {
      // Undo the decision so the next click can try again: an approval must never be lost silently.
      await runs.undoDecision(runId);
      await approvals.open(runId, run.requestedBy, Math.max(1000, (run.approvalExpiresAt ?? 0) - Date.now()));
      throw new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable; nothing was started. Click Approve again in a minute.', { cause: err });
    }
  }
  await notifier.flush(runId);
  return { ok: true };
}
