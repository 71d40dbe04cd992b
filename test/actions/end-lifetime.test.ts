import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { endLifetime, LIFETIME_ACTOR, LOCKED_RETRY_MS, type EndLifetimeDeps } from '../../src/actions/end-lifetime.js';
import type { Run } from '../../src/runs/run.js';
import type { LockHolder } from '../../src/queue/cloud-locks.js';
import { aRun, fakeCards, fakeLocks, fakeLogger, memoryAudit, memoryRuns, passedLane, T0, testConfig } from '../helpers/action-fakes.js';

const HOUR = 3_600_000;
const kept = (overrides: Partial<Run> = {}) =>
  aRun('deploy', { laneNames: ['aws'], lanes: [passedLane('aws')], decision: { state: 'approved', by: 'U0APPROVER', at: T0 }, keepMs: HOUR, keepUntil: T0, ...overrides });

function setup(run: Run, options: { current?: string; locked?: LockHolder } = {}) {
  const runs = memoryRuns(run);
  const added: Array<{ runId: string; phase: string; clouds: string[] }> = [];
  const scheduled: Array<{ at: number; remindAt: number }> = [];
  const audit = memoryAudit();
  const deps: EndLifetimeDeps = {
    config: testConfig({ clouds: { aws: {} }, deploy: { steps: [{ name: 'apply', run: 'true' }] }, destroy: { steps: [{ name: 'destroy', run: 'true' }] } }),
    runs,
    cloudState: {
      current: async () => options.current ?? 'd7',
      carriedBy: async (runId, clouds) => clouds.filter(() => (options.current ?? 'd7') === runId),
    },
    locks: fakeLocks(options.locked ? { aws: { kind: 'sticky', holder: options.locked } } : {}),
    expiry: { schedule: async (_runId, at, remindAt) => void scheduled.push({ at, remindAt }) },
    deployFlow: { add: async (runId, phase, clouds) => void added.push({ runId, phase, clouds }) },
    notifier: fakeCards(),
    audit,
    logger: fakeLogger(),
  };
  return { deps, runs, added, scheduled, audit };
}

describe('endLifetime', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('destroys the clouds the run still carries, as the lifetime, audited', async () => {
    const s = setup(kept());
    expect(await endLifetime(s.deps, 'd7', T0)).toMatchObject({ kind: 'destroying', clouds: ['aws'] });
    expect(s.added).toEqual([{ runId: 'd7', phase: 'destroy', clouds: ['aws'] }]);
    expect(s.runs.stored.get('d7')!.destroy).toMatchObject({ by: LIFETIME_ACTOR, expired: true });
    expect(s.runs.stored.get('d7')!.keepUntil).toBeUndefined();
    expect(s.audit.entries[0]).toMatchObject({ action: 'deploy.lifetime-ended', runId: 'd7' });
  });

  it('does nothing for a stale timer: extended, destroyed, gone', async () => {
    expect(await endLifetime(setup(kept({ keepUntil: T0 + HOUR })).deps, 'd7', T0)).toEqual({ kind: 'stale', why: 'extended' });
    expect(await endLifetime(setup(kept({ destroy: { by: 'U0X', at: T0, laneNames: ['aws'] } })).deps, 'd7', T0)).toEqual({ kind: 'stale', why: 'already destroyed' });
    expect(await endLifetime(setup(kept()).deps, 'd99', T0)).toEqual({ kind: 'stale', why: 'the run is gone' });
    const s = setup(kept({ keepUntil: T0 + HOUR }));
    await endLifetime(s.deps, 'd7', T0);
    expect(s.added).toEqual([]);
  });

  it('never destroys a locked cloud under its owner: the lifetime moves on and the timers are scheduled again', async () => {
    const s = setup(kept(), { locked: { owner: 'U0OWNER', since: T0 - 1000, reason: 'debugging' } });
    expect(await endLifetime(s.deps, 'd7', T0)).toEqual({ kind: 'postponed', until: T0 + LOCKED_RETRY_MS, cloud: 'aws' });
    expect(s.added).toEqual([]);
    expect(s.runs.stored.get('d7')!.keepUntil).toBe(T0 + LOCKED_RETRY_MS);
    expect(s.scheduled).toEqual([{ at: T0 + LOCKED_RETRY_MS, remindAt: T0 + LOCKED_RETRY_MS / 2 }]);
  });

  it('skips clouds newer deploys took', async () => {
    const s = setup(kept(), { current: 'd9' });
    expect(await endLifetime(s.deps, 'd7', T0)).toMatchObject({ kind: 'nothing-left' });
    expect(s.added).toEqual([]);
  });
});
