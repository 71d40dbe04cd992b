import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { createRedis, waitReady } from '../../src/redis/connection.js';
import { healthRoute } from '../../src/slack/health-route.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';

async function serve(route: CustomRoute): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => void route.handler(req as never, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz` };
}

describe('GET /healthz', () => {
  const up = createRedis(TEST_REDIS_URL, 'failFast');
  const down = createRedis('redis://127.0.0.1:1', 'failFast');
  down.on('error', () => undefined);
  afterAll(() => {
    up.disconnect();
    down.disconnect();
  });

  it('is 200 when Redis answers and 503 within a second or two when it does not', async () => {
    await waitReady(up);
    const ok = await serve(healthRoute(up));
    const bad = await serve(healthRoute(down));
    const res = await fetch(ok.url);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, redis: 'up' });
    const started = Date.now();
    const res2 = await fetch(bad.url);
    expect(res2.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2500);
    ok.server.close();
    bad.server.close();
  });
});
