import type { Redis } from 'ioredis';
import { SCRIPTS } from '../../src/redis/scripts.js';

/**
 * The same client, except that its next lock release (SCRIPTS.releaseIfToken) first runs `before`:
 * the moment after a holder's last check, while it still holds the lock. Races that a test could
 * otherwise only hope to hit happen there every time.
 */
export function beforeNextRelease(redis: Redis, before: () => Promise<void>): Redis {
  let pending: (() => Promise<void>) | undefined = before;
  const evaluate = redis.eval.bind(redis) as (...args: unknown[]) => Promise<unknown>;
  return new Proxy(redis, {
    get(target, prop) {
      if (prop === 'eval') {
        return async (...args: unknown[]) => {
          const run = pending;
          if (run && args[0] === SCRIPTS.releaseIfToken) {
            pending = undefined;
            await run();
          }
          return evaluate(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
