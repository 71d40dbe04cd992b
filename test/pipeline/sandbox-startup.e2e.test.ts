import { writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

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
  function worker(config: Record<string, unknown>, asUser: boolean) {
    const file = join(dir, `apollo-${++files}.yml`);
    writeFileSync(file, stringify({ repository: dir, build: { steps: [{ name: 'a', run: 'true' }] }, ...config }), { mode: 0o644 });
    const env = { PATH: process.env.PATH ?? '', SLACK_BOT_TOKEN: 'xoxb-x', REDIS_URL: TEST_REDIS_URL, APOLLO_REDIS_PREFIX: prefix, APOLLO_CONFIG: file, APOLLO_STATE_DIR: join(dir, `state-${String(asUser)}`), SLACK_API_URL: 'http://127.0.0.1:9/api/', LOG_LEVEL: 'info' };
    // Not root: what a worker started by an ordinary user is.
    const command = asUser ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, tsx, 'src/main.ts', 'worker'] : [process.execPath, tsx, 'src/main.ts', 'worker'];
    return execa(command[0]!, command.slice(1), { env, extendEnv: false, reject: false, timeout: 20_000, all: true });
  }

  it('refuses to start, in one line, when it is not root', async () => {
    const result = await worker({}, true);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('the step sandbox is not available here (the worker is not root)');
    expect(result.stderr).toContain('worker.sandbox: none');
  });

  it('refuses a step user that is root', async () => {
    const result = await worker({ worker: { runAs: '0' } }, false);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('steps never run as root');
  });

  it('starts unsandboxed only when the config says so, and says it', async () => {
    const child = worker({ worker: { sandbox: 'none' } }, true);
    let output = '';
    child.all?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 150 && !output.includes('UNSANDBOXED'); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await child;
    expect(output).toContain('worker.sandbox is none: steps run UNSANDBOXED');
  });
});
