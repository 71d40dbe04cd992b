import { writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';
import { createSandbox } from '../../src/pipeline/sandbox.js';

const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

/**
 * A worker that cannot sandbox its steps says so in one line and does not start, unless the
 * operator wrote `worker.sandbox: none`, in which case it starts and warns.
 */
describe('worker start-up without a sandbox', () => {
  let dir: string;
  let prefix: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apollo-nosandbox-'));
    await chmod(dir, 0o777);
    prefix = uniquePrefix();
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    await rm(dir, { recursive: true, force: true });
  });

  let files = 0;
  function worker(config: Record<string, unknown>) {
    const file = join(dir, `apollo-${++files}.yml`);
    writeFileSync(file, stringify({ repository: dir, build: { steps: [{ name: 'a', run: 'true' }] }, ...config }), { mode: 0o644 });
    const env = { PATH: process.env.PATH ?? '', SLACK_BOT_TOKEN: 'xoxb-x', REDIS_URL: TEST_REDIS_URL, APOLLO_REDIS_PREFIX: prefix, APOLLO_CONFIG: file, APOLLO_STATE_DIR: join(dir, `state-${files}`), SLACK_API_URL: 'http://127.0.0.1:9/api/', LOG_LEVEL: 'info' };
    return execa(process.execPath, [tsx, 'src/main.ts', 'worker'], { env, extendEnv: false, reject: false, timeout: 20_000, all: true });
  }

  it('says in one line when the step user could not reach the state dir by its path, and what to do', async () => {
    const hidden = await mkdtemp(join(tmpdir(), 'apollo-hidden-state-'));
    try {
      // mkdtemp makes it 0700: the step user cannot pass through it to the state dir below.
      await expect(createSandbox({ sandbox: 'namespaces', runAs: 'nobody', stateDir: join(hidden, 'state') })).rejects.toThrow(
        new RegExp(`^the step user \\(nobody\\) cannot reach the state dir ${hidden}/state by its path: .*chmod o\\+x`),
      );
      await chmod(hidden, 0o711);
      await expect(createSandbox({ sandbox: 'namespaces', runAs: 'nobody', stateDir: join(hidden, 'state') })).resolves.toMatchObject({ kind: 'namespaces' });
    } finally {
      await rm(hidden, { recursive: true, force: true });
    }
  });

  it('says in one line that a worker which is not root cannot sandbox, and what to do', async () => {
    await expect(createSandbox({ sandbox: 'namespaces', runAs: 'nobody', stateDir: join(dir, 'probe'), uid: 1000 })).rejects.toThrow(
      /^the step sandbox is not available here \(the worker is not root\): .*worker\.sandbox: none/,
    );
  });

  it('refuses to start, in one line, when the sandbox cannot be had', async () => {
    const result = await worker({ worker: { runAs: 'no-such-user' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('worker.runAs: no user no-such-user');
  });

  it('refuses a step user that is root', async () => {
    const result = await worker({ worker: { runAs: '0' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('steps never run as root');
  });

  it('starts unsandboxed only when the config says so, and says it', async () => {
    const child = worker({ worker: { sandbox: 'none' } });
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 150 && !output.includes('UNSANDBOXED'); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await child;
    expect(output).toContain('worker.sandbox is none: steps run UNSANDBOXED');
  });
});
