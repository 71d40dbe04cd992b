import { chmod, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Harness } from './harness.js';
import { TEST_REDIS_URL } from './redis.js';

/**
 * A real worker process (`tsx src/main.ts worker`) sharing the harness's Redis prefix and fake
 * Slack, for faults that must cross a process boundary (cancel, SIGTERM, SIGKILL).
 */
export interface WorkerProcess {
  /** The execa child; a thenable, so it is wrapped to keep `await spawnWorker()` from waiting for its exit. */
  child: ResultPromise;
  /** Its APOLLO_STATE_DIR. */
  stateDir: string;
}

export async function spawnWorker(h: Harness, config: ConfigInput, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'apollo-worker-'));
  // As a state dir's parents are in production: the step user may pass through (see createSandbox).
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'apollo.yml'), stringify(config));
  // node with tsx's loader, not the tsx binary: tsx runs node as a child that a SIGKILL would orphan.
  const child = execa(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
    env: {
      SLACK_BOT_TOKEN: 'xoxb-worker',
      SLACK_API_URL: h.slack.apiUrl,
      REDIS_URL: TEST_REDIS_URL,
      APOLLO_REDIS_PREFIX: h.prefix,
      APOLLO_CONFIG: join(dir, 'apollo.yml'),
      APOLLO_STATE_DIR: join(dir, 'state'),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    reject: false,
    all: true,
  });
  return { child, stateDir: join(dir, 'state') };
}

/**
 * A step's process, found from outside the step's PID namespace (its own pids mean nothing here):
 * steps start it as `(exec -a <marker> sleep N) &`, and this looks for that name.
 */
export function markedProcess(marker: string): string {
  return `(exec -a "apollo-mark-${marker}" sleep`;
}

export function markedAlive(marker: string): boolean {
  return spawnSync('pgrep', ['-f', `^apollo-mark-${marker} `]).status === 0;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function eventually(probe: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
