import { describe, expect, it } from 'vitest';
import { confirmDestroy, prepareDestroy, typedClouds, type ConfirmDestroyDeps } from '../../src/actions/confirm-destroy.js';
import type { Run } from '../../src/runs/run.js';
import { aRun, CHANNEL, fakeAccess, fakeCards, fakeLogger, memoryAudit, memoryRuns, passedLane, T0, testConfig } from '../helpers/action-fakes.js';

const A = 'U0ALICE';
const B = 'U0BOB';
const TTL = 60_000;

function setup(required?: number, run: Run = aRun('deploy', { laneNames: ['aws', 'gcp'], lanes: [passedLane('aws'), passedLane('gcp')], decision: { state: 'approved', by: A, at: T0 } })) {
  const runs = memoryRuns(run);
  const added: string[][] = [];
  const deps: ConfirmDestroyDeps = {
    config: testConfig({ access: { approvers: [A, B], approvalTtl: '60s' }, clouds: { aws: {}, gcp: {} }, destroy: { steps: [{ name: 'destroy', run: 'true' }], ...(required ? { requiredApprovals: required } : {}) } }),
    access: fakeAccess(),
    runs,
    cloudState: { async current() { return 'd7'; } },
    deployFlow: { async add(_runId, _phase, clouds) { added.push(clouds); } },
    notifier: fakeCards(),
    audit: memoryAudit(),
    logger: fakeLogger(),
  };
  return { deps, runs, added };
}

describe('the destroy modal', () => {
  it('reads the typed names in any order and spacing', () => {
    expect(typedClouds(' GCP,aws ')).toEqual(['aws', 'gcp']);
    expect(typedClouds('aws gcp aws')).toEqual(['aws', 'gcp']);
  });

  it('asks for the clouds it destroys; someone who may not destroy gets no modal', async () => {
    const s = setup();
    expect(await prepareDestroy(s.deps, 'd7', A, CHANNEL, T0)).toMatchObject({ kind: 'confirm', required: 1, targets: [{ name: 'aws' }, { name: 'gcp' }] });
    expect(await prepareDestroy(s.deps, 'd7', 'U0NOBODY', CHANNEL, T0)).toEqual({ kind: 'not-destroyer', clouds: ['aws', 'gcp'] });
  });

  it('a wrong name destroys nothing', async () => {
    const s = setup();
    expect(await confirmDestroy(s.deps, 'd7', A, 'aws', CHANNEL, T0)).toEqual({ kind: 'wrong-name', expected: ['aws', 'gcp'] });
    expect(s.added).toEqual([]);
    expect(await confirmDestroy(s.deps, 'd7', A, 'aws, gcp', CHANNEL, T0)).toMatchObject({ kind: 'destroying', clouds: ['aws', 'gcp'] });
  });

  it('with two destroyers required: the same person twice is refused, a confirmation expires, a second person starts it', async () => {
    const s = setup(2);
    expect(await confirmDestroy(s.deps, 'd7', A, 'aws gcp', CHANNEL, T0)).toEqual({ kind: 'needs-more', have: 1, required: 2, expired: [] });
    expect(await confirmDestroy(s.deps, 'd7', A, 'aws gcp', CHANNEL, T0 + 1)).toEqual({ kind: 'same-destroyer' });
    expect(s.added).toEqual([]);
    // Alice's expired: Bob's is a first one again.
    expect(await confirmDestroy(s.deps, 'd7', B, 'aws gcp', CHANNEL, T0 + TTL + 1)).toEqual({ kind: 'needs-more', have: 1, required: 2, expired: [{ by: A, at: T0, expiresAt: T0 + TTL }] });
    expect(await confirmDestroy(s.deps, 'd7', A, 'aws gcp', CHANNEL, T0 + TTL + 2)).toMatchObject({ kind: 'destroying' });
    expect(s.runs.stored.get('d7')?.destroy).toMatchObject({ by: A, confirmedBy: [B] });
    expect(s.added).toEqual([['aws', 'gcp']]);
  });
});
