import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Keys } from '../../src/redis/keys.js';
import { ApprovalRequests } from '../../src/runs/approval-requests.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const prefix = uniquePrefix();
const keys = new Keys(prefix);
let redis: Redis;
let approvals: ApprovalRequests;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  approvals = new ApprovalRequests(redis, keys);
});
afterAll(async () => {
  await deletePrefix(prefix);
  redis.disconnect();
});

describe('ApprovalRequests', () => {
  it('a request never opened is not open', async () => {
    expect(await approvals.isOpen('d404')).toBe(false);
  });

  it('open stores the requester with the approval TTL', async () => {
    await approvals.open('d1', 'U0REQUESTER', 3_600_000);
    expect(await approvals.isOpen('d1')).toBe(true);
    expect(await redis.get(keys.deployRequest('d1'))).toBe('U0REQUESTER');
    const pttl = await redis.pttl(keys.deployRequest('d1'));
    expect(pttl).toBeGreaterThan(3_500_000);
    expect(pttl).toBeLessThanOrEqual(3_600_000);
  });

  it('reopening replaces the TTL (a queue failure gives the request its remaining time back)', async () => {
    await approvals.open('d2', 'U0REQUESTER', 3_600_000);
    await approvals.open('d2', 'U0REQUESTER', 5_000);
    const pttl = await redis.pttl(keys.deployRequest('d2'));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5_000);
  });

  it('a fractional or non-positive TTL still sets a valid expiry instead of failing', async () => {
    await approvals.open('d3', 'U0REQUESTER', 1500.6);
    const rounded = await redis.pttl(keys.deployRequest('d3'));
    expect(rounded).toBeGreaterThan(1000);
    expect(rounded).toBeLessThanOrEqual(1501);
    // PX 0 or below is a Redis error; the store asks for 1 ms, so the request is simply over.
    await approvals.open('d4', 'U0REQUESTER', -20);
    expect([-2, 0, 1]).toContain(await redis.pttl(keys.deployRequest('d4')));
  });

  it('close ends the request; closing one that is not open is harmless', async () => {
    await approvals.open('d5', 'U0REQUESTER', 60_000);
    await approvals.close('d5');
    expect(await approvals.isOpen('d5')).toBe(false);
    await expect(approvals.close('d5')).resolves.toBeUndefined();
  });

  it('a request expires on its own once its TTL passes', async () => {
    await approvals.open('d6', 'U0REQUESTER', 30);
    expect(await approvals.isOpen('d6')).toBe(true);
    // Redis expires the key; wait for it, however long the machine takes.
    await vi.waitFor(async () => expect(await approvals.isOpen('d6')).toBe(false), { timeout: 10_000, interval: 20 });
    expect(await redis.exists(keys.deployRequest('d6'))).toBe(0);
  });

  it('requests of different runs are independent', async () => {
    await approvals.open('d7', 'U0A', 60_000);
    await approvals.open('d8', 'U0B', 60_000);
    await approvals.close('d7');
    expect(await approvals.isOpen('d7')).toBe(false);
    expect(await approvals.isOpen('d8')).toBe(true);
  });
});
