import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { parseEnv, type Env } from './config/env.js';
import { loadConfigFile } from './config/load.js';
import { isApolloError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { ensureRedis } from './redis/local-server.js';
import { createServices, type Services } from './services.js';
import type { Playground } from './slack/playground/playground.js';
import { DEFAULT_STALL } from './worker/stall-recovery.js';
import { ApolloError, ErrorCode } from './errors.js';
import { botTools, checkSlackAuth, checkStateDir, checkTool, startupError } from './doctor/checks.js';
import { runDoctor } from './doctor/doctor.js';
import { addGaugeSource, startProcessMetrics } from './metrics/metrics.js';
import { readLocks, readQueues } from './metrics/collectors.js';
import { metricsHandler } from './metrics/metrics-handler.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { redisAnswers } from './redis/connection.js';

// Each half loads only its own code (web: Bolt, routes; worker: the processors and the sandbox), and
// the playground only in playground mode: imported where they are used, so a worker never holds Bolt.

type Mode = 'all' | 'web' | 'worker';

/** Where package.json is: `..` from src/ when run by tsx, `../..` from dist/src/ when built. */
const PROJECT_ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));

function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(from, '..');
  }
}
/** The playground listens on loopback only: it is a local demo, never a service. */
const PLAYGROUND_HOST = '127.0.0.1';

/**
 * Production never falls back to the playground: without Slack's credentials the bot stops with
 * one line instead of serving a fake Slack whose requests anyone could sign.
 */
function productionProblem(env: Env, mode: Mode): string | undefined {
  if (process.env.NODE_ENV !== 'production') return undefined;
  if (!env.SLACK_BOT_TOKEN) return 'NODE_ENV=production needs SLACK_BOT_TOKEN (the playground never runs in production)';
  if (mode !== 'worker' && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    return 'NODE_ENV=production needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)';
  }
  return undefined;
}

/**
 * ./apollo.yml (or APOLLO_CONFIG). Without one, the playground runs its built-in demo (a local
 * repository and pipeline that need only bash and git, so it works offline); a bot with a token
 * falls back to the example pipeline.
 */
async function configPath(env: Env, logger: Logger, playground: boolean): Promise<string> {
  if (process.env.APOLLO_CONFIG || existsSync(env.APOLLO_CONFIG)) return env.APOLLO_CONFIG;
  if (playground) {
    const { prepareDemo } = await import('./slack/playground/demo/demo-repo.js');
    const demo = await prepareDemo(env.APOLLO_STATE_DIR);
    logger.info(`no ${env.APOLLO_CONFIG}: playground demo, repository ${demo.repository}, pipeline ${demo.configPath} (copy it to apollo.yml to change it)`);
    return demo.configPath;
  }
  const example = resolve(PROJECT_ROOT, 'examples/apollo.yml');
  logger.info(`no ${env.APOLLO_CONFIG}: using ${example} (copy it to apollo.yml to change it)`);
  return example;
}

/**
 * Slack must answer before the bot takes anything on: an unreachable SLACK_API_URL or a refused
 * token stops start-up with one line. Slack merely having trouble (a 5xx) is only a warning: the
 * notifier retries, and a bot that refused to start would be down for longer than Slack.
 */
async function checkSlack(env: Env, logger: Logger): Promise<void> {
  if (!env.SLACK_BOT_TOKEN) return;
  const { check } = await checkSlackAuth(env.SLACK_BOT_TOKEN, env.SLACK_API_URL);
  if (check.ok) logger.info(check.what);
  else if (check.code) throw startupError(check);
  else logger.warn(`${check.what}: ${check.fix ?? ''}`);
}

