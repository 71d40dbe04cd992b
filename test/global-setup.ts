import { ensureRedis } from '../src/redis/local-server.js';
import { TEST_REDIS_URL } from './helpers/redis.js';

/** Tests use a real Redis: the one at REDIS_URL, or a private one started for them. */
export default async function setup(): Promise<void> {
  // The suite's own throwaway server: tests reach it at TEST_REDIS_URL, without a password.
  const { started } = await ensureRedis(TEST_REDIS_URL, '.state/test', { requirePassword: false });
  if (started) console.log(started);
}
