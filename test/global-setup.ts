import { spawnSync } from 'node:child_process';
import { ensureRedis } from '../src/redis/local-server.js';
import { TEST_REDIS_URL } from './helpers/redis.js';

/** Tests use a real Redis: the one at REDIS_URL, or a private one started for them. */
export default async function setup(): Promise<void> {
  // The suite's own throwaway server: tests reach it at TEST_REDIS_URL, without a password.
  const { started } = await ensureRedis(TEST_REDIS_URL, '.state/test', { requirePassword: false });
  if (started) console.log(started);
  // Tests that run what production runs (the playground's browser tests, the metrics of both
  // halves) start the bundle: built here once, when the sources are newer than it.
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed: the tests that run the bundle cannot start');
}
