import { recordFault } from '../helpers/reliability.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness, cardRunId } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { freePort } from '../helpers/net.js';
import { eventually } from '../helpers/worker-process.js';
import { ACTION } from '../../views/actions.js';
import { createSandbox, type StepSandbox } from '../../src/pipeline/sandbox.js';
import { runStepProcess } from '../../src/pipeline/step-runner.js';
import { isStepGroup, signalLeftoverGroup } from '../../src/pipeline/process-groups.js';
import { RunLog } from '../../src/pipeline/run-log.js';

/** Values only the worker has: a step that finds any of them has escaped its sandbox. */
const WORKER_CANARY = 'worker-env-canary-5d1e';
const CONFIG_CANARY = 'config-file-canary-77aa';
const OLD_LOG_CANARY = 'old-log-canary-a3b9';
const REDIS_PASSWORD = 'redis-password-canary-c0de';
const AWS_ONLY = 'aws-only-region-9f';
const DO_ONLY = 'do-only-region-4e';
const SLEEP_MARK = 3137;

/** What an attacker's build script tries: every way to the bot's secrets, then a process left behind. */
const ATTACK = `
echo "uid=$(id -u)"
echo "--- parent environ"; cat /proc/$PPID/environ 2>&1 | tr '\\0' '\\n' | head -50
echo "--- every environ"; for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f" 2>/dev/null; done | head -200
echo "--- processes: $(ls /proc | grep -cE '^[0-9]+$')"
echo "--- config"; cat "$CONFIG_FILE" 2>&1
echo "--- state"; ls -la "$STATE_DIR" 2>&1; cat "$STATE_DIR"/logs/*/* 2>&1
echo "--- interfaces: $(awk 'NR > 2 { printf "%s ", $1 }' /proc/net/dev)"
echo "--- redis"; redis-cli -h 127.0.0.1 -p "$REDIS_PORT" set pwned-by-step 1 2>&1
echo "--- env"; env | sort
setsid sleep ${SLEEP_MARK} > /dev/null 2>&1 < /dev/null &
( ( sleep ${SLEEP_MARK}.5 > /dev/null 2>&1 < /dev/null & ) & )
echo "left two sleepers behind"
`;

async function eventuallyValue<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  let value: T | undefined;
  await eventually(async () => (value = await probe()) !== undefined, 60_000, what);
  return value!;
}

function sleepers(): Promise<string> {
  return execa('pgrep', ['-af', `sleep ${SLEEP_MARK}`], { reject: false }).then((r) => r.stdout.trim());
}

