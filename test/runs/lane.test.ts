import { describe, expect, it } from 'vitest';
import {
  blockLane,
  cancelLane,
  failLane,
  finishLane,
  interruptLane,
  RETRY_NOTE,
  retryLane,
  skipStep,
  startLane,
  stepProcessStarted,
  stepResult,
  stepStarted,
  stoppedBeforeStep,
  stoppedWhileRunning,
} from '../../src/runs/lane.js';
import { laneStatus, needsCleanup, newLane, type Lane } from '../../src/runs/run.js';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const statuses = (lane: Lane) => lane.steps.map((s) => s.status);

/** A lane whose first `passed` steps passed and whose next step is running. */
function midway(names: string[], passed: number): Lane {
  let lane = startLane(newLane('aws', names), T0);
  for (let i = 0; i < passed; i++) lane = stepResult(stepStarted(lane, i, T0), i, { status: 'passed', finishedAt: T0 + 1, exitCode: 0 });
  return stepStarted(lane, passed, T0 + 2);
}

describe('lane transitions', () => {
  it('start, step started, step result, finish: a lane whose steps all pass reads passed', () => {
    let lane = startLane(newLane('build', ['one', 'two']), T0);
    expect(lane.startedAt).toBe(T0);
    expect(laneStatus(lane)).toBe('running');
    lane = stepStarted(lane, 0, T0 + 10);
    expect(lane.steps[0]).toEqual({ name: 'one', status: 'running', startedAt: T0 + 10 });
    lane = stepResult(lane, 0, { status: 'passed', finishedAt: T0 + 20, exitCode: 0, timedOut: false });
    lane = stepResult(stepStarted(lane, 1, T0 + 20), 1, { status: 'passed', finishedAt: T0 + 30, exitCode: 0 });
    lane = finishLane(lane, T0 + 31);
    expect(lane.finishedAt).toBe(T0 + 31);
    expect(statuses(lane)).toEqual(['passed', 'passed']);
    expect(laneStatus(lane)).toBe('passed');
  });

  it('never changes the lane it is given', () => {
    const before = midway(['one', 'two'], 0);
    const copy = structuredClone(before);
    stepResult(before, 0, { status: 'failed', finishedAt: T0 + 5, exitCode: 1 });
    failLane(before, 'boom', T0);
    cancelLane(before, 'U0ALICE', T0);
    interruptLane(before, T0);
    expect(before).toEqual(copy);
  });

  it('keeps where the running step’s process lives until that step ends, and never after the lane ends', () => {
    const running = stepProcessStarted(midway(['apply', 'test'], 0), { host: 'w1', pid: 42 });
    expect(running.process).toEqual({ host: 'w1', pid: 42 });
    const done = stepResult(running, 0, { status: 'passed', finishedAt: T0 + 5, exitCode: 0 });
    expect(done.process).toBeUndefined();
    expect(finishLane(running, T0 + 9).process).toBeUndefined();
    expect(failLane(running, 'boom', T0 + 9).process).toBeUndefined();
  });

  it('a failed step that is not a suite skips every step after it', () => {
    const lane = stepResult(midway(['apply', 'serverspec', 'bench'], 0), 0, { status: 'failed', finishedAt: T0 + 5, exitCode: 2, reason: 'exit code 2', tail: ['oops'] });
    expect(statuses(lane)).toEqual(['failed', 'skipped', 'skipped']);
    expect(lane.steps[0]).toMatchObject({ exitCode: 2, reason: 'exit code 2', tail: ['oops'] });
    // Not done yet: the job still has to finish it.
    expect(laneStatus(lane)).toBe('running');
    expect(laneStatus(finishLane(lane, T0 + 6))).toBe('failed');
  });

  it('a failing suite does not stop the suites after it, and the lane still fails', () => {
    const lane = stepResult(midway(['apply', 'serverspec', 'bench'], 1), 1, { status: 'failed', finishedAt: T0 + 5, exitCode: 1 }, { suite: true });
    expect(statuses(lane)).toEqual(['passed', 'failed', 'queued']);
    const done = finishLane(stepResult(stepStarted(lane, 2, T0 + 6), 2, { status: 'passed', finishedAt: T0 + 7, exitCode: 0 }, { suite: true }), T0 + 8);
    expect(statuses(done)).toEqual(['passed', 'failed', 'passed']);
    expect(laneStatus(done)).toBe('failed');
  });

  it("an ephemeral lane's teardown is neither skipped by a failure nor by a cancel, and keeps the lane running until it ran", () => {
    const ephemeral = () => startLane(newLane('aws', ['apply', 'smoke', 'destroy'], [undefined, 'test', 'teardown']), T0);
    const failed = stepResult(stepStarted(ephemeral(), 0, T0), 0, { status: 'failed', finishedAt: T0 + 1, exitCode: 1 });
    expect(statuses(failed)).toEqual(['failed', 'skipped', 'queued']);
    expect(laneStatus(failed)).toBe('running');
    const cancelled = stoppedWhileRunning(stepStarted(ephemeral(), 0, T0), 0, { kind: 'cancelled' }, { finishedAt: T0 + 1 });
    expect(statuses(cancelled)).toEqual(['cancelled', 'skipped', 'queued']);
    expect(laneStatus(cancelled)).toBe('running');
    const tornDown = finishLane(stepResult(stepStarted(cancelled, 2, T0 + 2), 2, { status: 'passed', finishedAt: T0 + 3, exitCode: 0 }), T0 + 3);
    expect(laneStatus(tornDown)).toBe('cancelled');
    expect(needsCleanup(tornDown)).toBe(false);
  });

  it('a failed or stopped teardown skips the rest of the teardown, and the cloud needs cleanup', () => {
    let lane = startLane(newLane('aws', ['apply', 'destroy', 'forget'], [undefined, 'teardown', 'teardown']), T0);
    lane = stepResult(stepStarted(lane, 0, T0), 0, { status: 'passed', finishedAt: T0 + 1, exitCode: 0 });
    lane = finishLane(stepResult(stepStarted(lane, 1, T0 + 1), 1, { status: 'failed', finishedAt: T0 + 2, exitCode: 3 }), T0 + 2);
    expect(statuses(lane)).toEqual(['passed', 'failed', 'skipped']);
    expect(laneStatus(lane)).toBe('failed');
    expect(needsCleanup(lane)).toBe(true);
    // A lane that never started left nothing behind.
    expect(needsCleanup(cancelLane(newLane('aws', ['apply', 'destroy'], [undefined, 'teardown']), 'U1', T0))).toBe(false);
    // Nor does a lane without a teardown need one.
    expect(needsCleanup(finishLane(startLane(newLane('aws', ['apply']), T0), T0 + 1))).toBe(false);
  });

  it('a step not asked for is skipped, and says why', () => {
    const lane = skipStep(startLane(newLane('aws', ['apply', 'serverspec']), T0), 1, 'not selected');
    expect(lane.steps[1]).toEqual({ name: 'serverspec', status: 'skipped', reason: 'not selected' });
  });

  it('a cancel before a step reads cancelled, never passed; the rest are skipped', () => {
    const lane = finishLane(stoppedBeforeStep(startLane(newLane('build', ['one', 'two']), T0), 0, { kind: 'cancelled' }), T0 + 1);
    expect(statuses(lane)).toEqual(['cancelled', 'skipped']);
    expect(lane.steps[0]!.reason).toBe('cancelled before it started');
    expect(laneStatus(lane)).toBe('cancelled');
  });

  it('any other stop before a step reads interrupted, with why', () => {
    let lane = startLane(newLane('build', ['one', 'two', 'three']), T0);
    lane = stepResult(stepStarted(lane, 0, T0), 0, { status: 'passed', finishedAt: T0 + 1, exitCode: 0 });
    lane = finishLane(stoppedBeforeStep(lane, 1, { kind: 'interrupted', why: 'the worker was shutting down' }), T0 + 2);
    expect(statuses(lane)).toEqual(['passed', 'interrupted', 'skipped']);
    expect(lane.steps[1]!.reason).toBe('not started: the worker was shutting down');
    expect(laneStatus(lane)).toBe('interrupted');
  });

  it('a stop while a step runs keeps what the step left and reads cancelled or interrupted', () => {
    const running = stepProcessStarted(midway(['apply', 'test'], 0), { host: 'w1', pid: 7 });
    const end = { finishedAt: T0 + 9, exitCode: null, timedOut: false, tail: ['applying…'] };
    const cancelled = stoppedWhileRunning(running, 0, { kind: 'cancelled' }, end);
    expect(cancelled.steps[0]).toMatchObject({ status: 'cancelled', reason: 'cancelled while running', tail: ['applying…'], finishedAt: T0 + 9 });
    expect(statuses(cancelled)).toEqual(['cancelled', 'skipped']);
    expect(cancelled.process).toBeUndefined();
    const interrupted = stoppedWhileRunning(running, 0, { kind: 'interrupted', why: 'the cloud lock was lost' }, end);
    expect(interrupted.steps[0]).toMatchObject({ status: 'interrupted', reason: 'stopped while running: the cloud lock was lost' });
    expect(laneStatus(finishLane(interrupted, T0 + 10))).toBe('interrupted');
  });

  it('fail: the lane ends with the failure’s text, its open steps skipped, its done ones kept', () => {
    const lane = failLane(midway(['checkout', 'apply', 'test'], 1), 'git fetch failed', T0 + 5);
    expect(lane).toMatchObject({ error: 'git fetch failed', finishedAt: T0 + 5 });
    expect(statuses(lane)).toEqual(['passed', 'skipped', 'skipped']);
    expect(laneStatus(lane)).toBe('failed');
  });

  it('block: a lane that may not run keeps what stood in the way as data, not text', () => {
    const blocked = { kind: 'locked', lock: 'sticky', cloud: 'aws', by: 'U0OWNER', since: T0, reason: 'load test' } as const;
    const lane = blockLane(newLane('aws', ['apply', 'test']), blocked, T0 + 5);
    expect(lane.blocked).toEqual(blocked);
    expect(lane.error).toBeUndefined();
    expect(lane.finishedAt).toBe(T0 + 5);
    expect(statuses(lane)).toEqual(['skipped', 'skipped']);
    expect(laneStatus(lane)).toBe('failed');
    const takenOver = blockLane(newLane('aws', ['destroy']), { kind: 'taken-over', cloud: 'aws', currentRunId: 'd3' }, T0);
    expect(laneStatus(takenOver)).toBe('failed');
  });

  it('cancel of a lane that never started: every step reads cancelled, and says by whom', () => {
    const lane = cancelLane(newLane('digitalocean', ['apply', 'test']), 'U0ALICE', T0 + 3);
    expect(lane.startedAt).toBeUndefined();
    expect(lane.finishedAt).toBe(T0 + 3);
    expect(lane.steps).toEqual([
      { name: 'apply', status: 'cancelled', reason: 'cancelled by U0ALICE' },
      { name: 'test', status: 'cancelled', reason: 'cancelled by U0ALICE' },
    ]);
    expect(laneStatus(lane)).toBe('cancelled');
  });

  it('interrupt after a lost worker: the running step is to blame, the rest skipped', () => {
    const running = stepProcessStarted(midway(['apply', 'test'], 0), { host: 'w1', pid: 7 });
    const lane = interruptLane(running, T0 + 60);
    expect(lane.steps[0]).toMatchObject({ status: 'interrupted', finishedAt: T0 + 60, reason: 'its worker was lost (killed or crashed) while it ran' });
    expect(statuses(lane)).toEqual(['interrupted', 'skipped']);
    expect(lane.process).toBeUndefined();
    expect(lane.error).toBeUndefined();
    expect(laneStatus(lane)).toBe('interrupted');
  });

  it('interrupt between steps: no step to blame, so the lane says it and reads failed, never passed', () => {
    let lane = startLane(newLane('build', ['one', 'two']), T0);
    lane = stepResult(stepStarted(lane, 0, T0), 0, { status: 'passed', finishedAt: T0 + 1, exitCode: 0 });
    const interrupted = interruptLane(lane, T0 + 60);
    expect(statuses(interrupted)).toEqual(['passed', 'skipped']);
    expect(interrupted.error).toBe('its worker was lost before the lane finished');
    expect(laneStatus(interrupted)).toBe('failed');
  });

  it('retry resets every step to queued, drops the lost attempt, and leaves a note', () => {
    let lane = stepProcessStarted(midway(['one', 'two', 'three'], 1), { host: 'w1', pid: 9 });
    lane = { ...lane, error: 'stale' };
    const retried = retryLane(lane);
    expect(retried).toEqual({
      name: 'aws',
      steps: [
        { name: 'one', status: 'queued' },
        { name: 'two', status: 'queued' },
        { name: 'three', status: 'queued' },
      ],
      note: RETRY_NOTE,
    });
    expect(RETRY_NOTE).toBe('retried from the start: the worker running it was lost');
    expect(laneStatus(retried)).toBe('queued');
  });
});
