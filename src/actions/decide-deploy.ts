import { ApolloError, ErrorCode } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { RunStore } from '../runs/run-store.js';
import type { ApprovalRequests } from '../runs/approval-requests.js';
import type { GitMirror } from '../git/mirror.js';
import type { DeployFlow } from '../queue/deploy-flow.js';
import type { CloudLocks } from '../queue/cloud-locks.js';
import { audit } from '../audit/record.js';
import { clickedInRunChannel } from '../access/run-channel.js';
import { assertCloudsFree } from './clouds-free.js';
import { reviewedCommit } from '../git/reviewed-commit.js';
import type { AuditTrail, Cards } from './ports.js';

/** What Approve and Reject touch. */
export interface DecideDeployDeps extends AuditTrail {
  config: Pick<Config, 'access'>;
  access: Pick<Access, 'allows'>;
  runs: Pick<RunStore, 'get' | 'decide' | 'undoDecision'>;
  approvals: Pick<ApprovalRequests, 'isOpen' | 'close' | 'open'>;
  mirror: Pick<GitMirror, 'resolve'>;
  locks: Pick<CloudLocks, 'blocker'>;
  deployFlow: Pick<DeployFlow, 'add'>;
  notifier: Pick<Cards, 'flush'>;
}

export type DecisionOutcome =
  | { kind: 'decided'; state: 'approved' | 'rejected' }
  | { kind: 'gone' }
  | { kind: 'wrong-channel' }
  | { kind: 'already-decided'; state: 'approved' | 'rejected' | 'expired'; by?: string; at?: number }
  | { kind: 'expired'; at: number }
  | { kind: 'not-approver' }
  | { kind: 'self-approval' }
  | { kind: 'cannot-start'; error: ApolloError };

/**
 * Approve or Reject, authorised at click time. The first valid click wins (HSETNX on the run);
 * every other click — repeated, concurrent, late, or by someone not allowed — changes nothing and
 * gets a private answer.
 */
export async function decideDeploy(deps: DecideDeployDeps, runId: string, user: string, choice: 'approve' | 'reject', channel?: string): Promise<DecisionOutcome> {
  const { runs, approvals, config, access, notifier, deployFlow, mirror } = deps;
  const run = await runs.get(runId);
  if (!run || run.kind !== 'deploy') return { kind: 'gone' };
  if (!clickedInRunChannel(run, channel)) return { kind: 'wrong-channel' };
  if (run.decision) return { kind: 'already-decided', state: run.decision.state, ...(run.decision.by ? { by: run.decision.by } : {}), at: run.decision.at };
  if (!(await approvals.isOpen(runId))) {
    const at = run.approvalExpiresAt ?? Date.now();
    const expired = await runs.decide(runId, { state: 'expired', at });
    if (expired.won) await audit(deps, { action: 'deploy.expired', by: user, runId, commit: run.sha, clouds: run.laneNames });
    await notifier.flush(runId);
    return { kind: 'expired', at };
  }
  if (!(await access.allows(config.access.approvers, user))) return { kind: 'not-approver' };
  if (choice === 'approve' && user === run.requestedBy && !config.access.allowSelfApproval) return { kind: 'self-approval' };
  if (choice === 'approve') {
    // Re-check just before running: the commit is still in a (protected) branch of the repository
    // as it is now, and no one took the clouds meanwhile.
    try {
      await reviewedCommit(mirror, run.sha, config.access.protectedBranches);
      await assertCloudsFree(deps, run.laneNames, run.requestedBy, runId);
    } catch (err) {
      if (err instanceof ApolloError) return { kind: 'cannot-start', error: err };
      throw err;
    }
  }
  const state = choice === 'approve' ? 'approved' : 'rejected';
  const { won, decision } = await runs.decide(runId, { state, by: user, at: Date.now() });
  if (!won) return { kind: 'already-decided', state: decision.state, ...(decision.by ? { by: decision.by } : {}) };
  await approvals.close(runId);
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
  // Audited once it took effect: a decision undone because the queue was down is not history.
  await audit(deps, { action: state === 'approved' ? 'deploy.approved' : 'deploy.rejected', by: user, runId, commit: run.sha, clouds: run.laneNames });
  await notifier.flush(runId);
  return { kind: 'decided', state };
}
