import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogStore, MAX_STORED_LOG_BYTES } from '../../src/logs/log-store.js';
import { createRedis, waitReady } from '../../src/redis/connection.js';
import { Keys } from '../../src/redis/keys.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

describe('log store', () => {
  const prefix = uniquePrefix();
  const redis = createRedis(TEST_REDIS_URL, 'failFast');
  const store = new LogStore(redis, new Keys(prefix));

  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('stores a small log whole, and of a big one only its end, saying so', async () => {
    await waitReady(redis);
    const dir = await mkdtemp(join(tmpdir(), 'apollo-logstore-'));
    await writeFile(join(dir, 'small.log'), 'all of it\n');
    await store.saveFile('b1', 'build', join(dir, 'small.log'));
    expect(await store.get('b1', 'build')).toBe('all of it\n');

    const size = MAX_STORED_LOG_BYTES + 1000;
    const big = Buffer.alloc(size, 'a');
    big.write('THE END\n', size - 8);
    await writeFile(join(dir, 'big.log'), big);
    await store.saveFile('b2', 'build', join(dir, 'big.log'));
    const stored = (await store.get('b2', 'build'))!;
    expect(stored.startsWith(`[apollo] log cut: only the last ${MAX_STORED_LOG_BYTES} bytes of ${size} are kept\n`)).toBe(true);
    expect(stored.endsWith('aTHE END\n')).toBe(true);
    expect(stored.length).toBe(stored.indexOf('\n') + 1 + MAX_STORED_LOG_BYTES);

    await store.saveFile('b3', 'build', join(dir, 'missing.log'));
    expect(await store.get('b3', 'build')).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });
});
