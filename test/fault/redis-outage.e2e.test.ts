import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { eventually } from '../helpers/worker-process.js';
import { recordFault } from '../helpers/reliability.js';
import { waitReady } from '../../src/redis/connection.js';

describe('Redis down and back', () => {
  let h: Harness;
  let port: number;
  let dir: string;
  let repo: TestRepo;

  const startRedis = async () => {
    await execa('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'), '--logfile', join(dir, 'redis.log')]);
    await eventually(async () => (await execa('redis-cli', ['-p', String(port), 'ping'], { reject: false })).stdout === 'PONG', 10_000, 'Redis to answer');
  };
  // A clean SHUTDOWN fsyncs the AOF, as a service manager's stop does.
  const stopRedis = () => execa('redis-cli', ['-p', String(port), 'shutdown'], { reject: false });

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'apollo-redis-aof-'));
    await startRedis();
    repo = await TestRepo.create({ 'README': 'x\n' }, 'Outage');
    h = await Harness.start({
      // The commit says how long its step sleeps: steps see only their own environment.
      config: { repository: repo.path, build: { steps: [{ name: 'work', run: 'sleep "$(cat sleep-seconds 2>/dev/null || echo 0)"; echo done' }] } },
      redisUrl: `redis://127.0.0.1:${port}`,
      worker: false,
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await h?.close();
    await stopRedis();
  });

  it('answers commands within the 3 s ack, says 503, and loses no queued job across a restart with AOF', async () => {
    const queued = await repo.commit({ a: '1' }, 'Queued before the outage');
    await h.command(`build ${queued}`);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(queued.slice(0, 7))), 20_000, 'the card');

    await stopRedis();
    await eventually(async () => (await fetch(`${h.baseUrl}/healthz`)).status === 503, 10_000, 'healthz 503');
    const started = Date.now();
    const res = await h.command(`build ${queued}`);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeLessThan(3000);
    expect(JSON.parse(res.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('The queue is unavailable') });
    // Help needs no Redis.
    const help = await h.command('help');
    expect(await h.replyTo(help.responseUrl)).toContain('/apollo build');

    await startRedis();
    await waitReady(h.services.redis, 10_000).catch(() => undefined);
    await eventually(async () => (await fetch(`${h.baseUrl}/healthz`)).status === 200, 10_000, 'healthz 200');
    // The job queued before the outage is still there and runs once a worker comes.
    await h.startWorker();
    const passed = await h.slack
      .waitFor(() => h.slack.callsOf('chat.update').find((c) => c.body.ts === card.response!.ts && String(c.body.text).includes(': passed')), 30_000, 'the queued build to pass')
      .catch(() => undefined);
    recordFault({ suite: 'redis', fault: 'Redis stopped with a build queued, then restarted (AOF on)', tried: 1, lost: passed ? 0 : 1, duplicates: 0, leaks: 0 });
    expect(passed).toBeDefined();
  });

  it('a worker in the middle of a step waits for Redis to come back and finishes the run', async () => {
    {
      const sha = await repo.commit({ b: '2', 'sleep-seconds': '2' }, 'Running during the outage');
      await h.command(`build ${sha}`);
      const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(sha.slice(0, 7))), 20_000, 'the card');
      await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => c.body.ts === card.response!.ts && String(c.body.text).includes(': running')), 20_000, 'the run to start');
      await stopRedis();
      await new Promise((r) => setTimeout(r, 1000));
      await startRedis();
      const passed = await h.slack
        .waitFor(() => h.slack.callsOf('chat.update').find((c) => c.body.ts === card.response!.ts && String(c.body.text).includes(': passed')), 40_000, 'the run to pass after the outage')
        .catch(() => undefined);
      recordFault({ suite: 'redis', fault: 'Redis stopped for 1 s while a step ran', tried: 1, lost: passed ? 0 : 1, duplicates: 0, leaks: 0 });
      expect(passed).toBeDefined();
    }
  });
});
