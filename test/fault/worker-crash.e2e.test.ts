import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { eventually, markedAlive, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';
import { recordFault } from '../helpers/reliability.js';
import { ACTION } from '../../views/actions.js';

// Short locks so a lost worker is noticed in seconds, not the production 30 s.
const FAST_STALLS = { APOLLO_JOB_LOCK_MS: '2000', APOLLO_STALLED_INTERVAL_MS: '1000' };

describe('a worker killed (SIGKILL) or stopped (SIGTERM) in the middle of a step', () => {
  let h: Harness;
  let dir: string;
  let sha: string;
  let config: ConfigInput;
  const workers: WorkerProcess[] = [];

  const lines = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apollo-crash-'));
    chmodSync(dir, 0o777); // steps run as the sandbox's unprivileged user
    const repo = await TestRepo.create({ README: 'x\n' }, 'Crash me');
    sha = await repo.head();
    // The sleeper carries its name, to be found from outside the step's PID namespace.
    const step = (name: string, seconds: number) => `echo run >> "${dir}/${name}.runs"; (exec -a "apollo-mark-${name}" sleep ${seconds}) & echo $! > "${dir}/${name}.pid"; wait`;
    config = {
      repository: repo.path,
      access: { approvers: ['U0APPROVER'] },
      build: { steps: [{ name: 'compile', run: step('build-$APOLLO_RUN_ID', 4) }] },
      clouds: { aws: {} },
      deploy: { steps: [{ name: 'terraform apply', run: step('deploy-$APOLLO_RUN_ID', 60) }] },
      worker: { shutdownGrace: '1s' },
    };
    h = await Harness.start({ config, worker: false, minIntervalMs: 200 });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.child.kill('SIGKILL');
      await w.child.catch(() => undefined);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  async function startDeploy(): Promise<{ runId: string; ts: string }> {
    await h.command(`deploy aws ${sha}`, 'U0REQ');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).startsWith('Deploy request')).at(-1), 20_000, 'approval card');
    const ts = String(card.response!.ts);
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    await h.click(ACTION.approve, runId, 'U0APPROVER', { ts });
    await eventually(() => lines(`deploy-${runId}.runs`).length === 1 && lines(`deploy-${runId}.pid`).length === 1, 30_000, 'the step to start');
    return { runId, ts };
  }

  it('SIGKILL: the deploy shows interrupted with what was running, its lock is released, nothing re-runs or is left running', async () => {
    const a = await spawnWorker(h, config, FAST_STALLS);
    workers.push(a);
    const { runId, ts } = await startDeploy();
    const orphan = `deploy-${runId}`;
    expect((await h.services.locks.state('aws')).run?.runId).toBe(runId);
    a.child.kill('SIGKILL');
    await a.child.catch(() => undefined);
    // Another worker notices the lost job.
    workers.push(await spawnWorker(h, config, FAST_STALLS));
    const text = await h.slack.waitFor(() => {
      const last = h.slack.callsOf('chat.update').filter((c) => c.body.ts === ts).at(-1);
      return last && String(last.body.text).endsWith(': interrupted') ? blocksText(last.body) : undefined;
    }, 40_000, 'the interrupted card');
    await eventually(() => !markedAlive(orphan), 10_000, 'the dead worker’s step to be stopped').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 3000));
    const leaks = (markedAlive(orphan) ? 1 : 0) + ((await h.services.locks.state('aws')).run ? 1 : 0);
    const duplicates = lines(`deploy-${runId}.runs`).length - 1;
    recordFault({ suite: 'worker', fault: 'worker SIGKILLed during a deploy step', tried: 1, lost: text.includes('interrupted') ? 0 : 1, duplicates, leaks, note: 'lane shown interrupted, lock released, orphaned step stopped' });
    expect(text).toContain('⚠️ *aws* interrupted — terraform apply');
    expect(leaks).toBe(0);
    expect(duplicates).toBe(0); // never silently re-run
  });

  it('SIGKILL: a build is retried once from the start, and the card says so', async () => {
    const a = await spawnWorker(h, config, FAST_STALLS);
    workers.push(a);
    await h.command(`build ${sha}`, 'U0REQ');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).startsWith('Build')), 20_000, 'the build card');
    const runId = /· (b\d+)/.exec(String(card.body.text))![1]!;
    await eventually(() => lines(`build-${runId}.runs`).length === 1, 30_000, 'the step to start');
    a.child.kill('SIGKILL');
    await a.child.catch(() => undefined);
    workers.push(await spawnWorker(h, config, FAST_STALLS));
    const text = await h.slack.waitFor(() => {
      const last = h.slack.callsOf('chat.update').filter((c) => c.body.ts === card.response!.ts).at(-1);
      return last && String(last.body.text).includes(': passed') ? blocksText(last.body) : undefined;
    }, 60_000, 'the retried build to pass');
    const retriedVisibly = text.includes('⚠️ retried from the start: the worker running it was lost');
    const runs = lines(`build-${runId}.runs`).length;
    // One retry that the card announces is not a silent duplicate; anything else is.
    recordFault({ suite: 'worker', fault: 'worker SIGKILLed during a build step', tried: 1, lost: 0, duplicates: retriedVisibly ? runs - 2 : runs - 1, leaks: 0, note: 'retried once from the start, and the card says so' });
    expect(retriedVisibly).toBe(true);
    expect(runs).toBe(2);
  });

  it('SIGTERM: stops taking jobs, gives the step its grace, then stops its group and shows it interrupted', async () => {
    const a = await spawnWorker(h, config, FAST_STALLS);
    workers.push(a);
    const { runId, ts } = await startDeploy();
    const step = `deploy-${runId}`;
    a.child.kill('SIGTERM');
    const exited = await a.child.catch((e: unknown) => e);
    expect(exited).toBeDefined();
    expect(markedAlive(step)).toBe(false);
    const text = await h.slack.waitFor(() => {
      const last = h.slack.callsOf('chat.update').filter((c) => c.body.ts === ts).at(-1);
      return last && String(last.body.text).endsWith(': interrupted') ? blocksText(last.body) : undefined;
    }, 20_000, 'the interrupted card');
    const leaks = (markedAlive(step) ? 1 : 0) + ((await h.services.locks.state('aws')).run ? 1 : 0);
    recordFault({ suite: 'worker', fault: 'worker SIGTERMed during a deploy step (grace 1 s)', tried: 1, lost: 0, duplicates: lines(`deploy-${runId}.runs`).length - 1, leaks });
    expect(text).toContain('⚠️ *aws* interrupted — terraform apply');
    expect(leaks).toBe(0);
  });
});