async function main(mode: Mode): Promise<void> {
  const env = parseEnv();
  const problem = productionProblem(env, mode);
  if (problem) throw new ApolloError(ErrorCode.EnvInvalid, problem);
  const logger = createLogger(env.LOG_LEVEL, { format: env.LOG_FORMAT });
  startProcessMetrics(mode);
  // Each start-up problem an operator can meet is one line naming its fix, checked before it bites.
  const stateDir = await checkStateDir(env.APOLLO_STATE_DIR);
  if (!stateDir.ok) throw startupError(stateDir);
  const playgroundMode = !env.SLACK_BOT_TOKEN && process.env.NODE_ENV !== 'production';
  const configFile = await configPath(env, logger, playgroundMode && !env.SLACK_APP_TOKEN);
  const config = loadConfigFile(configFile);
  const redis = await ensureRedis(env.REDIS_URL, env.APOLLO_STATE_DIR);
  if (redis.started) logger.info(redis.started);
  for (const tool of botTools(mode)) {
    const found = await checkTool(tool);
    if (!found.ok) throw startupError(found);
  }

  // No bot token: run against a local stand-in of Slack, shown in the local client.
  let playground: Playground | undefined;
  if (!env.SLACK_BOT_TOKEN && env.SLACK_APP_TOKEN) {
    // The playground is HTTP on loopback only; Socket Mode would open Bolt's own server on every interface.
    throw new ApolloError(ErrorCode.EnvInvalid, 'SLACK_APP_TOKEN needs SLACK_BOT_TOKEN (without a bot token the bot runs the local playground, which takes no app token)');
  }
  if (playgroundMode) {
    const { Playground } = await import('./slack/playground/playground.js');
    playground = await Playground.start(env.PORT === 0 ? 0 : env.PORT + 1);
  }
  const botToken = env.SLACK_BOT_TOKEN ?? 'xoxb-playground';
  const slackApiUrl = playground?.slack.apiUrl ?? env.SLACK_API_URL;
  const settings = {
    redisUrl: redis.url,
    redisPrefix: env.APOLLO_REDIS_PREFIX,
    stateDir: env.APOLLO_STATE_DIR,
    configPath: resolve(configFile),
    botToken,
    ...(slackApiUrl ? { slackApiUrl } : {}),
    stall: { lockDurationMs: env.APOLLO_JOB_LOCK_MS ?? DEFAULT_STALL.lockDurationMs, stalledIntervalMs: env.APOLLO_STALLED_INTERVAL_MS ?? DEFAULT_STALL.stalledIntervalMs },
  };
  // Web and worker get their own services even in one process: they treat a Redis outage differently.
  const services: Services = createServices(config, settings, logger, 'web');
  const workerServices: Services | undefined = mode === 'web' ? undefined : createServices(config, settings, logger, 'worker', { mirror: services.mirror });
  await services.ready();
  await workerServices?.ready();
  // Queue depth and locks are read from Redis when scraped, by whichever process is scraped.
  addGaugeSource(readQueues([services.buildQueue, services.deployFlow.cloudQueue, services.deployFlow.deployQueue]));
  addGaugeSource(readLocks(() => services.locks.counts(Object.keys(config.clouds))));
  const metricsOptions = { ...(env.METRICS_TOKEN ? { token: env.METRICS_TOKEN } : {}), onError: (err: unknown) => logger.error({ err }, 'metrics scrape failed') };
  const closers: (() => Promise<void>)[] = [];
  let slackChecked = false;
  if (mode === 'all' || mode === 'worker') {
    const { startWorkers } = await import('./worker/workers.js');
    const worker = await startWorkers(workerServices!, {
      playgroundSandboxFallback: playground !== undefined,
      beforeTakingJobs: async () => {
        await checkSlack(env, logger);
        slackChecked = true;
      },
    });
    closers.push(() => worker.close());
    logger.info({ concurrency: config.worker.concurrency }, 'worker started');
    if (env.WORKER_METRICS_PORT !== undefined) {
      const metricsServer = await startMetricsServer({ ...metricsOptions, port: env.WORKER_METRICS_PORT, healthy: () => redisAnswers(workerServices!.redis, 1000) });
      closers.push(() => metricsServer.close());
      logger.info({ port: metricsServer.port }, `worker metrics on :${metricsServer.port} (GET /metrics, GET /healthz)`);
    }
  }
  if (mode === 'all' || mode === 'web') {
    const [{ createSlackApp }, { webhookRoutes }, { createPlaygroundSecret }, dashboard] = await Promise.all([
      import('./slack/app.js'),
      import('./webhooks/routes.js'),
      import('./slack/playground/playground-secret.js'),
      // The queue dashboard exists only with a password: off by default, never open (and not loaded).
      env.APOLLO_ADMIN_PASSWORD ? import('./admin/queue-dashboard.js') : undefined,
    ]);
    // The playground's secret is random per start (npm run slash reads it from the state dir).
    if (!slackChecked) await checkSlack(env, logger);
    const signingSecret = env.SLACK_SIGNING_SECRET ?? (playground ? await createPlaygroundSecret(env.APOLLO_STATE_DIR) : undefined);
    const slackApp = createSlackApp(services, {
      botToken,
      ...(signingSecret ? { signingSecret } : {}),
      ...(env.SLACK_APP_TOKEN ? { appToken: env.SLACK_APP_TOKEN } : {}),
      ...(slackApiUrl ? { slackApiUrl } : {}),
      ...(playground ? { botUserId: 'UAPOLLOBOT' } : {}),
      port: env.PORT,
      ...(playground ? { host: PLAYGROUND_HOST } : {}),
      casedPrefixes: dashboard ? [dashboard.DASHBOARD_PATH] : [],
      routes: [
        { path: '/metrics', method: ['GET'], handler: metricsHandler(metricsOptions) },
        ...(dashboard && env.APOLLO_ADMIN_PASSWORD
          ? dashboard.queueDashboardRoutes(services, {
              queues: [services.buildQueue, services.deployFlow.cloudQueue, services.deployFlow.deployQueue],
              user: env.APOLLO_ADMIN_USER,
              password: env.APOLLO_ADMIN_PASSWORD,
            })
          : []),
        ...webhookRoutes(services, {
          ...(env.GITHUB_WEBHOOK_SECRET ? { github: env.GITHUB_WEBHOOK_SECRET } : {}),
          ...(env.CI_WEBHOOK_SECRET ? { ci: env.CI_WEBHOOK_SECRET } : {}),
        }),
        // The playground's client (page and API) on the same loopback server as /slack/events.
        ...(playground && signingSecret ? playground.clientRoutes(signingSecret, logger) : []),
      ],
    });
    const { port } = await slackApp.start();
    closers.unshift(() => slackApp.stop());
    logger.info(
      { port, socketMode: Boolean(env.SLACK_APP_TOKEN) },
      `web listening on :${port} (POST /slack/events, GET /healthz, GET /metrics${dashboard ? `, ${dashboard.DASHBOARD_PATH}` : ''})`,
    );
    if (playground) {
      logger.info(`no SLACK_BOT_TOKEN: playground mode, Slack is simulated on ${playground.slack.apiUrl}`);
      process.stdout.write(`\n  apollo playground: open http://${PLAYGROUND_HOST}:${port}/ and type /apollo deploy all HEAD\n\n`);
    }
  }

  // A bug in one request must not take every run down with it: log and carry on.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  process.on('uncaughtException', (err) => logger.error({ err }, 'uncaught exception'));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const close of closers) await close().catch((err: unknown) => logger.warn({ err }, 'error while closing'));
    await services.close();
    await workerServices?.close();
    await playground?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

const mode = (process.argv[2] ?? 'all') as Mode | 'doctor';
if (!['all', 'web', 'worker', 'doctor'].includes(mode)) {
  console.error(`usage: node dist/src/main.js [all|web|worker|doctor] (got ${mode})`);
  process.exit(2);
}
const started = mode === 'doctor' ? runDoctor().then(({ ok }) => process.exit(ok ? 0 : 1)) : main(mode);
started.catch((err: unknown) => {
  // Start-up problems are the operator's to fix: one clear message, never a stack trace.
  if (isApolloError(err)) console.error([`apollo: ${err.message}`, ...err.details.map((d) => `  ${d}`)].join('\n'));
  else console.error(`apollo: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
