import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { Keys } from '../redis/keys.js';
import type { RunStore } from '../runs/run-store.js';
import type { CloudState } from '../runs/cloud-state.js';
import type { Once } from '../runs/once.js';
import type { CloudLocks } from '../queue/cloud-locks.js';
import type { CancelBus } from '../queue/cancel-bus.js';
import type { GitMirror } from '../git/mirror.js';
import type { LogStore } from '../logs/log-store.js';
import type { Redactor } from '../redaction/redactor.js';
import type { SlackPoster } from '../slack/slack-poster.js';
import type { CardNotifier } from '../slack/card-notifier.js';
import type { VerdictDeps } from '../slack/post-verdict.js';
import type { ExpiryQueue } from '../queue/expiry-queue.js';
import type { DeployFlow } from '../queue/deploy-flow.js';
import type { AuditEntry } from '../audit/audit-log.js';
import type { ApprovalRequests } from '../runs/approval-requests.js';
import type { GreenBuilds } from '../runs/green-builds.js';

/** The worker's own settings (a subset of the process's runtime settings). */
export interface WorkerSettings {
  redisUrl: string;
  stateDir: string;
  /** Grace between SIGTERM and SIGKILL when a step is stopped. */
  killGraceMs?: number;
}

/**
 * What the job processors use. The composition root's `Services` satisfies it; the processors
 * never see the Slack app, the webhook routes or anything else of the web side.
 */
export interface WorkerDeps extends VerdictDeps {
  config: Config;
  settings: WorkerSettings;
  logger: Logger;
  runs: RunStore;
  cloudState: CloudState;
  once: Once;
  locks: CloudLocks;
  cancelBus: CancelBus;
  mirror: GitMirror;
  logs: LogStore;
  redactor: Redactor;
  slack: SlackPoster;
  notifier: Pick<CardNotifier, 'refresh' | 'flush' | 'settle' | 'idle' | 'resumeSettling'>;
  expiry: Pick<ExpiryQueue, 'schedule'>;
  /** A passed build makes its commit green for the deploy gate. */
  greenBuilds: Pick<GreenBuilds, 'record'>;
  /** An expired request is closed (the approval timer's job). */
  approvals: Pick<ApprovalRequests, 'close'>;
  /** The automatic destroy starts a destroy flow and audits it, as the Destroy button does. */
  deployFlow: Pick<DeployFlow, 'add'>;
  audit: { append(entry: Omit<AuditEntry, 'at'>): Promise<void> };
  /** The stall watcher's cursor and BullMQ's key prefix. */
  keys: Pick<Keys, 'stallCursor' | 'bullPrefix'>;
  redis: Pick<Redis, 'get' | 'set'>;
}
