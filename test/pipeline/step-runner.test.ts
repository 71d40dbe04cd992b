import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunLog, LineTail } from '../../src/pipeline/run-log.js';
import { runStepProcess } from '../../src/pipeline/step-runner.js';
import { liveGroups } from '../../src/pipeline/process-groups.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(probe: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (probe()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return probe();
}

describe('step runner', () => {
  let dir: string;
  let log: RunLog;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apollo-step-'));
    log = new RunLog(join(dir, 'logs', 'run.log'));
    await log.open();
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams combined output to the log and keeps only the tail in memory', async () => {
    const result = await runStepProcess({
      script: 'for i in $(seq 1 5000); do echo "out $i"; done; echo "err line" >&2; exit 4',
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 30_000,
      log,
    });
    await log.close();
    expect(result.exitCode).toBe(4);
    expect(result.timedOut).toBe(false);
    expect(result.tail).toHaveLength(20);
    expect(result.tail.at(-1)).toBe('err line');
    expect(result.tail[0]).toBe('out 4982');
    const text = await readFile(log.path, 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('out '))).toHaveLength(5000);
  });

  it('passes data only through the environment', async () => {
    const hostile = '$(touch pwned); `touch pwned2`; echo injected';
    const result = await runStepProcess({ script: 'printf "%s" "$APOLLO_REF"', cwd: dir, env: { APOLLO_REF: hostile }, timeoutMs: 10_000, log, captureStdoutLimit: 1000 });
    expect(result.stdout).toBe(hostile);
    await expect(readFile(join(dir, 'pwned'))).rejects.toThrow();
  });

  it('kills the whole process group when the timeout expires', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const started = Date.now();
    const result = await runStepProcess({
      script: `sleep 60 & echo $! > ${pidFile}; wait`,
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 500,
      killGraceMs: 200,
      log,
    });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    expect(await until(() => !alive(grandchild))).toBe(true);
    expect(liveGroups()).toEqual([]);
  });

  it('stops on abort, SIGKILLing a group that ignores SIGTERM', async () => {
    const controller = new AbortController();
    const pending = runStepProcess({
      script: "trap '' TERM; echo ready; while true; do sleep 0.1; done",
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 60_000,
      killGraceMs: 300,
      log,
      signal: controller.signal,
      onOutput: (chunk) => {
        if (chunk.includes('ready')) controller.abort();
      },
    });
    const result = await pending;
    expect(result.aborted).toBe(true);
    expect(result.exitCode).toBeNull();
  });

  it('reports a step that cannot start', async () => {
    const result = await runStepProcess({ script: 'true', cwd: join(dir, 'missing'), env: {}, timeoutMs: 5000, log });
    expect(result.startError).toBeDefined();
    expect(result.exitCode).toBeNull();
  });
});

describe('line tail', () => {
  it('keeps the last lines across chunk boundaries and bounds a runaway line', () => {
    const tail = new LineTail(3);
    tail.push('a\nb');
    tail.push('c\nd\ne');
    expect(tail.get()).toEqual(['bc', 'd', 'e']);
    tail.push('x'.repeat(200_000));
    expect(tail.get().at(-1)!.length).toBeLessThanOrEqual(70_000);
  });
});
