import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cancelRun, type CancelRunDeps } from '../../src/actions/cancel-run.js';
import { buildDedupId } from '../../src/queue/build-queue.js';
import type { Lane, Run } from '../../src/runs/run.js';
import { aRun, type AccessInput, CHANNEL, fakeAccess, fakeCards, fakeLogger, memoryAudit, memoryRuns, passedLane, runningLane, SHA, T0, testConfig } from '../helpers/action-fakes.js';

const APPROVER = 'U0APPROVER';
const REQUESTER = 'U0REQUESTER';
const BUILDER = 'U0BUILDER';

/** A queue that records which job ids it was asked to remove; `locked` ids refuse, as an active job does. */
function queue(locked: string[] = []) {
  const removed: string[] = [];
  const dedupKeysRemoved: string[] = [];
  return {
    removed,
    dedupKeysRemoved,
    async remove(jobId: string) {
      if (locked.includes(jobId)) throw new Error(`Job ${jobId} is locked`);
      removed.push(jobId);
      return 1;
    },
    async removeDeduplicationKey(id: string) {
      dedupKeysRemoved.push(id);
      return 1;
    },
  };
}

function setup(run: Run, options: { access?: AccessInput; locked?: string[] } = {}) {
  const runs = memoryRuns(run);
  const buildQueue = queue(options.locked);
  const cloudQueue = queue(options.locked);
  const deployQueue = queue(options.locked);
  const published: string[] = [];
  const closed: string[] = [];
  const audit = memoryAudit();
  const notifier = fakeCards();
  const deps: CancelRunDeps = {
    config: testConfig({ access: options.access ?? { deployers: ['*'], approvers: [APPROVER], builders: [BUILDER] } }),
    access: fakeAccess(),
    runs,
    approvals: {
      async close(runId) {
        closed.push(runId);
      },
    },
    buildQueue,
    // DeployFlow exposes whole BullMQ queues; cancelling uses only `remove` of each.
    deployFlow: { cloudQueue, deployQueue } as unknown as CancelRunDeps['deployFlow'],
    cancelBus: {
      async publish(runId) {
        published.push(runId);
      },
    },
    notifier,
    audit,
    logger: fakeLogger(),
  };
  return { deps, runs, buildQueue, cloudQueue, deployQueue, published, closed, audit, notifier };
}

const queuedLane = (name: string): Lane => ({ name, steps: [{ name: 'apply', status: 'queued' }] });
const approved = { state: 'approved' as const, by: APPROVER, at: T0 - 60_000 };

