import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redeploy, type RedeployDeps } from '../../src/actions/redeploy.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import type { Run } from '../../src/runs/run.js';
import { aRun, CHANNEL, fakeAccess, fakeCards, fakeLocks, fakeLogger, fakeExpiry, fakeGreenBuilds, fakeMirror, memoryAudit, memoryRuns, passedLane, SHA, T0, testConfig } from '../helpers/action-fakes.js';

const DEPLOYER = 'U0DEPLOYER';

function setup(run: Run, options: { postFails?: Error } = {}) {
  const runs = memoryRuns(run);
  const opened: Array<{ runId: string; requestedBy: string; ttlMs: number }> = [];
  const notifier = fakeCards(options.postFails ? { postFails: options.postFails } : {});
  const audit = memoryAudit();
  const mirror = fakeMirror();
  const deps: RedeployDeps = {
    config: testConfig({
      access: { deployers: [DEPLOYER], approvers: ['U0APPROVER'] },
      clouds: { aws: {}, gcp: {} },
      deploy: { steps: [{ name: 'apply', run: 'true' }], tests: [{ name: 'bench', run: 'true' }] },
    }),
    access: fakeAccess(),
    limits: {
      async admitRun() {
        return { reservation: 'reserved:r1' };
      },
      async trackRun() {},
      async releaseRun() {},
    },
    locks: fakeLocks(),
    approvals: {
      async open(runId, requestedBy, ttlMs) {
        opened.push({ runId, requestedBy, ttlMs });
      },
    },
    runs,
    mirror,
    expiry: fakeExpiry(),
    deployFlow: { async add() {} },
    greenBuilds: fakeGreenBuilds(),
    notifier,
    audit,
    logger: fakeLogger(),
  };
  return { deps, runs, opened, notifier, audit, mirror };
}

/** A finished deploy whose card offers Redeploy. */
const finished = (overrides: Partial<Run> = {}) =>
  aRun('deploy', {
    id: 'd7',
    ref: 'v1.2',
    laneNames: ['gcp', 'aws'],
    lanes: [passedLane('gcp'), passedLane('aws')],
    decision: { state: 'approved', by: 'U0APPROVER', at: T0 - 1 },
    ...overrides,
  });

describe('redeploy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks again for the same commit and clouds, as a new request by whoever clicked, in the run’s channel', async () => {
    const s = setup(finished({ tests: ['bench'] }));
    expect(await redeploy(s.deps, 'd7', DEPLOYER, CHANNEL)).toEqual({ kind: 'requested', runId: 'd1' });
    // The commit, not the ref: a branch that moved since must not change what is redeployed.
    expect(s.mirror.resolved).toEqual([SHA]);
    expect(s.runs.stored.get('d1')).toMatchObject({ kind: 'deploy', sha: SHA, ref: SHA, laneNames: ['gcp', 'aws'], requestedBy: DEPLOYER, channel: CHANNEL, tests: ['bench'] });
    expect(s.runs.stored.get('d1')?.decision).toBeUndefined();
    expect(s.opened.map((o) => [o.runId, o.requestedBy])).toEqual([['d1', DEPLOYER]]);
    expect(s.audit.entries).toEqual([{ action: 'deploy.requested', by: DEPLOYER, runId: 'd1', commit: SHA, clouds: ['gcp', 'aws'] }]);
    expect(s.notifier.posted).toEqual([{ runId: 'd1', channel: CHANNEL }]);
  });

  it('a run that selected no tests redeploys with every suite', async () => {
    const s = setup(finished());
    await redeploy(s.deps, 'd7', DEPLOYER, CHANNEL);
    expect(s.runs.stored.get('d1')?.tests).toBeUndefined();
  });

  it('a new card that cannot be posted is said in the answer', async () => {
    const s = setup(finished(), { postFails: new Error('not_in_channel') });
    expect(await redeploy(s.deps, 'd7', DEPLOYER, CHANNEL)).toEqual({ kind: 'requested', runId: 'd1', cardError: 'not_in_channel' });
  });

  it('someone who may not request deploys is refused by requestDeploy', async () => {
    const s = setup(finished());
    const error = await redeploy(s.deps, 'd7', 'U0APPROVER', CHANNEL).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as ApolloError).code).toBe(ErrorCode.NotAllowed);
    expect(s.runs.stored.size).toBe(1);
  });

  it('an unknown run, or a build, is gone', async () => {
    const s = setup(aRun('build', { id: 'b7' }));
    expect(await redeploy(s.deps, 'd404', DEPLOYER)).toEqual({ kind: 'gone' });
    expect(await redeploy(s.deps, 'b7', DEPLOYER)).toEqual({ kind: 'gone' });
    expect(s.runs.callsOf('create')).toEqual([]);
  });

  it('a click from another channel requests nothing', async () => {
    const s = setup(finished());
    expect(await redeploy(s.deps, 'd7', DEPLOYER, 'C0ELSEWHERE')).toEqual({ kind: 'wrong-channel' });
    expect(s.runs.callsOf('create')).toEqual([]);
  });
});
