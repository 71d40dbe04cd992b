import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/redis/keys.js';
import { CLOUD_HISTORY_LENGTH, CloudState, type LastDeploy } from '../../src/runs/cloud-state.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

const prefix = uniquePrefix();
const keys = new Keys(prefix);
let redis: Redis;
let clouds: CloudState;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  clouds = new CloudState(redis, keys);
});
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

const deployOf = (runId: string, at = T0): LastDeploy => ({ sha: SHA, ref: 'main', by: 'U0DEPLOYER', at, runId });

describe('CloudState', () => {
  it('a cloud nobody deployed carries no run and has no last deploy', async () => {
    expect(await clouds.current('fresh')).toBeUndefined();
    expect(await clouds.lastDeploy('fresh')).toBeUndefined();
  });

  it('takeOver: the newest starting deploy is the one the cloud carries, and says which it took over', async () => {
    expect(await clouds.takeOver('aws', 'd1')).toBeUndefined();
    expect(await clouds.current('aws')).toBe('d1');
    expect(await clouds.takeOver('aws', 'd2')).toBe('d1');
    expect(await clouds.current('aws')).toBe('d2');
  });

  it('carriedBy: the clouds that still carry a run, read at once', async () => {
    await clouds.takeOver('c1', 'd20');
    await clouds.takeOver('c2', 'd21');
    expect(await clouds.carriedBy('d20', ['c1', 'c2', 'c3'])).toEqual(['c1']);
    expect(await clouds.carriedBy('d20', [])).toEqual([]);
  });

  it("tornDown: an ephemeral deploy's passed teardown leaves the cloud empty, older deploys included, unless a newer run took it", async () => {
    await clouds.recordDeploy('eph', deployOf('d10'));
    await clouds.takeOver('eph', 'd11');
    await clouds.tornDown('eph', 'd11');
    expect(await clouds.current('eph')).toBeUndefined();
    expect(await clouds.lastDeploy('eph')).toBeUndefined();
    await clouds.takeOver('eph', 'd12');
    await clouds.recordDeploy('eph', deployOf('d12'));
    await clouds.tornDown('eph', 'd11');
    expect(await clouds.current('eph')).toBe('d12');
    expect((await clouds.lastDeploy('eph'))?.runId).toBe('d12');
  });

  it('recordDeploy then lastDeploy round-trips every field, the time as a number', async () => {
    await clouds.recordDeploy('gcp', deployOf('d3', T0 + 123));
    expect(await clouds.lastDeploy('gcp')).toEqual({ sha: SHA, ref: 'main', by: 'U0DEPLOYER', at: T0 + 123, runId: 'd3' });
    await clouds.recordDeploy('gcp', { ...deployOf('d4', T0 + 456), ref: 'v2' });
    expect(await clouds.lastDeploy('gcp')).toEqual({ sha: SHA, ref: 'v2', by: 'U0DEPLOYER', at: T0 + 456, runId: 'd4' });
  });

  it('clouds are independent', async () => {
    await clouds.takeOver('one', 'd10');
    await clouds.takeOver('two', 'd11');
    await clouds.clearIfOurs('one', 'd10');
    expect(await clouds.current('one')).toBeUndefined();
    expect(await clouds.current('two')).toBe('d11');
  });

  it('clearIfOurs after our destroy: the cloud carries nothing and its last deploy is forgotten', async () => {
    await clouds.takeOver('azure', 'd5');
    await clouds.recordDeploy('azure', deployOf('d5'));
    await clouds.clearIfOurs('azure', 'd5');
    expect(await clouds.current('azure')).toBeUndefined();
    expect(await clouds.lastDeploy('azure')).toBeUndefined();
    expect(await redis.exists(keys.cloudCurrent('azure'), keys.lastDeploy('azure'))).toBe(0);
  });

  it('clearIfOurs does nothing when a newer run took the cloud over and deployed', async () => {
    await clouds.takeOver('hetzner', 'd6');
    await clouds.recordDeploy('hetzner', deployOf('d6'));
    await clouds.takeOver('hetzner', 'd7');
    await clouds.recordDeploy('hetzner', deployOf('d7', T0 + 1));
    await clouds.clearIfOurs('hetzner', 'd6');
    expect(await clouds.current('hetzner')).toBe('d7');
    expect(await clouds.lastDeploy('hetzner')).toEqual(deployOf('d7', T0 + 1));
  });

  it('clearIfOurs never clears a newer run’s claim, even before that run recorded its deploy', async () => {
    await clouds.takeOver('ovh', 'd8');
    await clouds.recordDeploy('ovh', deployOf('d8'));
    await clouds.takeOver('ovh', 'd9');
    await clouds.clearIfOurs('ovh', 'd8');
    expect(await clouds.current('ovh')).toBe('d9');
  });
});

describe('CloudState history', () => {
  it('keeps the last deploys of a cloud, newest first, capped', async () => {
    for (let i = 0; i < CLOUD_HISTORY_LENGTH + 3; i++) {
      await clouds.recordHistory('hist', { runId: `d${i}`, sha: SHA, ref: 'main', by: 'U0DEPLOYER', at: T0 + i, outcome: i % 2 ? 'failed' : 'passed' });
    }
    const history = await clouds.history('hist');
    expect(history).toHaveLength(CLOUD_HISTORY_LENGTH);
    expect(history[0]).toEqual({ runId: `d${CLOUD_HISTORY_LENGTH + 2}`, sha: SHA, ref: 'main', by: 'U0DEPLOYER', at: T0 + CLOUD_HISTORY_LENGTH + 2, outcome: 'passed' });
    expect(await clouds.history('never')).toEqual([]);
  });
});
