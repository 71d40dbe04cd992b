import { ensureRedis } from '../src/redis/local-server.js';
import { TEST_REDIS_URL } from './helpers/redis.js';

/** Tests use a real Redis: the one at REDIS_URL, or a private one started for them. */
export default async function setup(): Promise<void> {
  const started = await ensureRedis(TEST_REDIS_URL, '.state/test');
  if (started) console.log(started);
}
