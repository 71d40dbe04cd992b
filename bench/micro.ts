// `npm run bench -- --micro`: in-process figures of single pieces (report parsers, card rendering,
// step output streaming, card edit coalescing). The figures against floors are bench/index.ts's.
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseReport } from '../src/reports/index.js';
import type { ReportFormat } from '../src/reports/summary.js';
import { renderCard } from '../views/card.js';
import type { Run } from '../src/runs/run.js';
import { RunLog } from '../src/pipeline/run-log.js';
import { runStepProcess } from '../src/pipeline/step-runner.js';
import { FakeSlack } from '../src/slack/playground/fake-slack.js';
import { createRedis, waitReady } from '../src/redis/connection.js';
import { Keys } from '../src/redis/keys.js';
import { RunStore } from '../src/runs/run-store.js';
import { newLane } from '../src/runs/run.js';
import { CardNotifier } from '../src/slack/card-notifier.js';
import { SlackPoster } from '../src/slack/slack-poster.js';
import { WebClient } from '@slack/web-api';
import { slackClientOptions } from '../src/services.js';
import { silentLogger } from '../src/logger.js';

const FIXTURES = 'test/fixtures/reports';
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function timeIt(iterations: number, fn: () => void): number {
  fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / iterations;
}

function parsers(): void {
  const formats: [string, ReportFormat][] = [
    ['serverspec-rspec.json', 'rspec-json'],
    ['docker-bench-head-stubbed-docker.out', 'docker-bench'],
    ['bats-apollo-bootstrap-junit.xml', 'junit'],
    ['bats-apollo-bootstrap.tap', 'tap'],
    ['terraform-apply.out', 'terraform'],
  ];
  console.log('\n## Report parsers (real fixtures, repeated to 1 MB of input each)');
  console.log('| format | fixture bytes | per parse | throughput |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [file, format] of formats) {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    const iterations = Math.max(20, Math.ceil((1024 * 1024) / text.length));
    const ms = timeIt(iterations, () => parseReport(format, text, { warnThreshold: 52 }));
    console.log(`| ${format} | ${text.length} | ${(ms * 1000).toFixed(0)} µs | ${mb((text.length / ms) * 1000)} MB/s |`);
  }
  console.log(`(${readdirSync(FIXTURES).length} fixtures available in ${FIXTURES})`);
}

function cards(): void {
  const t0 = Date.now() - 60_000;
  const steps = Array.from({ length: 120 }, (_, i) => ({ name: `step ${i}`, status: 'passed' as const, startedAt: t0, finishedAt: t0 + 1000 }));
  const build: Run = { id: 'b1', kind: 'build', ref: 'main', sha: 'a'.repeat(40), subject: 's', author: 'a', requestedBy: 'U1', channel: 'C1', createdAt: t0, laneNames: ['build'], lanes: [{ name: 'build', steps, startedAt: t0, finishedAt: t0 + 5000 }] };
  const deploy: Run = { ...build, id: 'd2', kind: 'deploy', laneNames: ['aws', 'digitalocean'], decision: { state: 'approved', by: 'U2', at: t0 }, lanes: ['aws', 'digitalocean'].map((name) => ({ name, steps: steps.slice(0, 3), startedAt: t0, finishedAt: t0 + 1 })) };
  console.log('\n## Card rendering (pure views)');
  console.log(`| card | per render |\n| --- | ---: |`);
  console.log(`| build, 120 steps | ${(timeIt(2000, () => renderCard(build)) * 1000).toFixed(0)} µs |`);
  console.log(`| deploy, 2 clouds | ${(timeIt(2000, () => renderCard(deploy, { destroyConfigured: true })) * 1000).toFixed(0)} µs |`);
}

async function streaming(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'apollo-bench-'));
  const log = new RunLog(join(dir, 'run.log'));
  await log.open();
  const outputMb = 200;
  let peak = process.memoryUsage().rss;
  const base = peak;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const start = performance.now();
  const result = await runStepProcess({
    script: `head -c ${outputMb * 1024 * 1024} /dev/zero | tr '\\0' 'x' | fold -w 120`,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    timeoutMs: 120_000,
    log,
  });
  clearInterval(timer);
  await log.close();
  const seconds = (performance.now() - start) / 1000;
  rmSync(dir, { recursive: true, force: true });
  console.log('\n## Step output streaming (one step printing a lot)');
  console.log(`| output | time | throughput | peak RSS growth | growth / output |\n| ---: | ---: | ---: | ---: | ---: |`);
  console.log(`| ${outputMb} MB | ${seconds.toFixed(1)} s | ${(outputMb / seconds).toFixed(0)} MB/s | ${mb(peak - base)} MB | ${((peak - base) / (outputMb * 1024 * 1024)).toFixed(3)} |`);
  console.log(`(exit ${result.exitCode}; the card keeps ${result.tail.length} lines; the rest streams to the log file)`);
}

async function coalescing(): Promise<void> {
  const slack = await new FakeSlack().start();
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = createRedis(redisUrl, 'failFast');
  await waitReady(redis);
  const keys = new Keys(`apollo-bench-${process.pid}`);
  const runs = new RunStore(redis, keys);
  const slackPoster = new SlackPoster(new WebClient('xoxb-bench', slackClientOptions(slack.apiUrl)));
  const notifier = new CardNotifier({ redis, keys, runs, slack: slackPoster, logger: silentLogger }, { minIntervalMs: 1000 });
  const lane = newLane('build', ['a', 'b', 'c']);
  await runs.create({ id: 'b1', kind: 'build', ref: 'main', sha: 'a'.repeat(40), subject: 's', author: 'x', requestedBy: 'U1', channel: 'C1', createdAt: Date.now(), laneNames: ['build'] }, [lane]);
  await notifier.post('b1', 'C1');
  const changes = 500;
  const start = performance.now();
  for (let i = 0; i < changes; i++) {
    lane.steps[i % 3]!.name = `step ${i}`;
    await runs.saveLane('b1', lane);
    notifier.refresh('b1');
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 100));
  }
  await notifier.flush('b1');
  const seconds = (performance.now() - start) / 1000;
  const updates = slack.callsOf('chat.update').length;
  console.log('\n## Card edits (500 state changes, one card, 1 edit/s allowed)');
  console.log(`| state changes | time | chat.update calls | calls / change | calls / second |\n| ---: | ---: | ---: | ---: | ---: |`);
  console.log(`| ${changes} | ${seconds.toFixed(1)} s | ${updates} | ${(updates / changes).toFixed(3)} | ${(updates / seconds).toFixed(2)} |`);
  const stale = await redis.keys(`${keys.prefix}*`);
  if (stale.length) await redis.del(...stale);
  redis.disconnect();
  await slack.stop();
}

export async function microBench(): Promise<void> {
  console.log('\n# Micro figures (in-process)');
  parsers();
  cards();
  await streaming();
  await coalescing();
}
