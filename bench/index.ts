// `npm run bench` (about 4 minutes here; `-- --quick`, about 1): apollo's production build (dist/, run
// by node) against floors that do the least the same job needs, measured on this machine in one run.
// Apollo and its floor alternate round by round, so load from elsewhere falls on both; each figure
// is the median of its rounds. Never asserted in tests: read the table, compare it across changes
// (docs/performance.md keeps the latest one and says how to read it).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents } from 'bullmq';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { createRedis, waitReady } from '../src/redis/connection.js';
import { Keys } from '../src/redis/keys.js';
import { RunStore } from '../src/runs/run-store.js';
import { BUILD_QUEUE } from '../src/queue/build-queue.js';
import { FakeSlack, type SlackCall } from '../src/slack/playground/fake-slack.js';
import { signedSlackHeaders } from '../src/slack/signing.js';
import { createSandbox } from '../src/pipeline/sandbox.js';
import { ACTION } from '../views/actions.js';
import { cpuTimes, groupRss, peakRss, resetPeak, rss, startProcess, timed, type Started } from './processes.js';
import { median, percentile, roundsTable, table, type Figure } from './stats.js';

const QUICK = process.argv.includes('--quick');
/** `--profile <dir>`: apollo's processes write V8 CPU profiles there (open them in Chrome's DevTools). */
const PROFILE_DIR = process.argv.includes('--profile') ? resolve(process.argv[process.argv.indexOf('--profile') + 1] ?? 'bench-profiles') : undefined;
const PLAN = QUICK
  ? { ackRounds: 3, ackRequests: 200, throughputRounds: 1, cardRounds: 5, deployRounds: 1, bigRounds: 1, stepRounds: 1 }
  : { ackRounds: 7, ackRequests: 800, throughputRounds: 5, cardRounds: 15, deployRounds: 5, bigRounds: 5, stepRounds: 5 };
/**
 * `--rounds throughput=6,ack=0`: another number of rounds for some parts (`ack`, `throughput`, `card`,
 * `deploy`, `big`, `step`); a part with none is left out of the table. For comparing one figure
 * between two builds in the same minutes, without the whole run.
 */
if (process.argv.includes('--rounds')) {
  for (const pair of (process.argv[process.argv.indexOf('--rounds') + 1] ?? '').split(',')) {
    const [part, count] = pair.split('=');
    const key = `${part}Rounds` as keyof typeof PLAN;
    if (!(key in PLAN) || !/^\d+$/.test(count ?? '')) throw new Error(`--rounds: ${pair}? say part=N, parts: ack, throughput, card, deploy, big, step`);
    PLAN[key] = Number(count);
  }
}
const CONCURRENCY = 16;
const BUILDS_AT_ONCE = 30;
const SECRET = 'bench-signing-secret';
const USER = 'U0BENCH';
const ROOT = resolve(import.meta.dirname, '..');
const MB = 1024 * 1024;
const BIG_STEP = `head -c ${100 * MB} /dev/zero | tr '\\0' x | fold -w 120`;

const began = performance.now();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Set-up: the production build, Redis, a fake Slack, a repository and apollo's config.

log(`plan: ${QUICK ? 'quick' : 'full'} ${JSON.stringify(PLAN)}`);
const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) throw new Error('the build failed');

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `apollo-bench-${process.pid}`;
const keys = new Keys(prefix);
const redis = createRedis(redisUrl, 'failFast');
await waitReady(redis, 5000).catch(() => {
  throw new Error(`no Redis at ${redisUrl} (set REDIS_URL)`);
});
const slack = await new FakeSlack().start();
const work = mkdtempSync(join(tmpdir(), 'apollo-bench-'));
// As a state dir's parents are in production: the step user may pass through (the worker checks).
chmodSync(work, 0o755);
const stateDir = join(work, 'state');

