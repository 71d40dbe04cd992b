import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { redisAnswers } from './connection.js';

const INSTALL_HINT =
  'Redis is not reachable at %URL% and redis-server is not installed. Install it (apt-get install redis-server) or set REDIS_URL to a running Redis.';

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1000, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return await redisAnswers(probe, 1000);
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Makes sure something answers at `url`. When nothing does and it is a local address, starts a
 * private redis-server (data under the state dir, AOF on) and returns a line saying so.
 * Throws with one line of advice when that is not possible.
 */
export async function ensureRedis(url: string, stateDir: string): Promise<string | undefined> {
  if (await answers(url)) return undefined;
  const parsed = new URL(url);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  const hasServer = (await execa('redis-server', ['--version'], { reject: false })).exitCode === 0;
  if (!local || !hasServer) throw new Error(INSTALL_HINT.replace('%URL%', url));
  const dir = resolve(stateDir, 'redis');
  await mkdir(dir, { recursive: true });
  const port = parsed.port || '6379';
  await execa(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', port, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--maxmemory-policy', 'noeviction', '--logfile', resolve(dir, 'redis.log'), '--pidfile', resolve(dir, 'redis.pid')],
    { reject: true },
  );
  for (let i = 0; i < 50; i++) {
    if (await answers(url)) return `Started a private Redis on 127.0.0.1:${port} (data in ${dir}, AOF on).`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Started redis-server on port ${port} but it does not answer; see ${resolve(dir, 'redis.log')}`);
}
