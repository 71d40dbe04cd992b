import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_PATH, queueDashboardRoutes } from '../../src/admin/queue-dashboard.js';
import { BUILD_QUEUE } from '../../src/queue/build-queue.js';
import { createRedis } from '../../src/redis/connection.js';
import { Harness } from '../helpers/harness.js';

const PASSWORD = 'correct horse battery';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const CONFIG = { repository: '/nonexistent', build: { steps: [{ name: 'a', run: 'true' }] } };

describe('queue dashboard at /admin/queues', () => {
  let off: Harness;
  let on: Harness;

  beforeAll(async () => {
    off = await Harness.start({ config: CONFIG, worker: false });
    on = await Harness.start({
      config: CONFIG,
      worker: false,
      casedPrefixes: [DASHBOARD_PATH],
      routes: (services) =>
        queueDashboardRoutes(services, { queues: [services.buildQueue, services.deployFlow.cloudQueue, services.deployFlow.deployQueue], user: 'ops', password: PASSWORD }),
    });
  }, 60_000);
  afterAll(async () => {
    await off?.close();
    await on?.close();
  });

  it('is not there when APOLLO_ADMIN_PASSWORD is unset', async () => {
    const res = await fetch(`${off.baseUrl}/admin/queues`, { headers: { authorization: basic('ops', PASSWORD) } });
    expect(res.status).toBe(404);
  });

  it('answers 401 without the credentials, or with a wrong password or user', async () => {
    for (const headers of [{}, { authorization: basic('ops', 'wrong password!') }, { authorization: basic('admin', PASSWORD) }, { authorization: 'Bearer x' }] as Record<string, string>[]) {
      const res = await fetch(`${on.baseUrl}/admin/queues/api/queues`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="apollo queues"/);
      expect(await res.text()).not.toContain('apollo-build');
    }
  });

  it('serves the page, its files and the queues with the credentials', async () => {
    const auth = { authorization: basic('ops', PASSWORD) };
    const page = await fetch(`${on.baseUrl}/admin/queues`, { headers: auth });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('apollo queues');
    expect(html).toMatch(/static\/js\/main\.[0-9a-f]+\.js/);
    // Case matters below the dashboard (locale files): the guard's canonical path keeps it there.
    const locale = await fetch(`${on.baseUrl}/admin/queues/static/locales/en-US/messages.json`, { headers: auth });
    expect(locale.status).toBe(200);
    const api = await fetch(`${on.baseUrl}/admin/queues/api/queues`, { headers: auth });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['apollo-build', 'apollo-cloud', 'apollo-deploy']);
  });

  it('retries and cleans a failed job, and the audit stream says who did it', async () => {
    const auth = { authorization: basic('ops', PASSWORD) };
    const job = await on.services.buildQueue.add('build', { runId: 'b4242' }, { jobId: 'b4242' });
    // A worker of the test's own fails it: a failed job as a crashed build leaves one.
    const connection = createRedis(on.services.settings.redisUrl, 'blocking');
    const failing = new Worker(BUILD_QUEUE, async () => { throw new Error('boom'); }, { connection, prefix: on.services.keys.bullPrefix });
    await new Promise<void>((resolve) => failing.once('failed', () => resolve()));
    await failing.close();
    connection.disconnect();
    expect(await on.services.buildQueue.getJobState(job.id!)).toBe('failed');

    const retried = await fetch(`${on.baseUrl}/admin/queues/api/queues/apollo-build/b4242/retry`, { method: 'PUT', headers: auth });
    expect(retried.status).toBeLessThan(300);
    expect(['waiting', 'prioritized']).toContain(await on.services.buildQueue.getJobState('b4242'));

    const cleaned = await fetch(`${on.baseUrl}/admin/queues/api/queues/apollo-build/clean/completed`, { method: 'PUT', headers: auth });
    expect(cleaned.status).toBeLessThan(300);

    const entries = await on.services.audit.latest(10);
    expect(entries.map((e) => ({ action: e.action, by: e.by, queue: e.queue, jobId: e.jobId, jobState: e.jobState, runId: e.runId }))).toEqual([
      { action: 'queue.cleaned', by: 'admin:ops', queue: 'apollo-build', jobId: undefined, jobState: 'completed', runId: undefined },
      { action: 'queue.retried', by: 'admin:ops', queue: 'apollo-build', jobId: 'b4242', jobState: undefined, runId: 'b4242' },
    ]);
  });

  it('refuses, and records nothing for, anything else that would change a queue', async () => {
    const auth = { authorization: basic('ops', PASSWORD) };
    const before = (await on.services.audit.latest(50)).length;
    for (const [method, path] of [['PUT', 'api/queues/apollo-build/empty'], ['PUT', 'api/queues/apollo-build/pause'], ['PUT', 'api/queues/apollo-build/obliterate'], ['POST', 'api/queues/apollo-build/add']] as const) {
      const res = await fetch(`${on.baseUrl}/admin/queues/${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: method === 'POST' ? '{"name":"x","data":{}}' : null });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect(await on.services.buildQueue.isPaused()).toBe(false);
    expect((await on.services.audit.latest(50)).length).toBe(before);
  });
});
