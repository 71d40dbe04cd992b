import type { ConfigInput } from '../../src/config/schema.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { destroyDeploy, type DestroyDeployDeps } from '../../src/actions/destroy-deploy.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import type { Run } from '../../src/runs/run.js';
import type { CloudState } from '../../src/runs/cloud-state.js';
import type { DeployFlow } from '../../src/queue/deploy-flow.js';
import { aRun, type AccessInput, CHANNEL, fakeAccess, fakeCards, fakeLogger, memoryAudit, memoryRuns, passedLane, runningLane, SHA, T0, testConfig } from '../helpers/action-fakes.js';

const APPROVER = 'U0APPROVER';
const DESTROYER = 'U0DESTROYER';

/** A deploy to aws and gcp that was approved and ran to the end. */
const deployed = (overrides: Partial<Run> = {}) =>
  aRun('deploy', {
    id: 'd7',
    laneNames: ['aws', 'gcp'],
    lanes: [passedLane('aws'), passedLane('gcp')],
    decision: { state: 'approved', by: APPROVER, at: T0 - 10_000 },
    ...overrides,
  });

function setup(options: { run?: Run; current?: Record<string, string>; access?: AccessInput; clouds?: ConfigInput['clouds']; destroy?: boolean; queueFails?: Error } = {}) {
  const run = options.run ?? deployed();
  const runs = memoryRuns(run);
  const current = options.current ?? { aws: 'd7', gcp: 'd7' };
  const cloudState: Pick<CloudState, 'current'> = {
    async current(cloud) {
      return current[cloud];
    },
  };
  const added: Array<{ runId: string; phase: string; clouds: string[] }> = [];
  const deployFlow: Pick<DeployFlow, 'add'> = {
    async add(runId, phase, clouds) {
      if (options.queueFails) throw options.queueFails;
      added.push({ runId, phase, clouds });
    },
  };
  const audit = memoryAudit();
  const notifier = fakeCards();
  const deps: DestroyDeployDeps = {
    config: testConfig({
      access: options.access ?? { deployers: ['*'], approvers: [APPROVER] },
      clouds: options.clouds ?? { aws: {}, gcp: {} },
      ...(options.destroy === false ? {} : { destroy: { steps: [{ name: 'plan-destroy', run: 'true' }, { name: 'destroy', run: 'true' }] } }),
    }),
    access: fakeAccess(),
    runs,
    cloudState,
    deployFlow,
    notifier,
    audit,
    logger: fakeLogger(),
  };
  return { deps, runs, added, audit, notifier };
}

