import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedSlackHeaders } from '../../src/slack/signing.js';
import { TestRepo } from '../helpers/git-repo.js';
import { freePort } from '../helpers/net.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const tsx = join(process.cwd(), 'node_modules/.bin/tsx');
/** The constant an older version signed the playground with, public in its source. */
const OLD_CONSTANT = 'playground-signing-secret';

/** Whether something accepts a TCP connection at host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

describe('the playground can’t open production', () => {
  it('refuses an app token without a bot token, since Socket Mode would listen on every interface', async () => {
    const result = await execa(process.execPath, [tsx, 'src/main.ts', 'web'], {
      env: { PATH: process.env.PATH ?? '', REDIS_URL: TEST_REDIS_URL, APOLLO_CONFIG: 'examples/apollo.yml', PORT: String(await freePort()), SLACK_APP_TOKEN: 'xapp-1-A1-1-x' },
      extendEnv: false,
      reject: false,
      timeout: 30_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('SLACK_APP_TOKEN needs SLACK_BOT_TOKEN');
  });

  it('stops with one line under NODE_ENV=production without a token, or without a signing secret', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /SLACK_BOT_TOKEN/],
      [{ SLACK_BOT_TOKEN: 'xoxb-prod' }, /SLACK_SIGNING_SECRET.*SLACK_APP_TOKEN/],
    ];
    for (const [env, message] of cases) {
      const result = await execa(process.execPath, [tsx, 'src/main.ts', 'all'], {
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', REDIS_URL: TEST_REDIS_URL, APOLLO_CONFIG: 'examples/apollo.yml', PORT: String(await freePort()), ...env },
        extendEnv: false,
        reject: false,
        timeout: 30_000,
      });
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).not.toContain('playground');
    }
  });

  describe('npm start without a token', () => {
    let child: ResultPromise;
    let port: number;
    let dir: string;
    let prefix: string;

    beforeAll(async () => {
      const repo = await TestRepo.create({ 'README': 'demo\n' }, 'Demo');
      dir = await mkdtemp(join(tmpdir(), 'apollo-playground-'));
      prefix = uniquePrefix();
      await writeFile(join(dir, 'apollo.yml'), stringify({ repository: repo.path, access: { builders: ['*'] }, build: { steps: [{ name: 'hello', run: 'echo hello' }] } }));
      // The playground takes PORT and PORT+1 (its stand-in of Slack): on a busy machine another test
      // may hold PORT+1, which the bot refuses in one line; then it starts again on other ports.
      for (let attempt = 1; ; attempt++) {
        port = await freePort();
        child = execa(process.execPath, [tsx, 'src/main.ts', 'all'], {
          env: { PATH: process.env.PATH ?? '', REDIS_URL: TEST_REDIS_URL, APOLLO_REDIS_PREFIX: prefix, APOLLO_CONFIG: join(dir, 'apollo.yml'), APOLLO_STATE_DIR: join(dir, 'state'), PORT: String(port), LOG_LEVEL: 'info' },
          extendEnv: false,
          reject: false,
          all: true,
        });
        let up = false;
        for (let i = 0; i < 300 && child.exitCode === null; i++) {
          if ((up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        if (up) break;
        const output = String((await child.catch((err: { all?: unknown }) => err)).all ?? '');
        if (attempt >= 3 || !/in use/i.test(output)) throw new Error(`the playground did not start (${String(child.exitCode)}): ${output}`);
      }
    }, 60_000);

    afterAll(async () => {
      child?.kill('SIGTERM');
      await child?.catch(() => undefined);
      await deletePrefix(prefix);
      await rm(dir, { recursive: true, force: true });
    });

    it('listens on 127.0.0.1 only, for the bot and for its stand-in of Slack', async () => {
      expect(await accepts('127.0.0.1', port)).toBe(true);
      expect(await accepts('127.0.0.1', port + 1)).toBe(true);
      const outside = nonLoopbackAddress();
      // A machine with no other interface has nothing else to listen on; say so rather than pass silently.
      expect(outside, 'this machine has a non-loopback IPv4 address to try').toBeDefined();
      expect(await accepts(outside!, port)).toBe(false);
      expect(await accepts(outside!, port + 1)).toBe(false);
    });

    it('signs with a random secret per start, kept owner-only in the state dir, and refuses the old constant', async () => {
      const file = join(dir, 'state', 'playground-signing-secret');
      const secret = (await readFile(file, 'utf8')).trim();
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect((await stat(file)).mode & 0o777).toBe(0o600);

      const body = new URLSearchParams({ command: '/apollo', text: 'help', user_id: 'U0PLAYGROUND', channel_id: 'C0PLAYGROUND', team_id: 'T0APOLLO', response_url: `http://127.0.0.1:${port + 1}/response/x` }).toString();
      const forged = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(OLD_CONSTANT, body) },
        body,
      });
      expect(forged.status).toBe(401);

      // npm run slash reads the secret from the state dir.
      const slash = await execa(process.execPath, [tsx, 'src/slack/playground/slash.ts', 'help'], {
        env: { PATH: process.env.PATH ?? '', PORT: String(port), APOLLO_STATE_DIR: join(dir, 'state') },
        extendEnv: false,
        reject: false,
      });
      expect(slash.stdout).toMatch(/^200 /);
    });
  });
});
