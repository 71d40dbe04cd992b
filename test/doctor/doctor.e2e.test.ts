import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/slack/playground/fake-slack.js';
import { ensureRedis } from '../../src/redis/local-server.js';
import { freePort } from '../helpers/net.js';

const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

/** `npm run doctor` as an operator runs it: its own process, its output, its exit code. */
async function doctor(env: Record<string, string>) {
  const result = await execa(process.execPath, [tsx, 'src/main.ts', 'doctor'], { env: { PATH: process.env.PATH ?? '', ...env }, extendEnv: false, reject: false, timeout: 60_000 });
  return { code: result.exitCode, lines: result.stdout.split('\n') };
}

describe('apollo doctor', () => {
  let dir: string;
  let slack: FakeSlack;
  let goodRedis: string;
  let badRedisPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apollo-doctor-'));
    // As a state dir's parents are in production: the step user may pass through (see createSandbox).
    await chmod(dir, 0o755);
    slack = await new FakeSlack({ memberOf: ['C0APOLLO'] }).start();
    // A production-like Redis: AOF on, noeviction, a password (what the bot starts itself).
    goodRedis = (await ensureRedis(`redis://127.0.0.1:${await freePort()}`, join(dir, 'good'))).url;
    // A careless one: no AOF, keys evicted when full.
    badRedisPort = await freePort();
    await execa('redis-server', ['--port', String(badRedisPort), '--bind', '127.0.0.1', '--daemonize', 'yes', '--dir', dir, '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru', '--save', '', '--pidfile', join(dir, 'bad.pid')]);
    for (let i = 0; i < 50; i++) {
      if ((await execa('redis-cli', ['-p', String(badRedisPort), 'ping'], { reject: false })).stdout === 'PONG') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    // Not `-u`: redis-cli reads the URL's empty user as a user named "" and is refused (the server stayed up).
    const good = new URL(goodRedis);
    await execa('redis-cli', ['-p', good.port, ...(good.password ? ['-a', decodeURIComponent(good.password), '--no-auth-warning'] : []), 'shutdown', 'nosave'], { reject: false });
    await execa('redis-cli', ['-p', String(badRedisPort), 'shutdown', 'nosave'], { reject: false });
    await slack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes every check of a good setup, one ✅ line each', async () => {
    const config = join(dir, 'good.yml');
    await writeFile(config, 'repository: /nonexistent\nchannel: C0APOLLO\nbuild:\n  steps:\n    - name: a\n      run: git --version\n');
    const { code, lines } = await doctor({
      REDIS_URL: goodRedis,
      APOLLO_CONFIG: config,
      APOLLO_STATE_DIR: join(dir, 'good-state'),
      SLACK_BOT_TOKEN: 'xoxb-good',
      SLACK_SIGNING_SECRET: 'signing',
      SLACK_API_URL: slack.apiUrl,
      GITHUB_WEBHOOK_SECRET: 'gh-secret',
      CI_WEBHOOK_SECRET: 'ci-secret',
    });
    expect(lines.filter((l) => l.startsWith('❌')), lines.join('\n')).toEqual([]);
    expect(code).toBe(0);
    const checks = lines.filter((l) => l.startsWith('✅'));
    for (const expected of [
      /^✅ environment is valid$/,
      /^✅ config .*good\.yml is valid$/,
      /^✅ Redis at .* answers$/,
      /^✅ Redis persistence: AOF on$/,
      /^✅ Redis maxmemory-policy: noeviction$/,
      /^✅ Slack auth\.test: the token is bot @apollo in team T0APOLLO/,
      /^✅ the bot is in #c0apollo \(C0APOLLO\)$/,
      /^✅ git on the PATH/,
      /^✅ bash on the PATH/,
      /^✅ step sandbox: /,
      /^✅ GITHUB_WEBHOOK_SECRET is set/,
      /^✅ CI_WEBHOOK_SECRET is set/,
    ]) {
      expect(checks.some((l) => expected.test(l)), `${expected}\n${lines.join('\n')}`).toBe(true);
    }
    expect(lines).toContain('All checks passed.');
  }, 90_000);

  it('names each problem of a broken setup with its fix, and exits 1', async () => {
    const config = join(dir, 'broken.yml');
    await writeFile(config, 'repository: /nonexistent\nchannel: C0ELSEWHERE\nbuild:\n  steps:\n    - name: a\n      run: no-such-tool-here --check\nworker:\n  sandbox: none\n');
    const { code, lines } = await doctor({
      REDIS_URL: `redis://127.0.0.1:${badRedisPort}`,
      APOLLO_CONFIG: config,
      APOLLO_STATE_DIR: join(dir, 'broken-state'),
      SLACK_BOT_TOKEN: 'xoxb-broken',
      SLACK_API_URL: slack.apiUrl,
    });
    expect(code).toBe(1);
    const failures = lines.filter((l) => l.startsWith('❌'));
    const text = lines.join('\n');
    for (const [problem, fix] of [
      [/^❌ Redis persistence: AOF is off/, /fix: set appendonly yes/],
      [/^❌ Redis maxmemory-policy: allkeys-lru/, /fix: set maxmemory-policy noeviction/],
      [/^❌ the bot is not in #c0elsewhere \(C0ELSEWHERE\)$/, /fix: invite it: \/invite @apollo in #c0elsewhere/],
      [/^❌ neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set/, /fix: copy the Signing Secret/],
      [/^❌ no-such-tool-here is not on the PATH \(a step of apollo\.yml runs it\)$/, /fix: install it on the worker/],
      [/^❌ worker\.sandbox is none/, /fix: set worker\.sandbox: namespaces/],
      [/^❌ GITHUB_WEBHOOK_SECRET is not set/, /fix: set it \(openssl rand -hex 32\)/],
      [/^❌ CI_WEBHOOK_SECRET is not set/, /fix: set it/],
    ] as const) {
      const index = lines.findIndex((l) => problem.test(l));
      expect(index, `${problem}\n${text}`).toBeGreaterThanOrEqual(0);
      expect(lines[index + 1], `${fix}\n${text}`).toMatch(fix);
    }
    expect(failures).toHaveLength(8);
    expect(lines.at(-1)).toMatch(/^8 of \d+ checks failed\.$/);
  }, 90_000);

  it('says a refused token and an unreachable Redis, each in its line', async () => {
    const port = await freePort();
    const { code, lines } = await doctor({ REDIS_URL: `redis://127.0.0.1:${port}`, APOLLO_CONFIG: join(dir, 'missing.yml'), APOLLO_STATE_DIR: join(dir, 's3'), SLACK_BOT_TOKEN: 'xoxb-x', SLACK_API_URL: `http://127.0.0.1:${port}/api/` });
    expect(code).toBe(1);
    expect(lines).toContainEqual(expect.stringMatching(/^❌ config: config file not found: .*missing\.yml/));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^❌ Redis at redis://127.0.0.1:${port} does not answer \\(ECONNREFUSED\\)$`)));
    expect(lines).toContainEqual(expect.stringMatching(/^❌ Slack's Web API at .* is unreachable \(ECONNREFUSED\)$/));
  }, 90_000);
});
