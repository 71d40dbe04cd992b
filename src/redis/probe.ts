import { Redis } from 'ioredis';
import { ApolloError, ErrorCode } from '../errors.js';

/** What one short-lived connection to a Redis URL found. */
export type RedisProbe = { kind: 'ok' } | { kind: 'auth' | 'down'; reason: string };

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password|NOPERM/i;

/** The URL without its password, for messages and logs. */
export function displayRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an unparsable REDIS_URL)';
  }
}

/**
 * Connects once, without retries, and PINGs. Tells a Redis that refuses the credentials (a wrong
 * or missing password, an unknown ACL user) from one that is not there at all.
 */
export async function probeRedis(url: string, timeoutMs = 1000): Promise<RedisProbe> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: timeoutMs, commandTimeout: timeoutMs, retryStrategy: () => null });
  let lastError: Error | undefined;
  probe.on('error', (err: Error) => (lastError = err));
  try {
    await probe.connect();
    const pong = await probe.ping();
    return pong === 'PONG' ? { kind: 'ok' } : { kind: 'down', reason: `PING answered ${pong}` };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const all = `${message} ${lastError?.message ?? ''}`;
    if (AUTH_FAILURE.test(all)) return { kind: 'auth', reason: (/(WRONGPASS|NOAUTH|NOPERM)/i.exec(all)?.[1] ?? 'authentication failed').toUpperCase() };
    const code = (lastError as NodeJS.ErrnoException | undefined)?.code ?? (err as NodeJS.ErrnoException).code;
    return { kind: 'down', reason: code ?? message };
  } finally {
    probe.disconnect();
  }
}

/** One line naming the fix for credentials Redis refused. */
export function redisAuthError(url: string, reason: string): ApolloError {
  return new ApolloError(
    ErrorCode.RedisAuthFailed,
    `Redis at ${displayRedisUrl(url)} refused the credentials (${reason}): put the right password (and ACL user, if any) in REDIS_URL, as redis://user:password@host:port`,
  );
}
