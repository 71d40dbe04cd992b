import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { extendKeep, type ExtendKeepDeps } from '../../src/actions/extend-keep.js';
import type { ExpiryQueue } from '../../src/queue/expiry-queue.js';
import type { Run } from '../../src/runs/run.js';
import { aRun, CHANNEL, fakeAccess, fakeCards, fakeLogger, memoryAudit, memoryRuns, passedLane, T0, testConfig } from '../helpers/action-fakes.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const DESTROYER = 'U0DESTROYER';
const HOUR = 3_600_000;

const kept = (overrides: Partial<Run> = {}) =>
  aRun('deploy', { requestedBy: REQUESTER, lanes: [passedLane('aws')], decision: { state: 'approved', by: APPROVER, at: T0 }, keepMs: 4 * HOUR, keepUntil: T0 + HOUR, ...overrides });

function setup(run: Run, maxKeep = '7d') {
  const runs = memoryRuns(run);
  const scheduled: Array<{ runId: string; at: number; remindAt: number }> = [];
  const expiry: Pick<ExpiryQueue, 'schedule'> = {
    async schedule(runId, at, remindAt) {
      scheduled.push({ runId, at, remindAt });
    },
  };
  const audit = memoryAudit();
  const notifier = fakeCards();
  const deps: ExtendKeepDeps = {
    config: testConfig({
      access: { deployers: ['*'], approvers: [APPROVER], destroyers: [DESTROYER] },
      clouds: { aws: {} },
      deploy: { steps: [{ name: 'apply', run: 'true' }], keepReminder: '30m', maxKeep: maxKeep },
      destroy: { steps: [{ name: 'destroy', run: 'true' }] },
    }),
    access: fakeAccess(),
    runs,
    expiry,
    notifier,
    audit,
    logger: fakeLogger(),
  };
  return { deps, runs, scheduled, audit, notifier };
}

describe('extendKeep', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('gives the deploy its lifetime again from its current end, with new timers, audited', async () => {
    const s = setup(kept());
    expect(await extendKeep(s.deps, 'd7', REQUESTER, CHANNEL)).toEqual({ kind: 'extended', until: T0 + 5 * HOUR });
    expect(s.runs.stored.get('d7')!.keepUntil).toBe(T0 + 5 * HOUR);
    expect(s.scheduled).toEqual([{ runId: 'd7', at: T0 + 5 * HOUR, remindAt: T0 + 5 * HOUR - 30 * 60_000 }]);
    expect(s.audit.entries[0]).toMatchObject({ action: 'deploy.extended', by: REQUESTER, runId: 'd7' });
    expect(s.notifier.refreshed).toEqual(['d7']);
  });

  it('lets approvers and destroyers extend, nobody else', async () => {
    expect((await extendKeep(setup(kept()).deps, 'd7', APPROVER)).kind).toBe('extended');
    expect((await extendKeep(setup(kept()).deps, 'd7', DESTROYER)).kind).toBe('extended');
    const s = setup(kept());
    expect(await extendKeep(s.deps, 'd7', 'U0SOMEONE')).toEqual({ kind: 'not-allowed' });
    expect(s.scheduled).toEqual([]);
    expect(s.runs.stored.get('d7')!.keepUntil).toBe(T0 + HOUR);
  });

  it('never past deploy.maxKeep from now', async () => {
    const s = setup(kept({ keepUntil: T0 + 5 * HOUR }), '6h');
    expect(await extendKeep(s.deps, 'd7', REQUESTER)).toEqual({ kind: 'extended', until: T0 + 6 * HOUR });
    expect(await extendKeep(s.deps, 'd7', REQUESTER)).toEqual({ kind: 'at-most', until: T0 + 6 * HOUR, maxMs: 6 * HOUR });
  });

  it('refuses a destroyed or timer-less deploy, another channel, and an unknown run', async () => {
    expect(await extendKeep(setup(kept({ destroy: { by: APPROVER, at: T0, laneNames: ['aws'] } })).deps, 'd7', REQUESTER)).toEqual({ kind: 'not-kept' });
    const noTimer = kept();
    delete noTimer.keepUntil;
    expect(await extendKeep(setup(noTimer).deps, 'd7', REQUESTER)).toEqual({ kind: 'not-kept' });
    expect(await extendKeep(setup(kept()).deps, 'd7', REQUESTER, 'C0ELSEWHERE')).toEqual({ kind: 'wrong-channel' });
    expect(await extendKeep(setup(kept()).deps, 'd99', REQUESTER)).toEqual({ kind: 'gone' });
  });
});
