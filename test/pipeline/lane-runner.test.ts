import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLane, stepVerdict } from '../../src/pipeline/lane-runner.js';
import { RunLog } from '../../src/pipeline/run-log.js';
import { Workspace } from '../../src/pipeline/workspace.js';
import { CANCEL_REASON } from '../../src/queue/cancel-bus.js';
import { laneStatus, newLane, type Lane } from '../../src/runs/run.js';
import type { TestSummary } from '../../src/reports/summary.js';
import { TestRepo } from '../helpers/git-repo.js';

describe('lane runner', () => {
  let dir: string;
  let repo: TestRepo;
  let workspace: Workspace;
  let log: RunLog;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apollo-lane-'));
    repo = await TestRepo.create({ 'a/file': 'x\n' }, 'Lane');
    workspace = await Workspace.create(dir, 'ws', repo.path, await repo.head());
    log = new RunLog(join(dir, 'lane.log'));
    await log.open();
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
    await rm(repo.path, { recursive: true, force: true });
  });

  const steps = [
    { name: 'one', run: 'true' },
    { name: 'two', run: 'true' },
  ];
  const run = (signal?: AbortSignal, extra: Partial<Parameters<typeof runLane>[0]> = {}) =>
    runLane({ lane: newLane('build', steps.map((s) => s.name)), steps, workspace, env: { PATH: process.env.PATH ?? '' }, log, onChange: async () => undefined, ...(signal ? { signal } : {}), ...extra });

  it('a lane cancelled before its first step reads cancelled, never passed', async () => {
    const controller = new AbortController();
    controller.abort(CANCEL_REASON);
    const lane = await run(controller.signal);
    expect(lane.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
    expect(laneStatus(lane)).toBe('cancelled');
  });

  it('a lane stopped by shutdown before its first step reads interrupted', async () => {
    const controller = new AbortController();
    controller.abort('shutdown');
    const lane = await run(controller.signal);
    expect(lane.steps[0]).toMatchObject({ status: 'interrupted', reason: 'not started: the worker was shutting down' });
    expect(laneStatus(lane)).toBe('interrupted');
  });

  it('a cancel while a step runs stops it: that step reads cancelled, the rest skipped', async () => {
    const controller = new AbortController();
    const slow = [
      { name: 'slow', run: 'sleep 20' },
      { name: 'after', run: 'true' },
    ];
    const seen: string[][] = [];
    const lane = await runLane({
      lane: newLane('build', slow.map((s) => s.name)),
      steps: slow,
      workspace,
      env: { PATH: process.env.PATH ?? '' },
      log,
      signal: controller.signal,
      killGraceMs: 200,
      onChange: async (l) => {
        seen.push(l.steps.map((s) => s.status));
        // As a cancel arrives in a worker: later, from another event, once the step is running.
        if (l.process) setTimeout(() => controller.abort(CANCEL_REASON), 100);
      },
    });
    expect(lane.steps.map((s) => s.status)).toEqual(['cancelled', 'skipped']);
    expect(lane.steps[0]).toMatchObject({ reason: 'cancelled while running' });
    expect(lane.process).toBeUndefined();
    expect(laneStatus(lane)).toBe('cancelled');
    expect(seen).toContainEqual(['running', 'queued']);
  });

  it('stops at a failing step but lets independent suites all run', async () => {
    const suites = [
      { name: 'deploy', run: 'true' },
      { name: 'serverspec', run: 'false' },
      { name: 'docker-bench', run: 'true' },
    ];
    const lane: Lane = await runLane({ lane: newLane('aws', suites.map((s) => s.name)), steps: suites, workspace, env: { PATH: process.env.PATH ?? '' }, log, suites: new Set(['serverspec', 'docker-bench']), onChange: async () => undefined });
    expect(lane.steps.map((s) => s.status)).toEqual(['passed', 'failed', 'passed']);
    expect(laneStatus(lane)).toBe('failed');
  });

  it('refuses a step cwd outside the checkout', async () => {
    const lane = await runLane({ lane: newLane('x', ['escape']), steps: [{ name: 'escape', run: 'true', cwd: '../..' }], workspace, env: {}, log, onChange: async () => undefined });
    expect(lane.steps[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('outside the checkout') });
  });

  it('combines exit code and report into the verdict', () => {
    expect(stepVerdict({ exitCode: 0, timedOut: false })).toEqual({ passed: true });
    expect(stepVerdict({ exitCode: 0, timedOut: true })).toEqual({ passed: false, reason: 'timed out' });
    const failed: TestSummary = { format: 'tap', verdict: 'failed', passed: 1, failed: 1, skipped: 0, errors: 0, total: 2, failures: [], notes: [] };
    expect(stepVerdict({ exitCode: 0, timedOut: false }, failed)).toEqual({ passed: false, reason: 'report shows failures' });
  });

  it('ends each step in the log with its own footer line, durations under a second not shown as 0s', async () => {
    const printf = [{ name: 'partial', run: 'printf no-newline' }];
    await runLane({ lane: newLane('build', ['partial']), steps: printf, workspace, env: { PATH: process.env.PATH ?? '' }, log, onChange: async () => undefined });
    await log.close();
    const text = await readFile(join(dir, 'lane.log'), 'utf8');
    expect(text).toMatch(/\nno-newline\n==> partial: exit 0 after \d+ms\n$/);
    expect(text).not.toContain('after 0s');
  });
});
