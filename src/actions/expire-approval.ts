import type { RunStore } from '../runs/run-store.js';
import type { ApprovalRequests } from '../runs/approval-requests.js';
import { audit } from '../audit/record.js';
import type { AuditTrail, Cards } from './ports.js';

/** What ending an approval request touches: no person, so nobody to authorise. */
export interface ExpireApprovalDeps extends AuditTrail {
  runs: Pick<RunStore, 'get' | 'decide'>;
  approvals: Pick<ApprovalRequests, 'close'>;
  notifier: Pick<Cards, 'flush'>;
}

/** Who the audit says expired a request nobody decided. */
export const APPROVAL_EXPIRY_ACTOR = 'apollo (approval expired)';

export type ExpireApprovalOutcome = { kind: 'expired' } | { kind: 'stale'; why: string };

/**
 * A deploy request's approval time (`access.approvalTtl`) is over: it is decided "expired" (once,
 * like a click: a last-moment approval that won keeps its win), its request closed, and its card
 * redrawn without buttons. The delayed job that calls this survives restarts; a request already
 * decided, or one whose expiry is another, makes it do nothing.
 */
export async function expireApproval(deps: ExpireApprovalDeps, runId: string, at: number): Promise<ExpireApprovalOutcome> {
  const run = await deps.runs.get(runId);
  if (!run || run.kind !== 'deploy') return { kind: 'stale', why: 'the run is gone' };
  if (run.decision) return { kind: 'stale', why: `already ${run.decision.state}` };
  if (run.approvalExpiresAt !== at) return { kind: 'stale', why: 'another expiry' };
  const { won } = await deps.runs.decide(runId, { state: 'expired', at });
  if (!won) return { kind: 'stale', why: 'decided meanwhile' };
  await deps.approvals.close(runId);
  await audit(deps, { action: 'deploy.expired', by: APPROVAL_EXPIRY_ACTOR, runId, commit: run.sha, clouds: run.laneNames });
  await deps.notifier.flush(runId);
  return { kind: 'expired' };
}
