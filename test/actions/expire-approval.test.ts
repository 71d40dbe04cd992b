import { describe, expect, it } from 'vitest';
import { APPROVAL_EXPIRY_ACTOR, expireApproval, type ExpireApprovalDeps } from '../../src/actions/expire-approval.js';
import type { Run } from '../../src/runs/run.js';
import { aRun, fakeCards, fakeLogger, memoryAudit, memoryRuns, SHA, T0 } from '../helpers/action-fakes.js';

const AT = T0 + 3_600_000;

function setup(run: Run) {
  const runs = memoryRuns(run);
  const closed: string[] = [];
  const notifier = fakeCards();
  const audit = memoryAudit();
  const deps: ExpireApprovalDeps = { runs, approvals: { async close(id) { closed.push(id); } }, notifier, audit, logger: fakeLogger() };
  return { deps, runs, closed, notifier, audit };
}

describe('expireApproval', () => {
  it('decides a request nobody decided "expired", closes it, audits it and redraws its card', async () => {
    const s = setup(aRun('deploy', { approvalExpiresAt: AT }));
    expect(await expireApproval(s.deps, 'd7', AT)).toEqual({ kind: 'expired' });
    expect(s.runs.stored.get('d7')?.decision).toEqual({ state: 'expired', at: AT });
    expect(s.closed).toEqual(['d7']);
    expect(s.audit.entries).toEqual([{ action: 'deploy.expired', by: APPROVAL_EXPIRY_ACTOR, runId: 'd7', commit: SHA, clouds: ['aws'] }]);
    expect(s.notifier.flushed).toEqual(['d7']);
  });

  it('leaves a request decided before its timer alone (an approval at the last moment keeps its win)', async () => {
    const s = setup(aRun('deploy', { approvalExpiresAt: AT, decision: { state: 'approved', by: 'U0APPROVER', at: AT - 1 } }));
    expect(await expireApproval(s.deps, 'd7', AT)).toEqual({ kind: 'stale', why: 'already approved' });
    expect(s.runs.stored.get('d7')?.decision?.state).toBe('approved');
    expect(s.closed).toEqual([]);
    expect(s.audit.entries).toEqual([]);
    expect(s.notifier.flushed).toEqual([]);
  });

  it('does nothing for a timer of another expiry, or a run that is gone', async () => {
    const s = setup(aRun('deploy', { approvalExpiresAt: AT }));
    expect(await expireApproval(s.deps, 'd7', AT - 5)).toEqual({ kind: 'stale', why: 'another expiry' });
    expect(await expireApproval(s.deps, 'd99', AT)).toEqual({ kind: 'stale', why: 'the run is gone' });
    expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
  });
});
