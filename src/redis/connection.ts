import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of connection, as BullMQ wants them:
 * - `blocking` for workers and long-lived consumers: retries forever (maxRetriesPerRequest null);
 * - `failFast` for the web process: no offline queue, so a Redis outage answers the user within
 *   Slack's 3 s instead of hanging.
 */
export function createRedis(url: string, kind: 'blocking' | 'failFast', extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...extra,
  };
  const redis =
    kind === 'blocking'
      ? new Redis(url, { ...common, maxRetriesPerRequest: null })
      : new Redis(url, { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000 });
  // Connection errors surface through the commands that fail (and /healthz); the client reconnects.
  // Without a listener ioredis would print every reconnect attempt as an unhandled error.
  redis.on('error', () => undefined);
  return redis;
}

/** PING with a deadline: true when Redis answers within `ms`. */
export async function redisAnswers(redis: Redis, ms = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `redisAnswers`, remembered for `freshMs`: in a burst of commands one PING stands for all of them,
 * where each would otherwise wait for a round trip of its own before its ack. A Redis that stops
 * meanwhile is met by the command itself, which then answers "queue unavailable" after the ack.
 */
export function answersRecently(redis: Redis, freshMs = 250): (timeoutMs: number) => Promise<boolean> {
  let answeredAt = Number.NEGATIVE_INFINITY;
  return async (timeoutMs) => {
    if (redis.status === 'ready' && Date.now() - answeredAt < freshMs) return true;
    const answered = await redisAnswers(redis, timeoutMs);
    answeredAt = answered ? Date.now() : Number.NEGATIVE_INFINITY;
    return answered;
  };
}

/** Resolves once the connection is ready; a fail-fast connection refuses commands until then. */
export async function waitReady(redis: Redis, ms = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis did not become ready within ${ms}ms`));
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** Kept here for callers that already import it from the connection module. */
export { isRedisUnavailable } from '../errors.js';
