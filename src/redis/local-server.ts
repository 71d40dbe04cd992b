import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { probeRedis, redisAuthError } from './probe.js';

const INSTALL_HINT =
  'Redis is not reachable at %URL% and redis-server is not installed. Install it (apt-get install redis-server) or set REDIS_URL to a running Redis.';

async function answers(url: string): Promise<boolean> {
  return (await probeRedis(url)).kind === 'ok';
}

/** Where a private Redis's password is kept (owner-only; the step sandbox hides the state dir). */
function passwordFile(stateDir: string): string {
  return resolve(stateDir, 'redis', 'password');
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

async function savedPassword(stateDir: string): Promise<string | undefined> {
  try {
    return (await readFile(passwordFile(stateDir), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface EnsuredRedis {
  /** The URL to use: REDIS_URL, with the private server's password when it is ours. */
  url: string;
  /** A line saying a private server was started. */
  started?: string;
}

/**
 * Makes sure something answers at `url`. When nothing does and it is a local address, starts a
 * private redis-server (data under the state dir, AOF on) that requires a password: the one in
 * `url`, or a random one kept owner-only in the state dir, so that nothing else on the host (a
 * deploy step, say) can use it. Throws with one line of advice when that is not possible.
 * `requirePassword: false` is for the test suite's own throwaway server only.
 */
export async function ensureRedis(url: string, stateDir: string, options: { requirePassword?: boolean } = {}): Promise<EnsuredRedis> {
  const first = await probeRedis(url);
  if (first.kind === 'ok') return { url };
  const parsed = new URL(url);
  const saved = parsed.password ? undefined : await savedPassword(stateDir);
  if (saved && (await answers(withPassword(url, saved)))) return { url: withPassword(url, saved) };
  // Something answers but refuses us: starting another server on its port would only hide that.
  if (first.kind === 'auth') throw redisAuthError(url, first.reason);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  const hasServer = (await execa('redis-server', ['--version'], { reject: false })).exitCode === 0;
  if (!local || !hasServer) throw new Error(INSTALL_HINT.replace('%URL%', url));
  const dir = resolve(stateDir, 'redis');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const password = options.requirePassword === false ? undefined : decodeURIComponent(parsed.password) || saved || randomBytes(24).toString('hex');
  if (password && !parsed.password) await writeFile(passwordFile(stateDir), `${password}\n`, { mode: 0o600 });
  const port = parsed.port || '6379';
  await execa(
    'redis-server',
    // The password goes in through stdin's config, not argv, where `ps` would show it.
    ['-', '--daemonize', 'yes', '--bind', '127.0.0.1', '--port', port, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--maxmemory-policy', 'noeviction', '--logfile', resolve(dir, 'redis.log'), '--pidfile', resolve(dir, 'redis.pid')],
    { reject: true, input: password ? `requirepass "${password}"\n` : '' },
  );
  const effective = password ? withPassword(url, password) : url;
  for (let i = 0; i < 50; i++) {
    if (await answers(effective)) return { url: effective, started: `Started a private Redis on 127.0.0.1:${port} (data in ${dir}, AOF on${password ? ', password required' : ''}).` };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Started redis-server on port ${port} but it does not answer; see ${resolve(dir, 'redis.log')}`);
}