describe('destroyDeploy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an approver destroys every cloud the deploy still carries: queued once, audited, the card refreshed', async () => {
    const s = setup();
    expect(await destroyDeploy(s.deps, 'd7', APPROVER, CHANNEL)).toEqual({ kind: 'destroying', clouds: ['aws', 'gcp'], taken: [] });
    expect(s.runs.callsOf('startDestroy')).toEqual([
      [
        'd7',
        { by: APPROVER, at: T0, laneNames: ['aws', 'gcp'] },
        ['aws', 'gcp'].map((name) => ({
          name,
          steps: [
            { name: 'plan-destroy', status: 'queued' },
            { name: 'destroy', status: 'queued' },
          ],
        })),
      ],
    ]);
    expect(s.added).toEqual([{ runId: 'd7', phase: 'destroy', clouds: ['aws', 'gcp'] }]);
    expect(s.audit.entries).toEqual([{ action: 'destroy.requested', by: APPROVER, runId: 'd7', commit: SHA, clouds: ['aws', 'gcp'] }]);
    expect(s.notifier.refreshed).toEqual(['d7']);
  });

  it('a cloud whose apply failed is destroyed too: it may hold resources already', async () => {
    const failed = { ...passedLane('gcp'), steps: [{ name: 'apply', status: 'failed' as const, exitCode: 1 }] };
    const s = setup({ run: deployed({ lanes: [passedLane('aws'), failed] }) });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'destroying', clouds: ['aws', 'gcp'], taken: [] });
  });

  it('a cloud that never started is not destroyed', async () => {
    const s = setup({ run: deployed({ lanes: [passedLane('aws'), { name: 'gcp', finishedAt: T0, steps: [{ name: 'apply', status: 'cancelled' }] }] }) });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'destroying', clouds: ['aws'], taken: [] });
  });

  it('clouds a newer deploy took over are left alone and named, with the run that has them now', async () => {
    const s = setup({ current: { aws: 'd9' } });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'nothing-left', runId: 'd7', taken: [{ cloud: 'aws', currentRunId: 'd9' }, { cloud: 'gcp' }] });
    expect(s.runs.callsOf('startDestroy')).toEqual([]);
    expect(s.added).toEqual([]);
  });

  it('with one cloud taken over, only the other is destroyed', async () => {
    const s = setup({ current: { aws: 'd7', gcp: 'd9' } });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'destroying', clouds: ['aws'], taken: [{ cloud: 'gcp', currentRunId: 'd9' }] });
    expect(s.added).toEqual([{ runId: 'd7', phase: 'destroy', clouds: ['aws'] }]);
  });

  it('an unknown run, or a build, is gone', async () => {
    const s = setup({ run: aRun('build', { id: 'b7' }) });
    expect(await destroyDeploy(s.deps, 'd404', APPROVER)).toEqual({ kind: 'gone' });
    expect(await destroyDeploy(s.deps, 'b7', APPROVER)).toEqual({ kind: 'gone' });
  });

  it('a click from another channel changes nothing', async () => {
    const s = setup();
    expect(await destroyDeploy(s.deps, 'd7', APPROVER, 'C0ELSEWHERE')).toEqual({ kind: 'wrong-channel' });
    expect(s.runs.callsOf('startDestroy')).toEqual([]);
  });

  it('without a destroy pipeline there is nothing to run', async () => {
    const s = setup({ destroy: false });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'not-configured' });
  });

  it('a destroy already started answers who started it and when', async () => {
    const s = setup({ run: deployed({ destroy: { by: 'U0FIRST', at: T0 - 5, laneNames: ['aws'] } }) });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'already-started', by: 'U0FIRST', at: T0 - 5 });
    expect(s.added).toEqual([]);
  });

  it.each([
    ['never decided', undefined],
    ['rejected', { state: 'rejected' as const, by: APPROVER, at: T0 }],
    ['expired', { state: 'expired' as const, at: T0 }],
  ])('a deploy that was %s never ran', async (_label, decision) => {
    const run = deployed({ lanes: [{ name: 'aws', steps: [] }, { name: 'gcp', steps: [] }] });
    if (decision) run.decision = decision;
    else delete run.decision;
    const s = setup({ run });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'never-ran' });
  });

  it('a deploy still running, or approved but still queued, cannot be destroyed yet', async () => {
    const running = setup({ run: deployed({ lanes: [passedLane('aws'), runningLane('gcp')] }) });
    expect(await destroyDeploy(running.deps, 'd7', APPROVER)).toEqual({ kind: 'still-running' });
    const queued = setup({ run: deployed({ lanes: [{ name: 'aws', steps: [{ name: 'apply', status: 'queued' }] }, { name: 'gcp', steps: [{ name: 'apply', status: 'queued' }] }] }) });
    expect(await destroyDeploy(queued.deps, 'd7', APPROVER)).toEqual({ kind: 'still-running' });
  });

  it('destroyers default to the approvers; a deployer is not one', async () => {
    const s = setup();
    expect(await destroyDeploy(s.deps, 'd7', 'U0DEPLOYER')).toEqual({ kind: 'not-destroyer', clouds: ['aws', 'gcp'] });
    expect(s.runs.callsOf('startDestroy')).toEqual([]);
  });

  it('with access.destroyers set, those may destroy and the approvers may not', async () => {
    const access = { deployers: ['*'], approvers: [APPROVER], destroyers: [DESTROYER] };
    const s = setup({ access });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'not-destroyer', clouds: ['aws', 'gcp'] });
    expect(await destroyDeploy(s.deps, 'd7', DESTROYER)).toMatchObject({ kind: 'destroying', clouds: ['aws', 'gcp'] });
  });

  it("a cloud's own destroyers (clouds.<name>.destroyers) replace the global ones for it: the clicker must be one for every cloud", async () => {
    const s = setup({ clouds: { aws: { destroyers: ['U0AWSOPS'] }, gcp: {} } });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'not-destroyer', clouds: ['aws'] });
    expect(await destroyDeploy(s.deps, 'd7', 'U0AWSOPS')).toEqual({ kind: 'not-destroyer', clouds: ['gcp'] });
    expect(s.runs.callsOf('startDestroy')).toEqual([]);
    const both = setup({ clouds: { aws: { destroyers: ['U0AWSOPS'] }, gcp: { approvers: ['U0AWSOPS'] } } });
    expect(await destroyDeploy(both.deps, 'd7', 'U0AWSOPS')).toMatchObject({ kind: 'destroying', clouds: ['aws', 'gcp'] });
  });

  it('a deploy none of whose clouds started has nothing deployed', async () => {
    const blocked = (name: string) => ({ name, finishedAt: T0, blocked: { kind: 'locked' as const, lock: 'sticky' as const, cloud: name, by: 'U0LOCKER', since: T0 }, steps: [{ name: 'apply', status: 'skipped' as const }] });
    const s = setup({ run: deployed({ lanes: [blocked('aws'), blocked('gcp')] }) });
    expect(await destroyDeploy(s.deps, 'd7', APPROVER)).toEqual({ kind: 'nothing-deployed' });
  });

  it('two clicks at once: the one that loses starts nothing', async () => {
    const s = setup();
    const [a, b] = await Promise.all([destroyDeploy(s.deps, 'd7', APPROVER), destroyDeploy(s.deps, 'd7', APPROVER)]);
    expect([a.kind, b.kind].sort()).toEqual(['already-started', 'destroying']);
    expect(s.added).toHaveLength(1);
    expect(s.audit.entries).toHaveLength(1);
  });

  it('the queue failing undoes the destroy, so the button works again', async () => {
    const down = new Error('ECONNREFUSED');
    const s = setup({ queueFails: down });
    const error = await destroyDeploy(s.deps, 'd7', APPROVER).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as ApolloError).code).toBe(ErrorCode.QueueUnavailable);
    expect((error as ApolloError).cause).toBe(down);
    expect(s.runs.callsOf('undoDestroy')).toEqual([['d7', ['aws', 'gcp']]]);
    expect(s.runs.stored.get('d7')?.destroy).toBeUndefined();
    expect(s.audit.entries).toEqual([]);
    expect(s.notifier.refreshed).toEqual([]);
  });
});