function git(args: string[], cwd = join(work, 'repo')): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'b@example.test', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'b@example.test' };
  const result = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Commits: one whose pipeline prints 100 MB, one of 20 no-op steps, then no-op builds (the server's pipeline). */
function makeRepository(): { big: string; many: string; noop: string[] } {
  const repo = join(work, 'repo');
  git(['init', '--quiet', '--initial-branch=main', repo], work);
  writeFileSync(join(repo, 'README'), 'bench\n');
  const pipeline = (steps: { name: string; run: string }[]) => writeFileSync(join(repo, '.apollo.yml'), stringify({ build: { steps } }));
  const commit = (message: string) => {
    git(['add', '-A']);
    git(['commit', '--quiet', '--allow-empty', '-m', message]);
    return git(['rev-parse', 'HEAD']);
  };
  pipeline([{ name: 'print 100 MB', run: BIG_STEP }]);
  const big = commit('a step printing 100 MB');
  pipeline(Array.from({ length: 20 }, (_, i) => ({ name: `noop ${i + 1}`, run: 'true' })));
  const many = commit('20 no-op steps');
  rmSync(join(repo, '.apollo.yml'));
  const noop = Array.from({ length: BUILDS_AT_ONCE }, (_, i) => commit(`no-op ${i + 1}`));
  return { big, many, noop };
}

const shas = makeRepository();
const CLOUDS = ['c1', 'c2', 'c3', 'c4'];
const config = {
  repository: join(work, 'repo'),
  access: {
    // The ack rounds leave their builds queued: spread over many people, each stays under the limit.
    builders: ['*'],
    deployers: [USER],
    approvers: [USER],
    allowSelfApproval: true,
    limits: { queuedRunsPerUser: 1000, lockChangesPerHour: 1000 },
  },
  pipeline: { fromRepo: '.apollo.yml' },
  build: { steps: [{ name: 'noop', run: 'true' }] },
  clouds: Object.fromEntries(CLOUDS.map((c) => [c, {}])),
  deploy: { steps: [{ name: 'provision', run: 'sleep 2' }] },
  worker: { concurrency: 2 },
};
parseConfig(config, 'bench config'); // fails here, not in a child, when the config is wrong
writeFileSync(join(work, 'apollo.yml'), stringify(config));

const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
const apolloEnv = (port: number) => ({
  ...baseEnv,
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  SLACK_BOT_TOKEN: 'xoxb-bench',
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: slack.apiUrl,
  REDIS_URL: redisUrl,
  APOLLO_REDIS_PREFIX: prefix,
  APOLLO_STATE_DIR: stateDir,
  APOLLO_CONFIG: join(work, 'apollo.yml'),
  PORT: String(port),
});

/** The Procfile's command for a process type, as node arguments: the bench runs what production runs. */
function procfile(type: 'web' | 'worker'): string[] {
  const line = readFileSync(join(ROOT, 'Procfile'), 'utf8').split('\n').find((l) => l.startsWith(`${type}:`));
  const words = line?.slice(type.length + 1).trim().split(/\s+/) ?? [];
  if (words[0] !== 'node') throw new Error(`the Procfile's ${type} does not run node: ${line}`);
  const args = words.slice(1).map((w) => (w.startsWith('dist/') ? join(ROOT, w) : w));
  return PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${type}.cpuprofile`, ...args] : args;
}

const WEB_PORT = 39_000 + (process.pid % 500) * 4;
const BOLT_PORT = WEB_PORT + 1;
const started: Started[] = [];
async function start(name: string, file: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started> {
  const p = await startProcess(name, file, args, env, ready);
  started.push(p);
  return p;
}

/**
 * Requests sent before each measured load, not measured, on both sides alike: a process's first
 * requests run cold code (V8 has not compiled it yet), which a bot serving a team all day never does.
 */
const ACK_WARMUP = 200;

/** How long every process rests before its idle RSS is read. */
const REST_MS = 20_000;

const figures: Figure[] = [];
const extra: string[] = [];
let failure: unknown;

try {
  log('starting apollo web and worker (the Procfile\'s commands) and the floors');
  const web = await start('apollo web', process.execPath, procfile('web'), apolloEnv(WEB_PORT), /web listening/);
  const worker = await start('apollo worker', process.execPath, procfile('worker'), apolloEnv(WEB_PORT + 2), /worker started/);
  extra.push(`Apollo ran as the Procfile says: \`node ${procfile('web').map((a) => a.replace(`${ROOT}/`, '')).join(' ')}\` and \`… worker\`.`);
  const bolt = await start('bare Bolt', process.execPath, [join(ROOT, 'bench/floors/bolt.mjs')], { ...baseEnv, PORT: String(BOLT_PORT), SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl }, /ready/);
  // The floor worker clones from apollo's mirror, which the first build makes.
  await buildAndWait(shas.noop[0]!, 'C0WARM');
  const mirror = join(stateDir, 'mirrors', readdirSync(join(stateDir, 'mirrors')).find((d) => d.endsWith('.git'))!);
  const floorQueue = `floor-clone-${process.pid}`;
  const bull = await start('bare BullMQ worker', process.execPath, [join(ROOT, 'bench/floors/bullmq-clone.mjs')], {
    ...baseEnv,
    REDIS_URL: redisUrl,
    QUEUE: floorQueue,
    PREFIX: `${prefix}-floor`,
    MIRROR: mirror,
    WORK_DIR: work,
    CONCURRENCY: String(config.worker.concurrency),
  }, /ready/);

  // --- Memory at rest --------------------------------------------------------------------------
  // At rest means after V8's memory reducer has run: it gives start-up garbage back to the OS after
  // some 10 s without work, in apollo as in the floors. The figure 3 s after start is shown too.
  await sleep(3000);
  const starting = { web: groupRss(web.pid), worker: groupRss(worker.pid), bolt: groupRss(bolt.pid), bull: groupRss(bull.pid) };
  await sleep(REST_MS - 3000);
  const idle = { web: groupRss(web.pid), worker: groupRss(worker.pid), bolt: groupRss(bolt.pid), bull: groupRss(bull.pid) };
  extra.push(
    `Idle RSS is taken ${REST_MS / 1000} s after the last process started. 3 s after start (start-up garbage not yet returned): web ${(starting.web / MB).toFixed(0)} MB, worker ${(starting.worker / MB).toFixed(0)} MB, bare Bolt ${(starting.bolt / MB).toFixed(0)} MB, bare BullMQ worker ${(starting.bull / MB).toFixed(0)} MB.`,
    `Idle RSS of the node processes alone: web ${(rss(web.pid) / MB).toFixed(0)} MB, worker ${(rss(worker.pid) / MB).toFixed(0)} MB.`,
  );
  const idleFigure = (half: 'web' | 'worker', apollo: number, floor: number, floorName: string, goalMb: number): Figure => ({
    figure: `${half} RSS idle (process group)`,
    apollo: apollo / MB,
    floor: floor / MB,
    floorName,
    unit: 'MB',
    goal: `≤ ${goalMb} MB`,
    meets: apollo <= goalMb * MB,
    rounds: { apollo: [apollo / MB], floor: [floor / MB] },
  });
  figures.push(idleFigure('web', idle.web, idle.bolt, 'bare Bolt', 100), idleFigure('worker', idle.worker, idle.bull, 'bare BullMQ worker', 90));

  // --- Acks under load (c = 16) ----------------------------------------------------------------
  // Builds asked for during the ack rounds are queued, not run: the queue is paused, so that the
  // worker's steps do not share the two cores with the web process being measured.
  const buildQueue = new Queue(BUILD_QUEUE, { connection: createRedis(redisUrl, 'blocking'), prefix: keys.bullPrefix });
  await buildQueue.pause();
  const ackRounds = { help: [[], []] as number[][], build: [[], []] as number[][] };
  // CPU per request (the process's own, warm-up included): steadier than a p99 on a busy host.
  const ackCpu = { help: [[], []] as number[][], build: [[], []] as number[][] };
  for (let round = 0; round < PLAN.ackRounds; round++) {
    for (const port of round % 2 === 0 ? [WEB_PORT, BOLT_PORT] : [BOLT_PORT, WEB_PORT]) {
      const side = port === WEB_PORT ? 0 : 1;
      const pid = side === 0 ? web.pid : bolt.pid;
      const perRequest = (before: number) => (cpuTimes(pid).self - before) / (PLAN.ackRequests + ACK_WARMUP);
      let cpu = cpuTimes(pid).self;
      ackRounds.help[side]!.push(percentile(await ackLoad(port, () => 'help'), 99));
      ackCpu.help[side]!.push(perRequest(cpu));
      const posted = slack.callsOf('chat.postMessage').length;
      cpu = cpuTimes(pid).self;
      ackRounds.build[side]!.push(percentile(await ackLoad(port, (i) => `build ${shas.noop[i % shas.noop.length]!}`, `C0ACK${round}X`), 99));
      // The next load starts once this burst's messages are all posted (apollo's cards, the floor's
      // messages): acks measured while a process still works off the last burst would measure that.
      await allPosted(posted + PLAN.ackRequests + ACK_WARMUP);
      ackCpu.build[side]!.push(perRequest(cpu));
    }
    log(`ack round ${round + 1}/${PLAN.ackRounds}: help p99 ${ackRounds.help[0]!.at(-1)!.toFixed(1)} / ${ackRounds.help[1]!.at(-1)!.toFixed(1)} ms, build p99 ${ackRounds.build[0]!.at(-1)!.toFixed(1)} / ${ackRounds.build[1]!.at(-1)!.toFixed(1)} ms`);
  }
  await buildQueue.obliterate({ force: true });
  await buildQueue.resume();
  await buildQueue.close();
  const ackFigure = (figure: string, rounds: number[][], floorName: string, goal: number): Figure => {
    const apollo = median(rounds[0]!);
    const floor = median(rounds[1]!);
    return { figure, apollo, floor, floorName, unit: 'ms', goal: `≤ ${goal}× the floor`, meets: apollo <= goal * floor, rounds: { apollo: rounds[0]!, floor: rounds[1]! } };
  };
  figures.push(ackFigure('`/apollo help` ack p99 (c = 16)', ackRounds.help, 'bare Bolt', 1.2));
  figures.push(ackFigure('`/apollo build <sha>` ack p99 (c = 16)', ackRounds.build, 'Bolt that acks and posts', 1.3));
  if (PLAN.ackRounds > 0) {
    const ms = (values: number[]) => `${median(values).toFixed(2)} ms`;
    extra.push(`CPU per request of the ack rounds (medians; a build's until its card is posted): apollo web help ${ms(ackCpu.help[0]!)}, build ${ms(ackCpu.build[0]!)}; bare Bolt ${ms(ackCpu.help[1]!)}, Bolt that acks and posts ${ms(ackCpu.build[1]!)}.`);
  }
  extra.push(`Web RSS after the ack rounds: ${(groupRss(web.pid) / MB).toFixed(0)} MB (group), bare Bolt ${(groupRss(bolt.pid) / MB).toFixed(0)} MB.`);

  // --- Builds at once --------------------------------------------------------------------------
  const floorJobs = new Queue(floorQueue, { connection: createRedis(redisUrl, 'blocking'), prefix: `${prefix}-floor` });
  const floorEvents = new QueueEvents(floorQueue, { connection: createRedis(redisUrl, 'blocking'), prefix: `${prefix}-floor` });
  await floorEvents.waitUntilReady();
  const throughput: number[][] = [[], []];
  // CPU per build during a burst, by process: where the floor's lead comes from.
  const burstCpu = [0, 1].map(() => ({ web: [] as number[], worker: [] as number[], children: [] as number[] }));
  for (let round = 0; round < PLAN.throughputRounds; round++) {
    const apolloFirst = round % 2 === 0;
    for (const side of apolloFirst ? [0, 1] : [1, 0]) {
      if (side === 0) {
        const channel = `C0MANY${round}X`;
        const t0 = performance.now();
        const from = slack.calls.length;
        const wall0 = Date.now();
        const cpu0 = [cpuTimes(web.pid), cpuTimes(worker.pid)] as const;
        await Promise.all(shas.noop.map((sha, i) => slash(WEB_PORT, `build ${sha}`, `${channel}${i}`)));
        const cards = await slack.waitFor(() => {
          const found = finalCards((c) => String(c.body.channel).startsWith(channel), from);
          return found.length >= BUILDS_AT_ONCE ? found : undefined;
        }, 300_000, `${BUILDS_AT_ONCE} builds`);
        throughput[0]!.push(BUILDS_AT_ONCE / ((performance.now() - t0) / 1000));
        const cpu1 = [cpuTimes(web.pid), cpuTimes(worker.pid)] as const;
        burstCpu[0]!.web.push((cpu1[0].self - cpu0[0].self) / BUILDS_AT_ONCE);
        burstCpu[0]!.worker.push((cpu1[1].self - cpu0[1].self) / BUILDS_AT_ONCE);
        burstCpu[0]!.children.push((cpu1[1].children - cpu0[1].children) / BUILDS_AT_ONCE);
        if (round === 0) extra.push(await buildTimeline(cards, wall0));
      } else {
        const t0 = performance.now();
        let done = 0;
        const all = new Promise<void>((resolve) => {
          const onDone = () => {
            if (++done >= BUILDS_AT_ONCE) {
              floorEvents.off('completed', onDone);
              resolve();
            }
          };
          floorEvents.on('completed', onDone);
        });
        const cpu0 = cpuTimes(bull.pid);
        await floorJobs.addBulk(Array.from({ length: BUILDS_AT_ONCE }, (_, i) => ({ name: 'clone', data: {}, opts: { jobId: `r${round}-${i}`, removeOnComplete: true } })));
        await all;
        throughput[1]!.push(BUILDS_AT_ONCE / ((performance.now() - t0) / 1000));
        const cpu1 = cpuTimes(bull.pid);
        burstCpu[1]!.worker.push((cpu1.self - cpu0.self) / BUILDS_AT_ONCE);
        burstCpu[1]!.children.push((cpu1.children - cpu0.children) / BUILDS_AT_ONCE);
      }
    }
    log(`throughput round ${round + 1}/${PLAN.throughputRounds}: ${throughput[0]!.at(-1)!.toFixed(2)} / ${throughput[1]!.at(-1)!.toFixed(2)} builds/s`);
  }
  await floorEvents.close();
  await floorJobs.close();
  {
    const apollo = median(throughput[0]!);
    const floor = median(throughput[1]!);
    const ms = (values: number[]) => `${median(values).toFixed(1)} ms`;
    extra.push(
      `CPU per build in a burst (medians; children: the processes each started and waited for): apollo web ${ms(burstCpu[0]!.web)}, worker ${ms(burstCpu[0]!.worker)}, worker's children ${ms(burstCpu[0]!.children)}; floor worker ${ms(burstCpu[1]!.worker)}, its children ${ms(burstCpu[1]!.children)}.`,
    );
    figures.push({ figure: `${BUILDS_AT_ONCE} no-op builds queued at once`, apollo, floor, floorName: '`git clone --local` BullMQ jobs', unit: 'builds/s', goal: '≥ 0.8× the floor', meets: apollo >= 0.8 * floor, rounds: { apollo: throughput[0]!, floor: throughput[1]! } });
  }

  // --- Slash to final card, one no-op step ------------------------------------------------------
  const card: number[][] = [[], []];
  for (let round = 0; round < PLAN.cardRounds; round++) {
    const t0 = performance.now();
    await buildAndWait(shas.noop[round % shas.noop.length]!, `C0CARD${round}X`);
    card[0]!.push(performance.now() - t0);
    card[1]!.push(await timed('bash', ['-c', 'true']));
  }
  log(`slash → final card: ${card[0]!.map((v) => v.toFixed(0)).join(', ')} ms`);
  figures.push({ figure: 'slash → final card, 1-step no-op build', apollo: median(card[0]!), floor: median(card[1]!), floorName: 'the step itself (bash -c true)', unit: 'ms', goal: '≤ 250 ms', meets: median(card[0]!) <= 250, rounds: { apollo: card[0]!, floor: card[1]! } });

  // --- Deploys of sleep 2 ----------------------------------------------------------------------
  for (const clouds of [2, 4]) {
    const rounds: number[][] = [[], []];
    for (let round = 0; round < PLAN.deployRounds; round++) {
      for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
        if (side === 0) rounds[0]!.push((await deployAndWait(clouds === 4 ? 'all' : CLOUDS.slice(0, clouds).join(','), `C0DEP${clouds}R${round}`)) / 1000);
        else rounds[1]!.push((await timed('bash', ['-c', `${Array.from({ length: clouds }, () => 'sleep 2 &').join(' ')} wait`])) / 1000);
      }
    }
    log(`deploy ${clouds} clouds: ${rounds[0]!.map((v) => v.toFixed(2)).join(', ')} s`);
    const apollo = median(rounds[0]!);
    const floor = median(rounds[1]!);
    figures.push({ figure: `deploy of ${clouds} clouds of \`sleep 2\` (approve → final card)`, apollo, floor, floorName: 'bash, the same sleeps in parallel', unit: 's', goal: '≤ 1.1× the floor', meets: apollo <= 1.1 * floor, rounds: { apollo: rounds[0]!, floor: rounds[1]! } });
  }

  // --- A step printing 100 MB ------------------------------------------------------------------
  const big = { wall: [[], []] as number[][], kept: [] as number[], peak: [] as number[] };
  for (let round = 0; round < PLAN.bigRounds; round++) {
    await sleep(1000);
    const before = rss(worker.pid);
    const peakable = resetPeak(worker.pid);
    const runId = await buildAndWait(shas.big, `C0BIG${round}X`, 300_000);
    const peak = peakable ? peakRss(worker.pid) : rss(worker.pid);
    const run = await new RunStore(redis, keys).get(runId);
    const step = run?.lanes[0]?.steps[0];
    if (step?.status !== 'passed' || step.startedAt === undefined || step.finishedAt === undefined) throw new Error(`the 100 MB build did not pass: ${JSON.stringify(step)}`);
    big.wall[0]!.push(step.finishedAt - step.startedAt);
    await sleep(2000);
    big.kept.push((rss(worker.pid) - before) / MB);
    big.peak.push((peak - before) / MB);
    const file = join(work, 'floor-100mb.out');
    big.wall[1]!.push(await timed('bash', ['-c', `${BIG_STEP} | "${process.execPath}" "${join(ROOT, 'bench/floors/pipe-to-file.mjs')}" "${file}"`]));
    rmSync(file, { force: true });
    log(`100 MB step: ${big.wall[0]!.at(-1)!.toFixed(0)} ms (floor ${big.wall[1]!.at(-1)!.toFixed(0)} ms), worker RSS +${big.kept.at(-1)!.toFixed(0)} MB kept, +${big.peak.at(-1)!.toFixed(0)} MB at peak`);
  }
  figures.push({ figure: 'worker RSS kept after a step printing 100 MB', apollo: median(big.kept), unit: 'MB', goal: '≤ 20 MB', meets: median(big.kept) <= 20, rounds: { apollo: big.kept } });
  figures.push({ figure: 'worker RSS peak during that step (above idle)', apollo: median(big.peak), unit: 'MB', goal: '≤ 50 MB', meets: median(big.peak) <= 50, rounds: { apollo: big.peak } });
  {
    const apollo = median(big.wall[0]!);
    const floor = median(big.wall[1]!);
    figures.push({ figure: '100 MB step, wall (sandbox start included)', apollo, floor, floorName: 'piped through node into a file', unit: 'ms', goal: '≤ 1.5× the floor', meets: apollo <= 1.5 * floor, rounds: { apollo: big.wall[0]!, floor: big.wall[1]! } });
  }

  // --- Per-step overhead -----------------------------------------------------------------------
  // A lane of 20 `true` steps: each step's share of the lane, less what running `true` in the
  // sandbox costs by itself (measured here, from this process, with the worker's sandbox command).
  const sandbox = await createSandbox({ sandbox: 'namespaces', runAs: 'nobody', stateDir: join(work, 'sandbox-state') }).catch(() => undefined);
  const perStep: number[] = [];
  const sandboxRuns: number[] = [];
  for (let round = 0; round < PLAN.stepRounds; round++) {
    const runId = await buildAndWait(shas.many, `C0STEPS${round}X`);
    const steps = (await new RunStore(redis, keys).get(runId))!.lanes[0]!.steps;
    perStep.push((steps.at(-1)!.finishedAt! - steps[0]!.startedAt!) / steps.length);
    for (let i = 0; i < 10; i++) {
      const dir = mkdtempSync(join(work, 'sbx-'));
      if (sandbox?.owner) chownSync(dir, sandbox.owner.uid, sandbox.owner.gid);
      const command = sandbox ? sandbox.command('true', dir, dir, 'none', baseEnv) : { file: 'bash', args: ['-c', 'true'], env: baseEnv };
      sandboxRuns.push(await timed(command.file, command.args, { cwd: dir, env: command.env }));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const overhead = median(perStep) - median(sandboxRuns);
  log(`per step: ${median(perStep).toFixed(1)} ms in the lane, ${median(sandboxRuns).toFixed(1)} ms to run \`true\` in the sandbox alone`);
  figures.push({ figure: 'per-step overhead (lane share − sandboxed `true` alone)', apollo: overhead, floor: median(sandboxRuns), floorName: 'sandboxed `true` alone', unit: 'ms', goal: '≤ 5 ms', meets: overhead <= 5, rounds: { apollo: perStep.map((p) => p - median(sandboxRuns)), floor: sandboxRuns } });
  extra.push(`Sandbox start per step (bwrap + setpriv + bash running \`true\`): ${median(sandboxRuns).toFixed(0)} ms median; a 20-step lane spends ${median(perStep).toFixed(0)} ms per step.`);

  // ---------------------------------------------------------------------------------------------
  async function buildAndWait(sha: string, channel: string, timeoutMs = 120_000): Promise<string> {
    const before = slack.calls.length;
    await slash(WEB_PORT, `build ${sha}`, channel);
    const final = await slack.waitFor(() => finalCards((c) => c.body.channel === channel, before)[0], timeoutMs, `the build card in ${channel}`);
    const runId = /· (b\d+)/.exec(String(final.body.text))?.[1];
    if (!runId) throw new Error(`no run id in ${String(final.body.text)}`);
    return runId;
  }

  async function deployAndWait(clouds: string, channel: string): Promise<number> {
    const before = slack.calls.length;
    await slash(WEB_PORT, `deploy ${clouds} ${shas.noop[0]!}`, channel);
    const request = await slack.waitFor(() => slack.calls.slice(before).find((c) => c.method === 'chat.postMessage' && c.body.channel === channel && String(c.body.text).startsWith('Deploy request')), 60_000, 'the approval card');
    const runId = /Deploy request (d\d+)/.exec(String(request.body.text))![1]!;
    const ts = String(request.response!.ts);
    const clicked = slack.calls.length;
    const t0 = performance.now();
    await click(ACTION.approve, runId, channel, ts);
    await slack.waitFor(() => slack.calls.slice(clicked).find((c) => c.method === 'chat.update' && c.body.ts === ts && JSON.stringify(c.body).includes('*passed*')), 120_000, `the deploy ${runId} to pass`);
    return performance.now() - t0;
  }
} catch (err) {
  failure = err;
} finally {
  for (const p of started.reverse()) await p.stop().catch(() => undefined);
  const stale = await scanKeys(`${prefix}*`);
  for (let i = 0; i < stale.length; i += 500) await redis.del(...stale.slice(i, i + 500));
  redis.disconnect();
  await slack.stop();
  rmSync(work, { recursive: true, force: true });
}

if (failure) {
  console.error(failure);
  for (const p of started) console.error(`--- ${p.name} output (last lines) ---\n${p.output().split('\n').slice(-15).join('\n')}`);
  process.exit(1);
}

const minutes = (performance.now() - began) / 60_000;
console.log(`# apollo-chatops bench (${QUICK ? 'quick' : 'full'}, ${minutes.toFixed(1)} min, ${new Date().toISOString()})\n`);
// Parts given no rounds (--rounds) have no figures.
const measured = figures.filter((f) => !Number.isNaN(f.apollo));
console.log(table(measured));
console.log(`\nMedians of alternated rounds; ratio = apollo / floor. Acks: ${PLAN.ackRequests} requests per round at c = ${CONCURRENCY}, p99 per round.\n`);
for (const line of extra) console.log(`- ${line}`);
console.log('\n## Rounds\n');
console.log(roundsTable(measured));
if (process.argv.includes('--micro')) {
  const { microBench } = await import('./micro.js');
  await microBench();
}
process.exit(0);

// ---------------------------------------------------------------------------------------------

/** Where the time of a burst of builds went, from the runs as stored and the cards as Slack got them. */
async function buildTimeline(cards: SlackCall[], wall0: number): Promise<string> {
  const store = new RunStore(redis, keys);
  const rows = await Promise.all(
    cards.map(async (card) => {
      const run = await store.get(/· (b\d+)/.exec(String(card.body.text))![1]!);
      const lane = run!.lanes[0]!;
      return { created: run!.createdAt - wall0, started: lane.startedAt! - run!.createdAt, lane: lane.finishedAt! - lane.startedAt!, step: lane.steps[0]!.finishedAt! - lane.steps[0]!.startedAt!, card: card.at - lane.finishedAt!, end: card.at - wall0 };
    }),
  );
  const m = (pick: (r: (typeof rows)[number]) => number) => median(rows.map(pick)).toFixed(0);
  const last = (pick: (r: (typeof rows)[number]) => number) => Math.max(...rows.map(pick)).toFixed(0);
  return `${BUILDS_AT_ONCE} builds at once, medians: recorded ${m((r) => r.created)} ms after the burst began (last ${last((r) => r.created)}), queued ${m((r) => r.started)} ms, lane ${m((r) => r.lane)} ms (of which the step ${m((r) => r.step)} ms), final card ${m((r) => r.card)} ms after the lane ended; last card at ${last((r) => r.end)} ms.`;
}

/** Final build and deploy cards (the card's last state passed or failed), in calls after `from`. */
function finalCards(where: (call: SlackCall) => boolean, from = 0): SlackCall[] {
  const seen = new Set<string>();
  const cards: SlackCall[] = [];
  for (const call of slack.calls.slice(from)) {
    // A build that ends before its card is first posted shows its verdict in the post itself.
    if ((call.method !== 'chat.update' && call.method !== 'chat.postMessage') || !where(call)) continue;
    const text = String(call.body.text);
    const ts = String(call.method === 'chat.update' ? call.body.ts : call.response?.ts);
    if (!/: (passed|failed)/.test(text) || seen.has(ts)) continue;
    if (text.includes(': failed')) throw new Error(`a bench build failed: ${text}`);
    seen.add(ts);
    cards.push(call);
  }
  return cards;
}

function slashForm(text: string, channel: string, user = USER): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0APOLLO',
    channel_id: channel,
    channel_name: 'bench',
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/apollo',
    text,
    response_url: slack.responseUrl(),
    trigger_id: '1.2.3',
  }).toString();
}