describe('steps run in a sandbox', () => {
  let h: Harness;
  let repo: TestRepo;
  let sha: string;
  let redisPort: number;
  let redisDir: string;
  let configFile: string;

  beforeAll(async () => {
    // A Redis with a password, as production runs it: the step must not find the password.
    redisPort = await freePort();
    redisDir = mkdtempSync(join(tmpdir(), 'apollo-sandbox-redis-'));
    await execa('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--requirepass', REDIS_PASSWORD, '--dir', redisDir, '--save', '', '--daemonize', 'yes', '--pidfile', join(redisDir, 'redis.pid'), '--logfile', join(redisDir, 'redis.log')]);
    await eventually(async () => (await execa('redis-cli', ['-p', String(redisPort), '-a', REDIS_PASSWORD, '--no-auth-warning', 'ping'], { reject: false })).stdout === 'PONG', 10_000, 'Redis');

    repo = await TestRepo.create({ 'attack.sh': `#!/bin/bash\n${ATTACK}\n` }, 'Innocent change');
    sha = await repo.head();
    process.env.APOLLO_TEST_WORKER_CANARY = WORKER_CANARY;
    const config = {
      repository: repo.path,
      access: { deployers: ['*'], approvers: ['U0APPROVER'] },
      secrets: ['APOLLO_TEST_WORKER_CANARY'],
      build: { steps: [{ name: 'attack', run: './attack.sh', env: { CONFIG_FILE: '', STATE_DIR: '', REDIS_PORT: String(redisPort) } }] },
      clouds: {
        aws: { env: { REGION_CANARY: AWS_ONLY, DEPLOY_SECRET: { fromEnv: 'APOLLO_TEST_WORKER_CANARY' }, CONFIG_SECRET: { value: CONFIG_CANARY, secret: true } } },
        digitalocean: { env: { REGION_CANARY: DO_ONLY } },
      },
      deploy: {
        steps: [
          {
            name: 'env',
            run: 'env | sort; [ "$DEPLOY_SECRET" = "$EXPECTED" ] && echo "deploy secret arrived"; redis-cli -h 127.0.0.1 -p "$REDIS_PORT" set pwned-by-deploy 1 2>&1',
            env: { EXPECTED: WORKER_CANARY, REDIS_PORT: String(redisPort) },
          },
        ],
      },
    };
    h = await Harness.start({ config, worker: false, redisUrl: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redisPort}`, minIntervalMs: 200 });
    // The config file on disk, with its secret value, as main.ts passes it to the worker.
    configFile = join(h.stateDir, '..', `${h.prefix}-apollo.yml`);
    writeFileSync(configFile, stringify({ ...config, note: CONFIG_CANARY }));
    h.services.settings.configPath = configFile;
    const step = h.services.config.build.steps[0]!;
    step.env = { ...step.env, CONFIG_FILE: configFile, STATE_DIR: h.stateDir };
    // An earlier run's log, left on disk by an older version.
    mkdirSync(join(h.stateDir, 'logs', 'b0'), { recursive: true });
    writeFileSync(join(h.stateDir, 'logs', 'b0', 'build.log'), `${OLD_LOG_CANARY}\n`);
    await h.startWorker();
  });

  afterAll(async () => {
    await h?.close();
    await execa('redis-cli', ['-p', String(redisPort), '-a', REDIS_PASSWORD, '--no-auth-warning', 'shutdown', 'nosave'], { reject: false });
    await execa('pkill', ['-f', `sleep ${SLEEP_MARK}`], { reject: false });
  });

  async function runLog(runId: string, lane: string): Promise<string> {
    const log = await eventuallyValue(() => h.services.logs.get(runId, lane), `the ${lane} log of ${runId}`);
    return log;
  }

  it('keeps the worker’s environment, the config, old logs and Redis out of a build step’s reach, and its leftovers die with it', async () => {
    await h.command(`build ${sha}`, 'U0MALLORY');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(sha.slice(0, 7))), 30_000, 'the build card');
    const runId = cardRunId(String(card.body.text));
    const log = await eventuallyValue(async () => {
      const text = await h.services.logs.get(runId, 'build');
      return text?.includes('left two sleepers behind') ? text : undefined;
    }, 'the build log');

    expect(log).toMatch(/uid=(?!0\n)\d+/);
    for (const canary of [WORKER_CANARY, CONFIG_CANARY, OLD_LOG_CANARY, REDIS_PASSWORD, AWS_ONLY, DO_ONLY, 'xoxb-test', 'SLACK_', 'REDIS_URL']) {
      expect(log, canary).not.toContain(canary);
    }
    // Its own namespace: a handful of processes, none of them the worker.
    // (On one line: stdout and stderr are separate pipes, and an earlier stderr line may land between two lines.)
    const processes = Number(/--- processes: (\d+)/.exec(log)![1]);
    expect(processes).toBeLessThan(10);
    // Builds get a network of their own by default: a loopback of its own and nothing else, so not
    // even the host's 127.0.0.1 (where the Redis above listens) is there.
    expect(log).toMatch(/--- interfaces: lo: \n/);
    expect(log).toMatch(/Could not connect to Redis at 127\.0\.0\.1:\d+: (Connection refused|Network is unreachable)/);
    const redis = await execa('redis-cli', ['-p', String(redisPort), '-a', REDIS_PASSWORD, '--no-auth-warning', 'exists', 'pwned-by-step']);
    expect(redis.stdout.trim()).toBe('0');
    // The old log and the state dir were not there for the step; the state dir still is for us.
    expect(log).not.toContain('mirrors');

    // setsid and double-forked children are gone once the step is.
    expect(await sleepers()).toBe('');
    // The log file itself is gone from disk once stored (redacted) in Redis.
    await eventually(async () => (await execa('ls', [join(h.stateDir, 'logs')])).stdout.split('\n').filter((d) => d === runId).length === 0, 10_000, 'the log file to be removed');
    recordFault({
      suite: 'sandbox',
      fault: "a build step reads /proc/$PPID/environ, every environ, the config, the state dir and old logs, writes to Redis, and leaves setsid and double-forked processes",
      tried: 8,
      lost: 0,
      duplicates: 0,
      leaks: 0,
      note: 'nothing found, NOAUTH from Redis, no process left',
    });
  });

  it('gives a deploy lane its own cloud’s env only, with secrets from the worker redacted', async () => {
    const before = h.slack.callsOf('chat.postMessage').length;
    await h.command(`deploy aws ${sha}`, 'U0REQUESTER');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card');
    const runId = /Deploy request (d\d+)/.exec(String(card.body.text))![1]!;
    await h.click(ACTION.approve, runId, 'U0APPROVER', { ts: String(card.response!.ts) });
    const log = await runLog(runId, 'aws');
    expect(log).toContain(AWS_ONLY);
    expect(log).not.toContain(DO_ONLY);
    expect(log).toContain('deploy secret arrived');
    expect(log).not.toContain(WORKER_CANARY);
    expect(log).not.toContain(CONFIG_CANARY);
    expect(log).toContain('DEPLOY_SECRET=[REDACTED]');
    // Deploys use the host's network, and still cannot use the bot's Redis without its password.
    expect(log).toMatch(/NOAUTH|Authentication required/);
    const redis = await execa('redis-cli', ['-p', String(redisPort), '-a', REDIS_PASSWORD, '--no-auth-warning', 'exists', 'pwned-by-deploy']);
    expect(redis.stdout.trim()).toBe('0');
    const final = await h.slack.waitFor(() => {
      const body = h.latestCard(String(card.response!.ts));
      return body && blocksText(body).includes('passed') ? blocksText(body) : undefined;
    }, 60_000, 'the deploy card');
    expect(final).not.toContain(WORKER_CANARY);
  });
});

describe('a sandboxed step stops as a step does', () => {
  let dir: string;
  let sandbox: StepSandbox;
  let log: RunLog;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apollo-sandbox-stop-'));
    // As a state dir's parents are in production: the step user may pass through (absolute paths
    // into the checkout, HOME and TMPDIR resolve).
    chmodSync(dir, 0o755);
    sandbox = await createSandbox({ sandbox: 'namespaces', runAs: 'nobody', stateDir: join(dir, 'state') });
    mkdirSync(join(dir, 'state', 'workspaces', 'ws'), { recursive: true });
    await chown(join(dir, 'state', 'workspaces', 'ws'), sandbox.owner!.uid, sandbox.owner!.gid);
    log = new RunLog(join(dir, 'step.log'));
    await log.open();
  });

  afterAll(async () => {
    await log.close();
    await execa('pkill', ['-f', `sleep ${SLEEP_MARK + 1}`], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (script: string, options: { signal?: AbortSignal; onOutput?: (chunk: string) => void; killGraceMs?: number; onStart?: (pid: number) => void } = {}) => {
    const ws = join(dir, 'state', 'workspaces', 'ws');
    return runStepProcess({ script, command: sandbox.command(script, ws, ws, 'none', { PATH: process.env.PATH ?? '/usr/bin:/bin' }), cwd: ws, env: {}, timeoutMs: 60_000, log, ...options });
  };

  it("gives the step's exit status, and kills what it left behind when it ends", async () => {
    const result = await run(`setsid sleep ${SLEEP_MARK + 1} > /dev/null 2>&1 < /dev/null & ( ( sleep ${SLEEP_MARK + 1} > /dev/null 2>&1 < /dev/null & ) & ); exit 3`);
    expect(result.exitCode).toBe(3);
    expect((await execa('pgrep', ['-f', `sleep ${SLEEP_MARK + 1}`], { reject: false })).stdout).toBe('');
  });

  it('forwards a cancel as SIGTERM to every process of the step, which may finish its work within the grace period', async () => {
    const controller = new AbortController();
    const script = [
      // The step's shell waits for its children when told to stop: the step ends when it ends.
      `trap 'wait; echo "shell stopping"; exit 143' TERM`,
      // A setsid child is not in the step's process group: it gets the SIGTERM all the same.
      `setsid bash -c 'trap "echo child saved its state; exit 0" TERM; touch "$TMPDIR/child-ready"; sleep ${SLEEP_MARK + 1} & wait' &`,
      'while [ ! -e "$TMPDIR/child-ready" ]; do sleep 0.05; done; echo step ready',
      `sleep ${SLEEP_MARK + 1} & wait`,
    ].join('\n');
    const result = await run(script, { signal: controller.signal, killGraceMs: 10_000, onOutput: (chunk) => chunk.includes('step ready') && controller.abort() });
    expect(result.aborted).toBe(true);
    expect(result.tail.join('\n')).toContain('shell stopping');
    expect(result.tail.join('\n')).toContain('child saved its state');
    expect((await execa('pgrep', ['-f', `sleep ${SLEEP_MARK + 1}`], { reject: false })).stdout).toBe('');
  });

  it('cannot stop what cleans up after it: killing its parent is refused, and what it left dies with it', async () => {
    const result = await run(`setsid sleep ${SLEEP_MARK + 1} > /dev/null 2>&1 < /dev/null & kill -KILL $PPID || echo "refused"; kill -STOP 1 || echo "refused too"; exit 4`);
    expect(result.exitCode).toBe(4);
    expect(result.tail.join('\n')).toContain('refused');
    expect(result.tail.join('\n')).toContain('refused too');
    expect((await execa('pgrep', ['-f', `sleep ${SLEEP_MARK + 1}`], { reject: false })).stdout).toBe('');
  });

  it('cannot fill the host’s memory through its HOME, TMPDIR or /dev/shm: each is capped', async () => {
    const result = await run('for d in "$HOME" "$TMPDIR" /dev/shm; do head -c 300M /dev/zero > "$d/fill" 2>/dev/null || echo "capped: $d"; rm -f "$d/fill"; done');
    expect(result.tail.filter((l) => l.startsWith('capped:'))).toHaveLength(3);
  });

  it('is still recognised as a step group (and stopped) once its launcher ended on a SIGTERM', async () => {
    let pid = 0;
    let stopped = false;
    const pending = run(`trap '' TERM; echo ready; while true; do sleep 0.1; done`, {
      killGraceMs: 60_000,
      onStart: (p) => (pid = p),
      onOutput: (chunk) => {
        if (!chunk.includes('ready') || stopped) return;
        stopped = true;
        process.kill(-pid, 'SIGTERM');
      },
    });
    await eventually(async () => stopped && !existsSync(`/proc/${pid}`), 10_000, 'the launcher to end on SIGTERM');
    expect(isStepGroup(pid)).toBe(true);
    expect(signalLeftoverGroup(pid, 'SIGKILL')).toBe(true);
    expect((await pending).exitCode).not.toBe(0);
    expect(isStepGroup(pid)).toBe(false);
  });

  it('kills a step that ignores SIGTERM once the grace period is over', async () => {
    const controller = new AbortController();
    const result = await run(`trap '' TERM; echo ready; while true; do sleep 0.1; done`, { signal: controller.signal, killGraceMs: 300, onOutput: (chunk) => chunk.includes('ready') && controller.abort() });
    expect(result.aborted).toBe(true);
    expect(result.exitCode).toBeNull();
  });
});
