import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/net.js';
import { FakeSlack } from '../src/slack/playground/fake-slack.js';
import { signedSlackHeaders } from '../src/slack/signing.js';
import { ensureRedis } from '../src/redis/local-server.js';
import { TestRepo } from './helpers/git-repo.js';
import { blocksText } from './helpers/harness.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from './helpers/redis.js';

const SECRET = 'multi-process-secret';

async function waitForHealth(port: number, child: ResultPromise): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`process exited early: ${String(child.exitCode)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`web on ${port} never became healthy`);
}

describe('processes as the Procfile runs them', () => {
  const children: ResultPromise[] = [];
  let slack: FakeSlack;
  let prefix: string;
  let dir: string;
  let repo: TestRepo;
  let webPorts: number[];

  beforeAll(async () => {
    slack = await new FakeSlack().start();
    prefix = uniquePrefix();
    dir = await mkdtemp(join(tmpdir(), 'apollo-procs-'));
    // As a state dir's parents are in production: the step user may pass through (see createSandbox).
    await chmod(dir, 0o755);
    repo = await TestRepo.create({ 'README': 'apollo\n' }, 'Seed commit');
    const config = {
      repository: repo.path,
      access: { builders: ['*'] },
      build: { steps: [{ name: 'where am I', run: 'echo "pid $$ on $APOLLO_RUN_ID"; sleep 0.3' }, { name: 'done', run: 'true' }] },
      worker: { concurrency: 1 },
    };
    await writeFile(join(dir, 'apollo.yml'), stringify(config));
    webPorts = [await freePort(), await freePort()];
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-multi',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL: TEST_REDIS_URL,
      APOLLO_REDIS_PREFIX: prefix,
      APOLLO_CONFIG: join(dir, 'apollo.yml'),
      LOG_LEVEL: 'warn',
    };
    const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
    for (const [i, mode] of (['web', 'web', 'worker', 'worker'] as const).entries()) {
      const child = execa(tsx, ['src/main.ts', mode], {
        env: { ...env, PORT: String(webPorts[i] ?? 0), APOLLO_STATE_DIR: join(dir, `state-${i}`) },
        reject: false,
        all: true,
      });
      children.push(child);
    }
    await Promise.all(webPorts.map((port, i) => waitForHealth(port, children[i]!)));
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => c.catch(() => undefined)));
    await slack?.stop();
    await deletePrefix(prefix);
    await rm(dir, { recursive: true, force: true });
  });

  async function command(port: number, text: string, channel: string) {
    const body = new URLSearchParams({ command: '/apollo', text, user_id: 'U0MULTI', channel_id: channel, response_url: slack.responseUrl(), team_id: 'T0APOLLO' }).toString();
    return fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SECRET, body) },
      body,
    });
  }

  it('two web and two worker processes share one Redis and finish every run once', async () => {
    const commits = [await repo.commit({ a: '1' }, 'first'), await repo.commit({ b: '2' }, 'second'), await repo.commit({ c: '3' }, 'third'), await repo.commit({ d: '4' }, 'fourth')];
    // Each commit goes to a different web process; the same commit from two webs runs once.
    const sent = await Promise.all([
      ...commits.map((sha, i) => command(webPorts[i % 2]!, `build ${sha}`, 'C0MULTI')),
      command(webPorts[1]!, `build ${commits[0]}`, 'C0MULTI'),
    ]);
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);

    const finals = await slack.waitFor(() => {
      const done = commits.map((sha) =>
        slack.callsOf('chat.update').filter((c) => String(c.body.text).includes(sha.slice(0, 7)) && String(c.body.text).includes(': passed')).at(-1),
      );
      return done.every(Boolean) ? done : undefined;
    }, 90_000, 'four passed cards');
    expect(finals).toHaveLength(4);
    for (const sha of commits) {
      expect(slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).includes(sha.slice(0, 7)))).toHaveLength(1);
    }
    expect(blocksText(finals[0]!.body)).toContain('✅ where am I');
    const duplicate = await slack.waitFor(() => slack.callsOf('response_url').find((c) => String(c.body.text).includes('already queued or running')), 10_000, 'duplicate notice');
    expect(duplicate).toBeDefined();
  }, 120_000);
});

describe('start-up', () => {
  const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

  it('stops on an invalid config with every problem by path and no stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apollo-badconf-'));
    await writeFile(join(dir, 'apollo.yml'), 'repository: x\nbuild:\n  steps:\n    - name: a\n    - run: b\n      tiemout: 5m\n');
    const result = await execa(tsx, ['src/main.ts', 'web'], { env: { APOLLO_CONFIG: join(dir, 'apollo.yml'), REDIS_URL: TEST_REDIS_URL }, reject: false, timeout: 30_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('build.steps[0].run: required');
    expect(result.stderr).toContain('build.steps[1].name: required');
    expect(result.stderr).toContain("build.steps[1]: unknown key 'tiemout'");
    expect(result.stderr).not.toMatch(/\n\s+at /);
    await rm(dir, { recursive: true, force: true });
  });

  it('says how to get Redis when none answers and redis-server is missing', async () => {
    const port = await freePort();
    const result = await execa(process.execPath, [tsx, 'src/main.ts', 'web'], {
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, PATH: '/nonexistent', APOLLO_CONFIG: 'examples/apollo.yml' },
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/apt-get install redis-server.*REDIS_URL/);
  });

  it('starts a private Redis with AOF when none answers', async () => {
    const port = await freePort();
    const state = await mkdtemp(join(tmpdir(), 'apollo-redis-'));
    const url = `redis://127.0.0.1:${port}`;
    try {
      const first = await ensureRedis(url, state);
      expect(first.started).toContain(`Started a private Redis on 127.0.0.1:${port}`);
      // It requires a password (kept owner-only in the state dir): nothing else on the host gets in.
      const password = (await readFile(join(state, 'redis', 'password'), 'utf8')).trim();
      expect((await stat(join(state, 'redis', 'password'))).mode & 0o777).toBe(0o600);
      expect((await execa('redis-cli', ['-p', String(port), 'set', 'x', '1'], { reject: false })).stdout).toContain('NOAUTH');
      const info = await execa('redis-cli', ['-p', String(port), '-a', password, '--no-auth-warning', 'config', 'get', 'appendonly']);
      expect(info.stdout).toContain('yes');
      expect(first.url).toBe(`redis://:${password}@127.0.0.1:${port}`);
      // Already answering (with the saved password): nothing to start, the same URL.
      expect(await ensureRedis(url, state)).toEqual({ url: first.url });
    } finally {
      const password = await readFile(join(state, 'redis', 'password'), 'utf8').then((p) => p.trim(), () => '');
      await execa('redis-cli', ['-p', String(port), ...(password ? ['-a', password, '--no-auth-warning'] : []), 'shutdown', 'nosave'], { reject: false });
      await rm(state, { recursive: true, force: true });
    }
  });
});
