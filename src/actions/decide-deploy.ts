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
import { cloudPolicy } from '../access/cloud-policy.js';
import { laneStatus, lanesDone, planDigest } from '../runs/run.js';
import { assertCloudsFree } from './clouds-free.js';
import { reviewedCommit } from '../git/reviewed-commit.js';
import type { AuditTrail, Cards } from './ports.js';
import { approvalCounts, quorumMet, tally, type CloudQuorum } from '../access/cloud-policy.js';

/** What Approve and Reject touch. */
export interface DecideDeployDeps extends AuditTrail {
  config: Pick<Config, 'access' | 'clouds'>;
  access: Pick<Access, 'allows'>;
  runs: Pick<RunStore, 'get' | 'decide' | 'undoDecision' | 'addApproval'>;
  approvals: Pick<ApprovalRequests, 'isOpen' | 'close' | 'open'>;
  mirror: Pick<GitMirror, 'resolve'>;
  locks: Pick<CloudLocks, 'blocker'>;
  deployFlow: Pick<DeployFlow, 'add'>;
  notifier: Pick<Cards, 'flush'>;
}

export type DecisionOutcome =
  | { kind: 'decided'; state: 'approved' | 'rejected' }
  /** The approval was recorded; some clouds need more (distinct people) before anything runs. */
  | { kind: 'approval-counted'; quorum: CloudQuorum[] }
  /** This person's approval is already counted: a second person must give the next one. */
  | { kind: 'already-approved' }
  | { kind: 'gone' }
  | { kind: 'wrong-channel' }
  | { kind: 'already-decided'; state: 'approved' | 'rejected' | 'expired'; by?: string; at?: number }
  | { kind: 'expired'; at: number }
  | { kind: 'not-approver' }
  | { kind: 'self-approval' }
  /** Deploys with `deploy.plan`: the plans are still running; Approve comes once they are done. */
  | { kind: 'plan-pending' }
  /** A cloud's plan failed: nothing can be approved; a new request plans again. */
  | { kind: 'plan-failed'; clouds: string[] }
  | { kind: 'cannot-start'; error: ApolloError };

/**
 * Approve or Reject, authorised at click time. The first valid click wins (HSETNX on the run);
 * every other click — repeated, concurrent, late, or by someone not allowed — changes nothing and
 * gets a private answer.
 */
export async function decideDeploy(deps: DecideDeployDeps, runId: string, user: string, choice: 'approve' | 'reject', channel?: string): Promise<DecisionOutcome> {
  const { runs, approvals, config, access, notifier, deployFlow, mirror } = deps;
  let approvers: string[] = [];
  let planDigests: Record<string, string> | undefined;
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
  // Each cloud has its approvers (clouds.<name>.approvers, default access.approvers): the clicker
  // must be one for at least one of the deploy's clouds.
  const approverOf = await Promise.all(run.laneNames.map((cloud) => access.allows(cloudPolicy(config, cloud).approvers, user)));
  if (!approverOf.some(Boolean)) return { kind: 'not-approver' };
  if (choice === 'approve') {
    const counts = await Promise.all(run.laneNames.map((cloud) => approvalCounts(config, access, cloud, user, run.requestedBy)));
    if (!counts.some(Boolean)) return { kind: 'self-approval' };
    // An approval is of the plan: only once every cloud's plan passed, bound to their digests.
    const plans = run.planLanes ?? [];
    if (plans.length > 0) {
      if (!lanesDone(plans)) return { kind: 'plan-pending' };
      const failed = plans.filter((l) => laneStatus(l) !== 'passed' || planDigest(l) === undefined).map((l) => l.name);
      if (failed.length > 0) return { kind: 'plan-failed', clouds: failed };
      planDigests = Object.fromEntries(plans.map((l) => [l.name, planDigest(l)!]));
    }
    // Re-check just before running: the commit is still in a (protected) branch of the repository
    // as it is now, and no one took the clouds meanwhile.
    try {
      await reviewedCommit(mirror, run.sha, config.access.protectedBranches);
      await assertRefStill(mirror, run.ref, run.sha);
      await assertCloudsFree(deps, run.laneNames, run.requestedBy, runId);
    } catch (err) {
      if (err instanceof ApolloError) return { kind: 'cannot-start', error: err };
      throw err;
    }
    // Once per person (HSETNX): a second click by the same person is not a second approval. A
    // person whose approval completed the quorum but whose deploy could not be queued clicks again.
    const added = await runs.addApproval(runId, user, Date.now());
    const votes = (await runs.get(runId))?.approvals ?? [{ by: user, at: Date.now() }];
    const quorum = await tally(config, access, run.laneNames, votes, run.requestedBy);
    if (!quorumMet(quorum)) {
      if (!added) return { kind: 'already-approved' };
      await audit(deps, { action: 'deploy.approval-counted', by: user, runId, commit: run.sha, clouds: run.laneNames, reason: quorumReason(quorum) });
      await notifier.flush(runId);
      return { kind: 'approval-counted', quorum };
    }
    // The approvals the quorum took (per cloud the first it needed), in the order they came.
    const taken = new Set(quorum.flatMap((q) => q.counted.slice(0, q.needed)));
    approvers = [...new Set(votes.map((v) => v.by))].filter((by) => taken.has(by));
  }
  const state = choice === 'approve' ? 'approved' : 'rejected';
  const { won, decision } = await runs.decide(runId, { state, by: user, at: Date.now(), ...(approvers.length > 1 ? { approvers } : {}), ...(planDigests ? { planDigests } : {}) });
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

/**
 * A deploy asked for by a branch or tag name is of that name's commit as it was then: if the name
 * has moved since (and so has what was planned and reviewed), the approval is refused.
 */
async function assertRefStill(mirror: Pick<GitMirror, 'resolve'>, ref: string, sha: string): Promise<void> {
  if (/^[0-9a-f]{7,40}$/.test(ref) && sha.startsWith(ref)) return;
  const now = (await mirror.resolve(ref)).sha;
  if (now !== sha) {
    throw new ApolloError(ErrorCode.RefMoved, `\`${ref}\` has moved since this request (it was \`${sha.slice(0, 7)}\`, it is \`${now.slice(0, 7)}\` now): nothing was approved.`, {
      details: ['Ask again with `/apollo deploy` for a request (and a plan) of the new commit.'],
    });
  }
}

/** The audit's words for how far a request's approvals are: "aws 1/2, gcp 1/1". */
function quorumReason(quorum: CloudQuorum[]): string {
  return quorum.map((q) => `${q.cloud} ${Math.min(q.counted.length, q.needed)}/${q.needed}`).join(', ');
}
