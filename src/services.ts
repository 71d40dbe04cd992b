import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { WebClientOptions } from '@slack/web-api';
import { MeteredWebClient } from './slack/metered-web-client.js';
import type { Config } from './config/schema.js';
import { GitMirror } from './git/mirror.js';
import type { Logger } from './logger.js';
import { createBuildQueue } from './queue/build-queue.js';
import { ExpiryQueue } from './queue/expiry-queue.js';
import { DeployFlow } from './queue/deploy-flow.js';
import { CloudLocks } from './queue/cloud-locks.js';
import { Access } from './access/access.js';
import { RequesterPolicy } from './access/requester-policy.js';
import { UserLimits } from './access/user-limits.js';
import { requiredApprovals } from './access/cloud-policy.js';
import { LogStore } from './logs/log-store.js';
import { Redactor } from './redaction/redactor.js';
import { configuredSecretValues } from './config/cloud-env.js';
import { CancelBus } from './queue/cancel-bus.js';
import { AuditLog } from './audit/audit-log.js';
import { answersRecently, createRedis, waitReady } from './redis/connection.js';
import { Keys } from './redis/keys.js';
import { RunStore } from './runs/run-store.js';
import { CloudState } from './runs/cloud-state.js';
import { ApprovalRequests } from './runs/approval-requests.js';
import { Once } from './runs/once.js';
import { GreenBuilds } from './runs/green-builds.js';
import { SlackEvents } from './runs/slack-events.js';
import { CardNotifier, type CardNotifierOptions } from './slack/card-notifier.js';
import { SlackPoster } from './slack/slack-poster.js';

/** Settings a process needs besides the config file, resolved from the environment. */
export interface RuntimeSettings {
  redisUrl: string;
  redisPrefix: string;
  stateDir: string;
  /** The config file, hidden from steps (it may hold secret values). */
  configPath?: string;
  botToken: string;
  slackApiUrl?: string;
  notifier?: CardNotifierOptions;
  /** Grace between SIGTERM and SIGKILL when a step is stopped. */
  killGraceMs?: number;
  /** Job lock and stall-check timing (defaults: 30 s each; see src/worker/stall-recovery.ts). */
  stall?: { lockDurationMs: number; stalledIntervalMs: number };
}

