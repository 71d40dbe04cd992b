import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/slack/playground/fake-slack.js';
import { freePort } from '../helpers/net.js';
import { TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

/**
 * Each start-up problem an operator meets is one line on stderr that names the fix, exit 1, and
 * never a stack trace.
 */
describe('start-up errors', () => {
  let dir: string;
  let config: string;
  /** A Slack that answers auth.test, so that the port is what fails. */
  let slack: FakeSlack;

  beforeAll(async () => {
    slack = await new FakeSlack().start();
    dir = await mkdtemp(join(tmpdir(), 'apollo-startup-'));
    // As a state dir's parents are in production: the step user may pass through (see createSandbox).
    await chmod(dir, 0o755);
    config = join(dir, 'apollo.yml');
    await writeFile(config, 'repository: /nonexistent\nbuild:\n  steps:\n    - name: a\n      run: "true"\nworker:\n  sandbox: none\n');
  });
  afterAll(async () => {
    await slack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(mode: 'web' | 'worker', env: Record<string, string>) {
    const result = await execa(process.execPath, [tsx, 'src/main.ts', mode], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: TEST_REDIS_URL,
        APOLLO_REDIS_PREFIX: uniquePrefix(),
        APOLLO_CONFIG: config,
        APOLLO_STATE_DIR: join(dir, 'state'),
        LOG_LEVEL: 'warn',
        ...env,
      },
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
    const lines = result.stderr.trim().split('\n');
    expect(result.exitCode, result.all ?? result.stderr).toBe(1);
    expect(lines, result.stderr).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    return lines[0]!;
  }

  it('a port in use', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, resolve));
    try {
      const line = await start('web', { PORT: String(port), SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: slack.apiUrl });
      expect(line).toBe(`apollo: port ${port} is already in use (another apollo, or another program, listens there): stop it or set PORT to a free port`);
    } finally {
      blocker.close();
    }
  });

  it('Redis refusing the credentials', async () => {
    const url = new URL(TEST_REDIS_URL);
    url.username = 'nobody-here';
    url.password = 'wrong';
    const line = await start('web', { REDIS_URL: url.toString() });
    expect(line).toMatch(/^apollo: Redis at redis:\/\/nobody-here:\*\*\*@[^ ]+ refused the credentials \(WRONGPASS\): put the right password .* in REDIS_URL/);
    expect(line).not.toContain('wrong');
  });

  it('an unreachable SLACK_API_URL', async () => {
    const port = await freePort();
    const line = await start('web', { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: `http://127.0.0.1:${port}/api/` });
    expect(line).toBe(
      `apollo: Slack's Web API at http://127.0.0.1:${port}/api/ is unreachable (ECONNREFUSED): check SLACK_API_URL (unset it to use Slack's own) and that this host may reach it over HTTPS (proxy, firewall, DNS)`,
    );
  });

  it('a missing git (web) or bash (worker)', async () => {
    const gitOnly = join(dir, 'git-only');
    await execa('mkdir', ['-p', gitOnly]);
    const { stdout: git } = await execa('bash', ['-c', 'command -v git']);
    await execa('ln', ['-sf', git, join(gitOnly, 'git')]);
    // node itself is started by path: the bot's PATH has no git, then no bash.
    expect(await start('web', { PATH: '/nonexistent' })).toBe(
      'apollo: git is not on the PATH (the bot keeps a git mirror of the repository and checks commits out of it): install it (apt-get install git) or add its directory to PATH',
    );
    expect(await start('worker', { PATH: gitOnly })).toBe('apollo: bash is not on the PATH (every step runs as bash -c): install it (apt-get install bash) or add its directory to PATH');
  });

  it('an unwritable state dir', async () => {
    // Root writes anywhere it may: a path under a regular file cannot be made by anyone.
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const line = await start('web', { APOLLO_STATE_DIR: join(file, 'state') });
    expect(line).toMatch(new RegExp(`^apollo: the state dir ${join(file, 'state')} cannot be written \\(ENOTDIR\\): create it for the bot's user .*or set APOLLO_STATE_DIR to a writable directory$`));
  });

});
