import { describe, expect, it } from 'vitest';
import { rollback, type RollbackDeps } from '../../src/actions/rollback.js';
import type { CloudDeploy, LastDeploy } from '../../src/runs/cloud-state.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import { CHANNEL, fakeAccess, fakeCards, fakeExpiry, fakeGreenBuilds, fakeLocks, fakeLogger, fakeMirror, memoryAudit, memoryRuns, T0, testConfig } from '../helpers/action-fakes.js';

const DEPLOYER = 'U0DEPLOYER';
const OLD = '1111111111111111111111111111111111111111';
const MID = '2222222222222222222222222222222222222222';
const NOW = '3333333333333333333333333333333333333333';

const entry = (runId: string, sha: string, outcome: CloudDeploy['outcome'], at: number): CloudDeploy => ({ runId, sha, ref: sha, by: DEPLOYER, at, outcome });

function setup(history: CloudDeploy[], live?: LastDeploy) {
  const runs = memoryRuns();
  const refs = Object.fromEntries([OLD, MID, NOW].map((sha) => [sha, { sha, branches: ['main'] }]));
  const deps: RollbackDeps = {
    config: testConfig({ access: { deployers: [DEPLOYER], approvers: ['U0APPROVER'] }, clouds: { aws: {}, gcp: {} }, deploy: { steps: [{ name: 'apply', run: 'true' }] } }),
    access: fakeAccess(),
    limits: { async admitRun() { return { reservation: 'r' }; }, async trackRun() {}, async releaseRun() {} },
    locks: fakeLocks(),
    approvals: { async open() {} },
    runs,
    mirror: fakeMirror(refs),
    expiry: fakeExpiry(),
    deployFlow: { async add() {} },
    greenBuilds: fakeGreenBuilds(),
    cloudState: {
      async history() {
        return history;
      },
      async lastDeploy() {
        return live;
      },
    },
    notifier: fakeCards(),
    audit: memoryAudit(),
    logger: fakeLogger(),
  };
  return { deps, runs };
}

describe('rollback', () => {
  it('asks to deploy the commit live before the current one: the newest earlier passed deploy of another commit', async () => {
    const s = setup(
      [entry('d5', NOW, 'passed', T0 + 5), entry('d4', MID, 'failed', T0 + 4), entry('d3', NOW, 'passed', T0 + 3), entry('d2', MID, 'passed', T0 + 2), entry('d1', OLD, 'passed', T0 + 1)],
      { sha: NOW, ref: NOW, by: DEPLOYER, at: T0 + 5, runId: 'd5' },
    );
    expect(await rollback(s.deps, 'aws', DEPLOYER, CHANNEL)).toEqual({ kind: 'requested', runId: 'd1', cloud: 'aws', from: NOW, to: MID });
    expect(s.runs.stored.get('d1')).toMatchObject({ sha: MID, laneNames: ['aws'], rollbackFrom: NOW, requestedBy: DEPLOYER });
  });

  it('says when nothing is live, or nothing earlier passed', async () => {
    expect(await rollback(setup([]).deps, 'aws', DEPLOYER, CHANNEL)).toEqual({ kind: 'nothing-live', cloud: 'aws' });
    const only = setup([entry('d2', NOW, 'passed', T0 + 2), entry('d1', OLD, 'failed', T0 + 1)], { sha: NOW, ref: NOW, by: DEPLOYER, at: T0, runId: 'd2' });
    expect(await rollback(only.deps, 'aws', DEPLOYER, CHANNEL)).toEqual({ kind: 'no-previous', cloud: 'aws', live: NOW });
    expect(only.runs.stored.size).toBe(0);
  });

  it('is a deploy request: someone who may not request deploys is refused, and unknown clouds are named', async () => {
    const s = setup([entry('d2', NOW, 'passed', T0 + 2), entry('d1', OLD, 'passed', T0 + 1)], { sha: NOW, ref: NOW, by: DEPLOYER, at: T0, runId: 'd2' });
    await expect(rollback(s.deps, 'aws', 'U0STRANGER', CHANNEL)).rejects.toMatchObject({ code: ErrorCode.NotAllowed });
    await expect(rollback(s.deps, 'mars', DEPLOYER, CHANNEL)).rejects.toBeInstanceOf(ApolloError);
    expect(s.runs.stored.size).toBe(0);
  });
});
