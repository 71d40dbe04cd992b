import { describe, expect, it } from 'vitest';
import { type LogPhase, uploadLog, type UploadLogDeps } from '../../src/actions/upload-log.js';
import type { Run } from '../../src/runs/run.js';
import { aRun, type AccessInput, CHANNEL, fakeAccess, memoryRuns, testConfig } from '../helpers/action-fakes.js';

const CARD = { channel: CHANNEL, ts: '1700000000.000100' };
const RETENTION_MS = 14 * 24 * 3_600_000;

function setup(run: Run, options: { access?: AccessInput; logs?: Record<string, string> } = {}) {
  const logs = new Map(Object.entries(options.logs ?? {}));
  const read: string[] = [];
  const uploads: Array<{ thread: { channel: string; ts: string }; log: { runId: string; lane: string; phase: LogPhase; text: string } }> = [];
  const deps: UploadLogDeps = {
    config: testConfig({ access: options.access ?? { deployers: ['U0DEPLOYER'], approvers: ['U0APPROVER'], builders: ['U0BUILDER'] } }),
    access: fakeAccess(),
    runs: memoryRuns(run),
    logs: {
      retentionMs: RETENTION_MS,
      async get(runId, lane) {
        read.push(`${runId}/${lane}`);
        return logs.get(`${runId}/${lane}`);
      },
    },
    slack: {
      async uploadRunLog(thread, log) {
        uploads.push({ thread, log });
      },
    },
  };
  return { deps, read, uploads };
}

const deploy = (overrides: Partial<Run> = {}) => aRun('deploy', { id: 'd7', message: CARD, ...overrides });
const build = (overrides: Partial<Run> = {}) => aRun('build', { id: 'b7', message: CARD, ...overrides });

describe('uploadLog', () => {
  it('a deployer gets a deploy lane’s log uploaded into the card’s thread', async () => {
    const s = setup(deploy(), { logs: { 'd7/aws': 'applied\n' } });
    expect(await uploadLog(s.deps, 'd7', 'aws', 'run', 'U0DEPLOYER', CHANNEL)).toEqual({ kind: 'uploaded' });
    expect(s.uploads).toEqual([{ thread: CARD, log: { runId: 'd7', lane: 'aws', phase: 'run', text: 'applied\n' } }]);
  });

  it('a destroy lane’s log is read from its own key', async () => {
    const s = setup(deploy(), { logs: { 'd7/aws': 'applied\n', 'd7/destroy-aws': 'destroyed\n' } });
    expect(await uploadLog(s.deps, 'd7', 'aws', 'destroy', 'U0APPROVER', CHANNEL)).toEqual({ kind: 'uploaded' });
    expect(s.read).toEqual(['d7/destroy-aws']);
    expect(s.uploads.map((u) => u.log)).toEqual([{ runId: 'd7', lane: 'aws', phase: 'destroy', text: 'destroyed\n' }]);
  });

  it('an approver may read any run’s log', async () => {
    const s = setup(build(), { logs: { 'b7/build': 'ok\n' } });
    expect(await uploadLog(s.deps, 'b7', 'build', 'run', 'U0APPROVER', CHANNEL)).toEqual({ kind: 'uploaded' });
  });

  it('builders read build logs, not deploy logs', async () => {
    const s = setup(build(), { logs: { 'b7/build': 'ok\n' } });
    expect(await uploadLog(s.deps, 'b7', 'build', 'run', 'U0BUILDER', CHANNEL)).toEqual({ kind: 'uploaded' });
    const d = setup(deploy(), { logs: { 'd7/aws': 'applied\n' } });
    expect(await uploadLog(d.deps, 'd7', 'aws', 'run', 'U0BUILDER', CHANNEL)).toEqual({ kind: 'not-reader', runKind: 'deploy' });
    expect(d.uploads).toEqual([]);
  });

  it('with access.builders set, a deployer who is not a builder may not read build logs', async () => {
    const s = setup(build(), { logs: { 'b7/build': 'ok\n' } });
    expect(await uploadLog(s.deps, 'b7', 'build', 'run', 'U0DEPLOYER', CHANNEL)).toEqual({ kind: 'not-reader', runKind: 'build' });
    expect(s.read).toEqual([]);
  });

  it('without access.builders, the deployers read build logs', async () => {
    const s = setup(build(), { access: { deployers: ['U0DEPLOYER'] }, logs: { 'b7/build': 'ok\n' } });
    expect(await uploadLog(s.deps, 'b7', 'build', 'run', 'U0DEPLOYER', CHANNEL)).toEqual({ kind: 'uploaded' });
  });

  it('someone with no role reads nothing', async () => {
    const s = setup(deploy(), { logs: { 'd7/aws': 'applied\n' } });
    expect(await uploadLog(s.deps, 'd7', 'aws', 'run', 'U0STRANGER', CHANNEL)).toEqual({ kind: 'not-reader', runKind: 'deploy' });
    expect(s.read).toEqual([]);
  });

  it('a log past its retention is gone, and the answer says how long logs are kept', async () => {
    const s = setup(deploy());
    expect(await uploadLog(s.deps, 'd7', 'aws', 'run', 'U0DEPLOYER', CHANNEL)).toEqual({ kind: 'no-log', runId: 'd7', lane: 'aws', retentionMs: RETENTION_MS });
    expect(s.uploads).toEqual([]);
  });

  it('an unknown run, or one whose card was never posted, is gone', async () => {
    const s = setup(deploy({ id: 'd8', message: undefined }));
    expect(await uploadLog(s.deps, 'd404', 'aws', 'run', 'U0APPROVER', CHANNEL)).toEqual({ kind: 'gone' });
    expect(await uploadLog(s.deps, 'd8', 'aws', 'run', 'U0APPROVER', CHANNEL)).toEqual({ kind: 'gone' });
  });

  it('a click from another channel uploads nothing', async () => {
    const s = setup(deploy(), { logs: { 'd7/aws': 'applied\n' } });
    expect(await uploadLog(s.deps, 'd7', 'aws', 'run', 'U0APPROVER', 'C0ELSEWHERE')).toEqual({ kind: 'wrong-channel' });
    expect(s.read).toEqual([]);
    expect(s.uploads).toEqual([]);
  });
});
