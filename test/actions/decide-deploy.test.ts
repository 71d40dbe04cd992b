import type { ConfigInput } from '../../src/config/schema.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decideDeploy, type DecideDeployDeps } from '../../src/actions/decide-deploy.js';
import { CloudsLockedError } from '../../src/actions/clouds-free.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import type { Run } from '../../src/runs/run.js';
import type { ApprovalRequests } from '../../src/runs/approval-requests.js';
import type { DeployFlow } from '../../src/queue/deploy-flow.js';
import { aRun, type AccessInput, CHANNEL, fakeAccess, fakeCards, fakeLocks, fakeLogger, fakeMirror, memoryAudit, memoryRuns, SHA, T0, testConfig } from '../helpers/action-fakes.js';

const APPROVER = 'U0APPROVER';
const REQUESTER = 'U0REQUESTER';

function approvals(open: string[] = []) {
  const requests = new Map(open.map((id) => [id, { requestedBy: REQUESTER, ttlMs: 0 }]));
  const closed: string[] = [];
  const reopened: Array<{ runId: string; requestedBy: string; ttlMs: number }> = [];
  const port: Pick<ApprovalRequests, 'isOpen' | 'close' | 'open'> = {
    async isOpen(runId) {
      return requests.has(runId);
    },
    async close(runId) {
      closed.push(runId);
      requests.delete(runId);
    },
    async open(runId, requestedBy, ttlMs) {
      reopened.push({ runId, requestedBy, ttlMs });
      requests.set(runId, { requestedBy, ttlMs });
    },
  };
  return { port, closed, reopened, isOpen: (runId: string) => requests.has(runId) };
}

function deployFlow(fails?: Error) {
  const added: Array<{ runId: string; phase: string; clouds: string[] }> = [];
  const port: Pick<DeployFlow, 'add'> = {
    async add(runId, phase, clouds) {
      if (fails) throw fails;
      added.push({ runId, phase, clouds });
    },
  };
  return { port, added };
}

const pending = (overrides: Partial<Run> = {}) => aRun('deploy', { id: 'd7', laneNames: ['aws', 'gcp'], approvalExpiresAt: T0 + 30 * 60_000, ...overrides });

function setup(
  options: {
    run?: Run;
    open?: boolean;
    access?: AccessInput;
    clouds?: ConfigInput['clouds'];
    blockers?: Parameters<typeof fakeLocks>[0];
    mirror?: ReturnType<typeof fakeMirror>;
    queueFails?: Error;
  } = {},
) {
  const run = options.run ?? pending();
  const runs = memoryRuns(run);
  const requests = approvals(options.open === false ? [] : [run.id]);
  const flow = deployFlow(options.queueFails);
  const audit = memoryAudit();
  const notifier = fakeCards();
  const locks = fakeLocks(options.blockers);
  const mirror = options.mirror ?? fakeMirror();
  const deps: DecideDeployDeps = {
    config: testConfig({ access: options.access ?? { deployers: ['*'], approvers: [APPROVER, REQUESTER] }, ...(options.clouds ? { clouds: options.clouds } : {}) }),
    access: fakeAccess(),
    runs,
    approvals: requests.port,
    mirror,
    locks,
    deployFlow: flow.port,
    notifier,
    audit,
    logger: fakeLogger(),
  };
  return { deps, runs, requests, flow, audit, notifier, locks, mirror, run };
}