describe('cancelRun', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('a build', () => {
    const build = (lanes: Lane[] = [queuedLane('build')]) => aRun('build', { id: 'b7', lanes });

    it('queued, cancelled by its requester: marked once, the job and its dedup key removed, the lane cancelled, workers told', async () => {
      const s = setup(build());
      expect(await cancelRun(s.deps, 'b7', REQUESTER, CHANNEL)).toEqual({ kind: 'cancelling', runId: 'b7' });
      expect(s.runs.stored.get('b7')?.cancelledBy).toBe(REQUESTER);
      expect(s.buildQueue.removed).toEqual(['b7']);
      expect(s.buildQueue.dedupKeysRemoved).toEqual([buildDedupId(CHANNEL, SHA)]);
      expect(s.runs.callsOf('saveLane')).toEqual([['b7', { name: 'build', finishedAt: T0, steps: [{ name: 'apply', status: 'cancelled', reason: `cancelled by ${REQUESTER}` }] }, 'run']]);
      expect(s.published).toEqual(['b7']);
      expect(s.notifier.flushed).toEqual(['b7']);
      expect(s.audit.entries).toEqual([{ action: 'run.cancelled', by: REQUESTER, runId: 'b7', commit: SHA }]);
    });

    it('running: the active job cannot be removed, which is no error; its running lane is left to its worker', async () => {
      const s = setup(build([runningLane('build')]), { locked: ['b7'] });
      expect(await cancelRun(s.deps, 'b7', REQUESTER)).toEqual({ kind: 'cancelling', runId: 'b7' });
      expect(s.buildQueue.removed).toEqual([]);
      expect(s.runs.callsOf('saveLane')).toEqual([]);
      expect(s.published).toEqual(['b7']);
    });

    it('any builder may cancel a build; someone else may not', async () => {
      const s = setup(build());
      expect(await cancelRun(s.deps, 'b7', 'U0STRANGER')).toEqual({ kind: 'not-allowed', runKind: 'build' });
      expect(s.runs.stored.get('b7')?.cancelledBy).toBeUndefined();
      expect(await cancelRun(s.deps, 'b7', BUILDER)).toEqual({ kind: 'cancelling', runId: 'b7' });
    });

    it('without access.builders, the deployers are the builders', async () => {
      const s = setup(build(), { access: { deployers: ['U0DEPLOYER'], approvers: [APPROVER] } });
      expect(await cancelRun(s.deps, 'b7', BUILDER)).toEqual({ kind: 'not-allowed', runKind: 'build' });
      expect(await cancelRun(s.deps, 'b7', 'U0DEPLOYER')).toEqual({ kind: 'cancelling', runId: 'b7' });
    });

    it('an approver may cancel anything', async () => {
      const s = setup(build());
      expect(await cancelRun(s.deps, 'b7', APPROVER)).toEqual({ kind: 'cancelling', runId: 'b7' });
    });

    it('a finished build is finished', async () => {
      const s = setup(build([passedLane('build')]));
      expect(await cancelRun(s.deps, 'b7', REQUESTER)).toEqual({ kind: 'finished', runId: 'b7' });
      expect(s.runs.callsOf('markCancelled')).toEqual([]);
    });

    it('a build already cancelled says by whom and changes nothing', async () => {
      const s = setup(aRun('build', { id: 'b7', cancelledBy: 'U0FIRST' }));
      expect(await cancelRun(s.deps, 'b7', REQUESTER)).toEqual({ kind: 'already-cancelled', runId: 'b7', by: 'U0FIRST' });
      expect(s.published).toEqual([]);
    });

    it('two cancels at once: one cancels, the other is told it already was', async () => {
      const s = setup(build());
      const [a, b] = await Promise.all([cancelRun(s.deps, 'b7', REQUESTER), cancelRun(s.deps, 'b7', APPROVER)]);
      expect([a, b]).toEqual([
        { kind: 'cancelling', runId: 'b7' },
        { kind: 'already-cancelled', runId: 'b7' },
      ]);
      expect(s.audit.entries).toHaveLength(1);
      expect(s.runs.stored.get('b7')?.cancelledBy).toBe(REQUESTER);
    });
  });

  it('an unknown run is unknown', async () => {
    const s = setup(aRun('build'));
    expect(await cancelRun(s.deps, 'b404', REQUESTER)).toEqual({ kind: 'unknown-run', runId: 'b404' });
  });

  it('a click from another channel changes nothing', async () => {
    const s = setup(aRun('build', { id: 'b7' }));
    expect(await cancelRun(s.deps, 'b7', REQUESTER, 'C0ELSEWHERE')).toEqual({ kind: 'wrong-channel' });
    expect(s.runs.callsOf('markCancelled')).toEqual([]);
  });

  describe('a deploy awaiting approval', () => {
    const request = () => aRun('deploy', { id: 'd7', laneNames: ['aws', 'gcp'], lanes: [queuedLane('aws'), queuedLane('gcp')] });

    it('cancelled by its requester is withdrawn: rejected, the request closed, audited as a rejection', async () => {
      const s = setup(request());
      expect(await cancelRun(s.deps, 'd7', REQUESTER, CHANNEL)).toEqual({ kind: 'withdrawn', runId: 'd7' });
      expect(s.runs.stored.get('d7')?.decision).toEqual({ state: 'rejected', by: REQUESTER, at: T0 });
      expect(s.closed).toEqual(['d7']);
      expect(s.audit.entries).toEqual([{ action: 'deploy.rejected', by: REQUESTER, runId: 'd7', commit: SHA, clouds: ['aws', 'gcp'], reason: 'withdrawn with cancel' }]);
      expect(s.notifier.flushed).toEqual(['d7']);
      // Nothing was queued, so nothing is removed and no worker is told.
      expect(s.cloudQueue.removed).toEqual([]);
      expect(s.published).toEqual([]);
      expect(s.runs.callsOf('markCancelled')).toEqual([]);
    });

    it('decided by someone else meanwhile: the withdrawal loses and is not audited', async () => {
      const s = setup(request());
      const stale = structuredClone(s.runs.stored.get('d7')!);
      s.runs.stored.get('d7')!.decision = { state: 'approved', by: APPROVER, at: T0 - 1 };
      s.deps.runs = { ...s.runs, get: async () => structuredClone(stale) };
      expect(await cancelRun(s.deps, 'd7', REQUESTER)).toEqual({ kind: 'decided-meanwhile' });
      expect(s.runs.stored.get('d7')?.decision).toEqual({ state: 'approved', by: APPROVER, at: T0 - 1 });
      expect(s.audit.entries).toEqual([]);
    });

    it('a builder who is not the requester nor an approver may not withdraw a deploy', async () => {
      const s = setup(request());
      expect(await cancelRun(s.deps, 'd7', BUILDER)).toEqual({ kind: 'not-allowed', runKind: 'deploy' });
      expect(s.runs.stored.get('d7')?.decision).toBeUndefined();
    });

    it('a rejected request is finished', async () => {
      const s = setup(aRun('deploy', { id: 'd7', decision: { state: 'rejected', by: APPROVER, at: T0 } }));
      expect(await cancelRun(s.deps, 'd7', REQUESTER)).toEqual({ kind: 'finished', runId: 'd7' });
    });
  });

  describe('an approved deploy', () => {
    it('with every cloud still queued: each cloud job and the parent removed, every lane cancelled', async () => {
      const s = setup(aRun('deploy', { id: 'd7', laneNames: ['aws', 'gcp'], lanes: [queuedLane('aws'), queuedLane('gcp')], decision: approved }));
      expect(await cancelRun(s.deps, 'd7', APPROVER, CHANNEL)).toEqual({ kind: 'cancelling', runId: 'd7' });
      expect(s.cloudQueue.removed).toEqual(['d7-deploy-aws', 'd7-deploy-gcp']);
      expect(s.deployQueue.removed).toEqual(['d7-deploy']);
      expect(s.runs.stored.get('d7')?.lanes.map((l) => [l.name, l.steps[0]?.status])).toEqual([
        ['aws', 'cancelled'],
        ['gcp', 'cancelled'],
      ]);
      expect(s.audit.entries).toEqual([{ action: 'run.cancelled', by: APPROVER, runId: 'd7', commit: SHA, clouds: ['aws', 'gcp'] }]);
      expect(s.published).toEqual(['d7']);
    });

    it('with one cloud running: the parent stays (its running child reports to it), only the queued lane is cancelled here', async () => {
      const s = setup(aRun('deploy', { id: 'd7', laneNames: ['aws', 'gcp'], lanes: [runningLane('aws'), queuedLane('gcp')], decision: approved }), { locked: ['d7-deploy-aws'] });
      expect(await cancelRun(s.deps, 'd7', REQUESTER)).toEqual({ kind: 'cancelling', runId: 'd7' });
      expect(s.cloudQueue.removed).toEqual(['d7-deploy-gcp']);
      expect(s.deployQueue.removed).toEqual([]);
      expect(s.runs.callsOf('saveLane').map(([, lane, phase]) => [(lane as Lane).name, phase])).toEqual([['gcp', 'run']]);
      expect(s.published).toEqual(['d7']);
    });

    it('a deployer who did not request it may not cancel it', async () => {
      const s = setup(aRun('deploy', { id: 'd7', lanes: [runningLane('aws')], decision: approved }));
      expect(await cancelRun(s.deps, 'd7', 'U0DEPLOYER')).toEqual({ kind: 'not-allowed', runKind: 'deploy' });
    });
  });

  describe('a deploy being destroyed', () => {
    const destroying = (overrides: Partial<Run> = {}) =>
      aRun('deploy', {
        id: 'd7',
        laneNames: ['aws', 'gcp'],
        lanes: [passedLane('aws'), passedLane('gcp')],
        decision: approved,
        destroy: { by: APPROVER, at: T0 - 1000, laneNames: ['aws', 'gcp'] },
        destroyLanes: [runningLane('aws'), queuedLane('gcp')],
        ...overrides,
      });

    it('cancels the destroy phase: its own flag, its own job ids, its own lanes', async () => {
      const s = setup(destroying(), { locked: ['d7-destroy-aws'] });
      expect(await cancelRun(s.deps, 'd7', APPROVER)).toEqual({ kind: 'cancelling', runId: 'd7' });
      expect(s.runs.callsOf('markCancelled')).toEqual([['d7', APPROVER, 'destroy']]);
      expect(s.runs.stored.get('d7')?.destroyCancelledBy).toBe(APPROVER);
      expect(s.runs.stored.get('d7')?.cancelledBy).toBeUndefined();
      expect(s.cloudQueue.removed).toEqual(['d7-destroy-gcp']);
      expect(s.deployQueue.removed).toEqual([]);
      expect(s.runs.callsOf('saveLane').map(([, lane, phase]) => [(lane as Lane).name, phase])).toEqual([['gcp', 'destroy']]);
    });

    it('with every destroy lane still queued, the destroy parent goes too', async () => {
      const s = setup(destroying({ destroyLanes: [queuedLane('aws'), queuedLane('gcp')] }));
      await cancelRun(s.deps, 'd7', APPROVER);
      expect(s.cloudQueue.removed).toEqual(['d7-destroy-aws', 'd7-destroy-gcp']);
      expect(s.deployQueue.removed).toEqual(['d7-destroy']);
    });

    it('a deploy cancelled before can still have its destroy cancelled', async () => {
      const s = setup(destroying({ cancelledBy: 'U0EARLIER' }));
      expect(await cancelRun(s.deps, 'd7', APPROVER)).toEqual({ kind: 'cancelling', runId: 'd7' });
      expect(s.runs.stored.get('d7')?.destroyCancelledBy).toBe(APPROVER);
    });

    it('a destroy already cancelled says by whom', async () => {
      const s = setup(destroying({ destroyCancelledBy: 'U0FIRST' }));
      expect(await cancelRun(s.deps, 'd7', APPROVER)).toEqual({ kind: 'already-cancelled', runId: 'd7', by: 'U0FIRST' });
    });

    it('once the destroy is done, the run is finished', async () => {
      const s = setup(destroying({ destroyLanes: [passedLane('aws'), passedLane('gcp')] }));
      expect(await cancelRun(s.deps, 'd7', APPROVER)).toEqual({ kind: 'finished', runId: 'd7' });
    });
  });
});