async function post(port: number, form: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SECRET, form) },
    body: form,
  });
  await res.text();
  if (res.status !== 200) throw new Error(`/slack/events answered ${res.status}`);
}

async function slash(port: number, text: string, channel: string): Promise<void> {
  await post(port, slashForm(text, channel));
}

async function click(actionId: string, value: string, channel: string, ts: string): Promise<void> {
  const payload = {
    type: 'block_actions',
    user: { id: USER, username: 'bench', team_id: 'T0APOLLO' },
    api_app_id: 'A0APOLLO',
    token: 'legacy',
    container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
    trigger_id: '1.2.3',
    team: { id: 'T0APOLLO', domain: 'apollo' },
    channel: { id: channel, name: 'bench' },
    message: { type: 'message', ts, text: '' },
    response_url: slack.responseUrl(),
    actions: [{ action_id: actionId, block_id: 'b', value, type: 'button', action_ts: String(Date.now() / 1000) }],
  };
  await post(WEB_PORT, new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
}

/**
 * `PLAN.ackRequests` slash commands at c = 16, after a short warm-up; each request's time to its
 * HTTP answer (the ack), in ms. Every request is signed afresh (a replayed signature is not acted on).
 */
/** Waits until the fake Slack has received `count` messages in all (at most a minute). */
async function allPosted(count: number): Promise<void> {
  for (let waited = 0; slack.callsOf('chat.postMessage').length < count && waited < 60_000; waited += 50) await sleep(50);
}

async function ackLoad(port: number, text: (i: number) => string, channelPrefix = 'C0ACK'): Promise<number[]> {
  const run = async (count: number, offset: number) => {
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const i = offset + next++;
          const form = slashForm(text(i), `${channelPrefix}${i}`, `U0LOAD${i % 64}`);
          const t0 = performance.now();
          await post(port, form);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    return latencies;
  };
  await run(ACK_WARMUP, 1_000_000);
  return run(PLAN.ackRequests, 0);
}

async function scanKeys(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = nextCursor;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}