describe('decideDeploy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an approver approves: the decision stands, the request closes, the deploy of every cloud is queued and audited', async () => {
    const s = setup();
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
    expect(s.runs.stored.get('d7')?.decision).toEqual({ state: 'approved', by: APPROVER, at: T0 });
    expect(s.requests.closed).toEqual(['d7']);
    expect(s.flow.added).toEqual([{ runId: 'd7', phase: 'deploy', clouds: ['aws', 'gcp'] }]);
    expect(s.audit.entries).toEqual([{ action: 'deploy.approved', by: APPROVER, runId: 'd7', commit: SHA, clouds: ['aws', 'gcp'] }]);
    expect(s.notifier.flushed).toEqual(['d7']);
  });

  it('re-checks the clouds for the requester, not counting the run itself', async () => {
    const s = setup();
    await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL);
    expect(s.locks.asked).toEqual([
      { cloud: 'aws', user: REQUESTER, exceptRunId: 'd7' },
      { cloud: 'gcp', user: REQUESTER, exceptRunId: 'd7' },
    ]);
  });

  it('an approver rejects: the decision stands, nothing is queued, the rejection is audited', async () => {
    const s = setup();
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'reject', CHANNEL)).toEqual({ kind: 'decided', state: 'rejected' });
    expect(s.runs.stored.get('d7')?.decision).toEqual({ state: 'rejected', by: APPROVER, at: T0 });
    expect(s.flow.added).toEqual([]);
    expect(s.requests.closed).toEqual(['d7']);
    expect(s.audit.entries).toEqual([{ action: 'deploy.rejected', by: APPROVER, runId: 'd7', commit: SHA, clouds: ['aws', 'gcp'] }]);
    // A rejection starts nothing, so neither the commit nor the clouds are checked again.
    expect(s.mirror.resolved).toEqual([]);
    expect(s.locks.asked).toEqual([]);
  });

  it('an unknown run, or a build, is gone', async () => {
    const s = setup({ run: aRun('build', { id: 'b7' }) });
    expect(await decideDeploy(s.deps, 'd404', APPROVER, 'approve')).toEqual({ kind: 'gone' });
    expect(await decideDeploy(s.deps, 'b7', APPROVER, 'approve')).toEqual({ kind: 'gone' });
    expect(s.runs.callsOf('decide')).toEqual([]);
  });

  it('a click from another channel changes nothing; the card’s own channel is accepted', async () => {
    const s = setup({ run: pending({ message: { channel: 'C0THREAD', ts: '1.2' } }) });
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', 'C0ELSEWHERE')).toEqual({ kind: 'wrong-channel' });
    expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'reject', 'C0THREAD')).toEqual({ kind: 'decided', state: 'rejected' });
  });

  it('a run already decided answers with that decision and changes nothing', async () => {
    const s = setup({ run: pending({ decision: { state: 'rejected', by: 'U0OTHER', at: T0 - 5 } }) });
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'already-decided', state: 'rejected', by: 'U0OTHER', at: T0 - 5 });
    expect(s.runs.callsOf('decide')).toEqual([]);
    expect(s.flow.added).toEqual([]);
    expect(s.audit.entries).toEqual([]);
  });

  it('a click after the request expired records the expiry at the request’s deadline, once', async () => {
    const s = setup({ open: false, run: pending({ approvalExpiresAt: T0 - 1000 }) });
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'expired', at: T0 - 1000 });
    expect(s.runs.stored.get('d7')?.decision).toEqual({ state: 'expired', at: T0 - 1000 });
    expect(s.audit.entries).toEqual([{ action: 'deploy.expired', by: APPROVER, runId: 'd7', commit: SHA, clouds: ['aws', 'gcp'] }]);
    expect(s.notifier.flushed).toEqual(['d7']);
    expect(s.flow.added).toEqual([]);
  });

  it('an expiry another click recorded first is not audited twice', async () => {
    const s = setup({ open: false });
    // The other click's expiry landed between this click's read and its write.
    const stale = structuredClone(s.run);
    s.runs.stored.get('d7')!.decision = { state: 'expired', at: T0 - 1 };
    s.deps.runs = { ...s.runs, get: async () => structuredClone(stale) };
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'reject', CHANNEL)).toEqual({ kind: 'expired', at: s.run.approvalExpiresAt });
    expect(s.audit.entries).toEqual([]);
  });

  it('someone who is not an approver changes nothing, even the requester', async () => {
    const s = setup({ access: { deployers: ['*'], approvers: [APPROVER] } });
    expect(await decideDeploy(s.deps, 'd7', 'U0DEPLOYER', 'approve', CHANNEL)).toEqual({ kind: 'not-approver' });
    expect(await decideDeploy(s.deps, 'd7', REQUESTER, 'reject', CHANNEL)).toEqual({ kind: 'not-approver' });
    expect(s.runs.callsOf('decide')).toEqual([]);
    expect(s.requests.isOpen('d7')).toBe(true);
  });

  it('a requester who is an approver may not approve their own deploy, but may reject it', async () => {
    const s = setup();
    expect(await decideDeploy(s.deps, 'd7', REQUESTER, 'approve', CHANNEL)).toEqual({ kind: 'self-approval' });
    expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
    expect(await decideDeploy(s.deps, 'd7', REQUESTER, 'reject', CHANNEL)).toEqual({ kind: 'decided', state: 'rejected' });
  });

  it('with allowSelfApproval the requester may approve their own deploy', async () => {
    const s = setup({ access: { deployers: ['*'], approvers: [REQUESTER], allowSelfApproval: true } });
    expect(await decideDeploy(s.deps, 'd7', REQUESTER, 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
    expect(s.flow.added).toHaveLength(1);
  });

  it('a commit no longer on a protected branch cannot start: nothing is decided', async () => {
    const s = setup({
      access: { deployers: ['*'], approvers: [APPROVER], protectedBranches: ['main'] },
      mirror: fakeMirror({ [SHA]: { sha: SHA, branches: ['feature/x'] } }),
    });
    const outcome = await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL);
    expect(outcome.kind).toBe('cannot-start');
    expect(outcome.kind === 'cannot-start' && outcome.error.code).toBe(ErrorCode.RefNotReviewed);
    expect(s.mirror.resolved).toEqual([SHA]);
    expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
    expect(s.requests.isOpen('d7')).toBe(true);
    expect(s.audit.entries).toEqual([]);
  });

  it('clouds someone took meanwhile: cannot start, and the error names each blocker', async () => {
    const holder = { owner: 'U0LOCKER', since: T0 - 60_000, reason: 'demo' };
    const s = setup({ blockers: { gcp: { kind: 'sticky', holder } } });
    const outcome = await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL);
    expect(outcome.kind).toBe('cannot-start');
    const error = outcome.kind === 'cannot-start' ? outcome.error : undefined;
    expect(error).toBeInstanceOf(CloudsLockedError);
    expect(error?.code).toBe(ErrorCode.CloudLocked);
    expect((error as CloudsLockedError).blockers).toEqual([{ cloud: 'gcp', kind: 'sticky', holder }]);
    expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
    expect(s.flow.added).toEqual([]);
  });

  it('an error that is not an ApolloError while re-checking is thrown, not answered', async () => {
    const s = setup();
    s.deps.mirror = {
      async resolve() {
        throw new TypeError('git crashed');
      },
    };
    await expect(decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).rejects.toThrow(TypeError);
    expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
  });

  it('two approvers clicking at once: one decision stands, the other click is told which', async () => {
    const s = setup();
    const [a, b] = await Promise.all([decideDeploy(s.deps, 'd7', APPROVER, 'reject', CHANNEL), decideDeploy(s.deps, 'd7', REQUESTER, 'reject', CHANNEL)]);
    expect([a, b]).toEqual([
      { kind: 'decided', state: 'rejected' },
      { kind: 'already-decided', state: 'rejected', by: APPROVER },
    ]);
    expect(s.audit.entries).toHaveLength(1);
    expect(s.runs.callsOf('decide')).toHaveLength(2);
  });

  it('a click that loses the race to a decision made after its read starts nothing', async () => {
    const s = setup();
    const stale = structuredClone(s.run);
    s.runs.stored.get('d7')!.decision = { state: 'rejected', by: 'U0FAST', at: T0 - 1 };
    s.deps.runs = { ...s.runs, get: async () => structuredClone(stale) };
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'already-decided', state: 'rejected', by: 'U0FAST' });
    expect(s.flow.added).toEqual([]);
    expect(s.requests.closed).toEqual([]);
    expect(s.audit.entries).toEqual([]);
  });

  it('the queue failing undoes the approval and reopens the request for the time it had left', async () => {
    const down = new Error('ECONNREFUSED');
    const s = setup({ queueFails: down });
    const error = await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as ApolloError).code).toBe(ErrorCode.QueueUnavailable);
    expect((error as ApolloError).cause).toBe(down);
    expect(s.runs.callsOf('undoDecision')).toEqual([['d7']]);
    expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
    expect(s.requests.reopened).toEqual([{ runId: 'd7', requestedBy: REQUESTER, ttlMs: 30 * 60_000 }]);
    expect(s.requests.isOpen('d7')).toBe(true);
    expect(s.notifier.flushed).toEqual([]);
  });

  it('a request reopened after the queue failed past its deadline still gets a moment to be clicked again', async () => {
    const s = setup({ queueFails: new Error('down'), run: pending({ approvalExpiresAt: T0 - 5 }) });
    await expect(decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).rejects.toMatchObject({ code: ErrorCode.QueueUnavailable });
    expect(s.requests.reopened).toEqual([{ runId: 'd7', requestedBy: REQUESTER, ttlMs: 1000 }]);
  });

  it('after the queue is back, the next click approves', async () => {
    const s = setup({ queueFails: new Error('down') });
    await expect(decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).rejects.toBeInstanceOf(ApolloError);
    const flow = deployFlow();
    s.deps.deployFlow = flow.port;
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
    expect(flow.added).toEqual([{ runId: 'd7', phase: 'deploy', clouds: ['aws', 'gcp'] }]);
  });

  it('a failed audit append is logged and does not refuse the decision', async () => {
    const s = setup();
    const logger = fakeLogger();
    s.deps.audit = memoryAudit({ fails: true });
    s.deps.logger = logger;
    expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
    expect(logger.warnings.map((w) => w.msg)).toEqual(['audit append failed']);
  });

  describe('two-person rules and per-cloud approvers', () => {
    const SECOND = 'U0SECOND';

    it('requiredApprovals 2: the first approval is counted and shown, the same person again is refused, the requester never counts, a second person starts it', async () => {
      const s = setup({ access: { deployers: ['*'], approvers: [APPROVER, SECOND, REQUESTER], allowSelfApproval: true, requiredApprovals: 2 } });
      const first = await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL);
      expect(first).toEqual({ kind: 'approval-counted', quorum: [{ cloud: 'aws', counted: [APPROVER], needed: 2 }, { cloud: 'gcp', counted: [APPROVER], needed: 2 }] });
      expect(s.runs.stored.get('d7')?.approvals).toEqual([{ by: APPROVER, at: T0 }]);
      expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
      expect(s.flow.added).toEqual([]);
      expect(s.notifier.flushed).toEqual(['d7']);
      expect(s.audit.entries).toEqual([{ action: 'deploy.approval-counted', by: APPROVER, runId: 'd7', commit: SHA, clouds: ['aws', 'gcp'], reason: 'aws 1/2, gcp 1/2' }]);

      expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'already-approved' });
      // allowSelfApproval does not make the requester one of two people.
      expect(await decideDeploy(s.deps, 'd7', REQUESTER, 'approve', CHANNEL)).toEqual({ kind: 'self-approval' });
      expect(s.flow.added).toEqual([]);

      expect(await decideDeploy(s.deps, 'd7', SECOND, 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
      expect(s.runs.stored.get('d7')?.decision).toEqual({ state: 'approved', by: SECOND, at: T0, approvers: [APPROVER, SECOND] });
      expect(s.flow.added).toEqual([{ runId: 'd7', phase: 'deploy', clouds: ['aws', 'gcp'] }]);
    });

    it("a cloud's own approvers replace the global ones for it; someone who approves none of the clouds is refused", async () => {
      const s = setup({ access: { deployers: ['*'], approvers: [APPROVER] }, clouds: { aws: { approvers: ['U0AWSOPS'] }, gcp: {} } });
      expect(await decideDeploy(s.deps, 'd7', 'U0NOBODY', 'approve', CHANNEL)).toEqual({ kind: 'not-approver' });
      expect(await decideDeploy(s.deps, 'd7', 'U0NOBODY', 'reject', CHANNEL)).toEqual({ kind: 'not-approver' });
      expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'approval-counted', quorum: [{ cloud: 'aws', counted: [], needed: 1 }, { cloud: 'gcp', counted: [APPROVER], needed: 1 }] });
      expect(s.flow.added).toEqual([]);
      expect(await decideDeploy(s.deps, 'd7', 'U0AWSOPS', 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
      expect(s.runs.stored.get('d7')?.decision?.approvers).toEqual([APPROVER, 'U0AWSOPS']);
    });

    it('after the quorum, a queue failure lets the person who completed it click again', async () => {
      const s = setup({ access: { deployers: ['*'], approvers: [APPROVER, SECOND], requiredApprovals: 2 }, queueFails: new Error('redis down') });
      await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL);
      await expect(decideDeploy(s.deps, 'd7', SECOND, 'approve', CHANNEL)).rejects.toMatchObject({ code: ErrorCode.QueueUnavailable });
      expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
      s.deps.deployFlow = { async add() {} };
      expect(await decideDeploy(s.deps, 'd7', SECOND, 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
    });
  });

  describe('plans (deploy.plan) and the commit the request named', () => {
    const planSummary = (digest: string) => ({ format: 'terraform-plan' as const, verdict: 'passed' as const, passed: 0, failed: 0, skipped: 0, errors: 0, total: 0, failures: [], notes: [], details: { format: 'terraform-plan' as const, add: 1, change: 0, destroy: 0, resources: [], resourceCount: 1, digest } });
    const planLane = (name: string, digest?: string, status: 'passed' | 'failed' | 'running' = 'passed') => ({
      name,
      startedAt: T0,
      ...(status === 'running' ? {} : { finishedAt: T0 + 1 }),
      steps: [{ name: 'plan', status, role: 'plan' as const, ...(digest ? { summary: planSummary(digest) } : {}) }],
    });

    it('binds the approval to every cloud’s plan digest', async () => {
      const s = setup({ run: pending({ planLanes: [planLane('aws', 'a'.repeat(64)), planLane('gcp', 'b'.repeat(64))] }) });
      expect(await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'decided', state: 'approved' });
      expect(s.runs.stored.get('d7')?.decision?.planDigests).toEqual({ aws: 'a'.repeat(64), gcp: 'b'.repeat(64) });
    });

    it('refuses while a plan runs, and when a plan failed; a rejection is always possible', async () => {
      const running = setup({ run: pending({ planLanes: [planLane('aws', 'a'.repeat(64)), planLane('gcp', undefined, 'running')] }) });
      expect(await decideDeploy(running.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'plan-pending' });
      const failed = setup({ run: pending({ planLanes: [planLane('aws', 'a'.repeat(64)), planLane('gcp', undefined, 'failed')] }) });
      expect(await decideDeploy(failed.deps, 'd7', APPROVER, 'approve', CHANNEL)).toEqual({ kind: 'plan-failed', clouds: ['gcp'] });
      expect(failed.flow.added).toEqual([]);
      expect(await decideDeploy(failed.deps, 'd7', APPROVER, 'reject', CHANNEL)).toEqual({ kind: 'decided', state: 'rejected' });
    });

    it('a request by branch name is refused when the branch has moved since', async () => {
      const moved = 'f'.repeat(40);
      const s = setup({ mirror: fakeMirror({ main: { sha: moved, branches: ['main'] }, [SHA]: { sha: SHA, branches: ['main'] } }) });
      const outcome = await decideDeploy(s.deps, 'd7', APPROVER, 'approve', CHANNEL);
      expect(outcome).toMatchObject({ kind: 'cannot-start', error: { code: ErrorCode.RefMoved } });
      expect(s.flow.added).toEqual([]);
      expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
    });
  });
});
