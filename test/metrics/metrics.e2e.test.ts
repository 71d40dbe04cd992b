import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../../src/slack/playground/fake-slack.js';
import { signedSlackHeaders } from '../../src/slack/signing.js';
import { freePort } from '../helpers/net.js';
import { TestRepo } from '../helpers/git-repo.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from '../helpers/redis.js';

const SECRET = 'metrics-signing-secret';
const TOKEN = 'metrics-token-0123456789';
const ADMIN_PASSWORD = 'admin-password-0123456789';

/** The value of one sample in Prometheus' text format, e.g. `apollo_runs_total{kind="build",outcome="passed",role="worker"}`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const body = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const has = Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`));
    if (has) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function waitForHealth(url: string, child: ResultPromise): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`process exited early: ${String(child.exitCode)}`);
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never became healthy`);
}

describe('/metrics of a web and a worker process (the production bundle)', () => {
  const children: ResultPromise[] = [];
  let slack: FakeSlack;
  let prefix: string;
  let dir: string;
  let repo: TestRepo;
  let webPort: number;
  let workerPort: number;

  beforeAll(async () => {
    slack = await new FakeSlack().start();
    prefix = uniquePrefix();
    dir = await mkdtemp(join(tmpdir(), 'apollo-metrics-'));
    // As a state dir's parents are in production: the step user may pass through (see createSandbox).
    await chmod(dir, 0o755);
    repo = await TestRepo.create({ README: 'apollo\n' }, 'Seed commit');
    const config = {
      repository: repo.path,
      access: { builders: ['*'] },
      build: { steps: [{ name: 'compile', run: 'echo compiling' }, { name: 'unit tests', run: 'echo testing' }] },
      worker: { concurrency: 1 },
    };
    await writeFile(join(dir, 'apollo.yml'), stringify(config));
    [webPort, workerPort] = [await freePort(), await freePort()];
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-metrics',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL: TEST_REDIS_URL,
      APOLLO_REDIS_PREFIX: prefix,
      APOLLO_CONFIG: join(dir, 'apollo.yml'),
      METRICS_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
    };
    // The production bundle, started as the Procfile starts it (test/global-setup.ts builds it).
    const main = join(process.cwd(), 'dist/main.js');
    const webEnv = { ...env, PORT: String(webPort), APOLLO_STATE_DIR: join(dir, 'state-web'), APOLLO_ADMIN_PASSWORD: ADMIN_PASSWORD };
    children.push(execa(process.execPath, ['--max-semi-space-size=8', main, 'web'], { env: webEnv, reject: false, all: true }));
    children.push(execa(process.execPath, ['--max-semi-space-size=2', main, 'worker'], { env: { ...env, WORKER_METRICS_PORT: String(workerPort), APOLLO_STATE_DIR: join(dir, 'state-worker') }, reject: false, all: true }));
    await waitForHealth(`http://127.0.0.1:${webPort}/healthz`, children[0]!);
    await waitForHealth(`http://127.0.0.1:${workerPort}/healthz`, children[1]!);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => c.catch(() => undefined)));
    await slack?.stop();
    await deletePrefix(prefix);
    await rm(dir, { recursive: true, force: true });
  });

  /** `token: null` scrapes without one. */
  const scrape = async (port: number, token: string | null = TOKEN) => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: token !== null ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, text: await res.text() };
  };

  it('refuses a scrape without the bearer token, on both', async () => {
    for (const port of [webPort, workerPort]) {
      expect((await scrape(port, null)).status).toBe(401);
      expect((await scrape(port, 'wrong-token-0123456789')).status).toBe(401);
    }
  });

  it("after a build, each process shows its own half: the web its ack, the worker the build's counters and histograms", async () => {
    const sha = await repo.commit({ a: '1' }, 'first');
    const body = new URLSearchParams({ command: '/apollo', text: `build ${sha}`, user_id: 'U0METRIC', channel_id: 'C0METRIC', response_url: slack.responseUrl(), team_id: 'T0APOLLO' }).toString();
    const sent = await fetch(`http://127.0.0.1:${webPort}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SECRET, body) },
      body,
    });
    expect(sent.status).toBe(200);
    expect(sent.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await slack.waitFor(() => slack.callsOf('chat.update').find((c) => String(c.body.text).includes(sha.slice(0, 7)) && String(c.body.text).includes(': passed')), 60_000, 'a passed card');

    // The run is counted once the processor returns, just after the final card: wait for the count, not a time.
    let worker = await scrape(workerPort);
    for (let i = 0; i < 100 && sample(worker.text, 'apollo_runs_total', { kind: 'build', outcome: 'passed' }) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      worker = await scrape(workerPort);
    }
    const web = await scrape(webPort);
    expect(web.status).toBe(200);
    expect(worker.status).toBe(200);

    expect(sample(worker.text, 'apollo_runs_total', { kind: 'build', outcome: 'passed', role: 'worker' })).toBe(1);
    expect(sample(worker.text, 'apollo_run_duration_seconds_count', { kind: 'build', outcome: 'passed', role: 'worker' })).toBe(1);
    for (const step of ['compile', 'unit tests']) {
      expect(sample(worker.text, 'apollo_step_duration_seconds_count', { kind: 'build', step, outcome: 'passed', role: 'worker' }), step).toBe(1);
    }
    expect(sample(worker.text, 'apollo_queue_wait_seconds_count', { queue: 'apollo-build', role: 'worker' })).toBe(1);
    expect(sample(worker.text, 'apollo_slack_api_calls_total', { method: 'chat.update', outcome: 'ok', role: 'worker' })).toBeGreaterThanOrEqual(1);
    expect(sample(worker.text, 'apollo_slash_command_ack_seconds_count', { outcome: 'ok' })).toBeUndefined();

    expect(sample(web.text, 'apollo_slash_command_ack_seconds_count', { outcome: 'ok', role: 'web' })).toBe(1);
    expect(sample(web.text, 'apollo_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ok', role: 'web' })).toBe(1);
    expect(sample(web.text, 'apollo_slack_api_requests_total', { method: 'chat.postMessage', status: '200', role: 'web' })).toBe(1);
    expect(sample(web.text, 'apollo_runs_total', { kind: 'build', outcome: 'passed' })).toBeUndefined();

    // Read from Redis at scrape time, by either process; and Node's own process metrics.
    for (const text of [web.text, worker.text]) {
      expect(sample(text, 'apollo_queue_depth', { queue: 'apollo-build', state: 'waiting' })).toBe(0);
      expect(sample(text, 'apollo_queue_oldest_waiting_seconds', { queue: 'apollo-build' })).toBe(0);
      expect(sample(text, 'apollo_locks_active', { kind: 'run' })).toBe(0);
      expect(text).toMatch(/^process_cpu_seconds_total\{role="(web|worker)"\} /m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{/m);
    }
  }, 90_000);

  it('the bundle serves the queue dashboard behind its password, with the page and assets it loads from node_modules', async () => {
    const base = `http://127.0.0.1:${webPort}/admin/queues`;
    expect((await fetch(base)).status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
    const page = await fetch(base, { headers: auth });
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(html)?.[1];
    expect(script, html.slice(0, 300)).toBeDefined();
    const asset = await fetch(new URL(script!, `${base}/`), { headers: auth });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    // The worker half never loads the dashboard: it has no such route.
    expect((await fetch(`http://127.0.0.1:${workerPort}/admin/queues`, { headers: auth })).status).toBe(404);
  });
});