/** Everything a web or worker process uses, built once at start-up and closed at shutdown. */
export interface Services {
  config: Config;
  settings: RuntimeSettings;
  logger: Logger;
  keys: Keys;
  /** Fail-fast (web) or patient (worker) connection, see Role. */
  redis: Redis;
  runs: RunStore;
  /** What each cloud carries now and last had deployed. */
  cloudState: CloudState;
  /** Deploys' open approval requests (their expiry). */
  approvals: ApprovalRequests;
  /** Events API deliveries already handled (retries do nothing twice). */
  slackEvents: SlackEvents;
  /** Commits that passed a build or CI (the deploy gate). */
  greenBuilds: GreenBuilds;
  /** Things done once per run (failures in the thread, verdict in the team channel). */
  once: Once;
  mirror: GitMirror;
  slack: SlackPoster;
  notifier: CardNotifier;
  buildQueue: ReturnType<typeof createBuildQueue>;
  deployFlow: DeployFlow;
  /** The timers of deploys with a lifetime (reminder, automatic destroy). */
  expiry: ExpiryQueue;
  locks: CloudLocks;
  access: Access;
  /** Which teams, users and channels may talk to the bot and make it act. */
  requesters: RequesterPolicy;
  /** Per-person limits on unfinished runs and lock changes. */
  limits: UserLimits;
  logs: LogStore;
  /** Every text for Slack passes it (SlackPoster applies it; replies through response_url too). */
  redactor: Redactor;
  cancelBus: CancelBus;
  audit: AuditLog;
  /** Whether Redis answers within `timeoutMs` (commands say the queue is down in their ack). */
  queueAnswers(timeoutMs: number): Promise<boolean>;
  /** Resolves when the request-path connections are ready (they refuse commands until then). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function slackClientOptions(slackApiUrl: string | undefined): WebClientOptions {
  return {
    ...(slackApiUrl ? { slackApiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/` } : {}),
    // Fail rather than wait half an hour inside the client: the notifier decides what to retry.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    // A hung connection must not hold a job (and its cloud lock): the notifier retries instead.
    timeout: 10_000,
    rejectRateLimitedCalls: true,
  };
}

/**
 * `web` services fail fast when Redis is down (a person is waiting for an answer); `worker`
 * services wait for Redis to come back (a running step's result must not be lost).
 */
export type Role = 'web' | 'worker';

export function createServices(
  config: Config,
  settings: RuntimeSettings,
  logger: Logger,
  role: Role = 'web',
  /** Pieces to share with services already made in this process (one mirror per directory). */
  shared: { mirror?: GitMirror } = {},
): Services {
  const keys = new Keys(settings.redisPrefix);
  const kind = role === 'web' ? 'failFast' : 'blocking';
  // No auto-pipelining (ioredis's `enableAutoPipelining`): it batched the web's commands of one tick
  // (4.4 rather than 5.2 ms of CPU per build request), but it delays each write to the end of the
  // tick and behind the pipeline in flight, and with it the Redis-outage fault suite failed about
  // one run in six (its queued build's card never showed the verdict; none in ten without it).
  // Writes made just before Redis stops are the likely casualty (docs/performance.md).
  const redis = createRedis(settings.redisUrl, kind);
  const runs = new RunStore(redis, keys);
  // Counted: calls by method and outcome, HTTP attempts by status (apollo_slack_api_*).
  const client = new MeteredWebClient(settings.botToken, slackClientOptions(settings.slackApiUrl));
  const redactor = new Redactor(configuredSecretValues(config));
  const slack = new SlackPoster(client, redactor);
  const notifier = new CardNotifier({ redis, keys, runs, slack, logger }, {
    ...settings.notifier,
    card: { destroyConfigured: config.destroy !== undefined, testSuites: (config.deploy?.tests ?? []).map((t) => t.name), requiredApprovals: requiredApprovals(config), destroyConfirm: { required: config.destroy?.requiredApprovals ?? 1, ttlMs: config.access.approvalTtl } },
  });
  // BullMQ producers get their own connection: the Queue reuses it for every add.
  const queueConnection = createRedis(settings.redisUrl, kind);
  const buildQueue = createBuildQueue(queueConnection, keys);
  const deployFlow = new DeployFlow(queueConnection, keys);
  const expiry = new ExpiryQueue(queueConnection, keys);
  const mirror = shared.mirror ?? new GitMirror(config.repository, resolve(settings.stateDir));
  return {
    config,
    settings,
    logger,
    keys,
    redis,
    runs,
    cloudState: new CloudState(redis, keys),
    approvals: new ApprovalRequests(redis, keys),
    once: new Once(redis, keys),
    greenBuilds: new GreenBuilds(redis, keys),
    slackEvents: new SlackEvents(redis, keys),
    mirror,
    slack,
    notifier,
    buildQueue,
    deployFlow,
    expiry,
    locks: new CloudLocks(redis, keys),
    access: new Access(client, redis, keys),
    requesters: new RequesterPolicy({ client, redis, keys, ...(config.access.teams ? { teams: config.access.teams } : {}) }),
    limits: new UserLimits({ redis, keys, runs }, config.access.limits),
    logs: new LogStore(redis, keys, config.worker.logRetention),
    redactor,
    cancelBus: new CancelBus(redis, keys),
    audit: new AuditLog(redis, keys),
    queueAnswers: answersRecently(redis),
    async ready() {
      await Promise.all([waitReady(redis), waitReady(queueConnection)]);
    },
    async close() {
      mirror.close();
      await buildQueue.close();
      await deployFlow.close();
      await expiry.close();
      queueConnection.disconnect();
      redis.disconnect();
    },
  };
}
