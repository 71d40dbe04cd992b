import type { Config } from '../src/config/schema.js';
import type { Message } from '../views/limits.js';
import type { ModalView } from '@slack/types';
import type { RequestBuildDeps } from '../src/actions/request-build.js';
import type { RequestDeployDeps } from '../src/actions/request-deploy.js';
import type { CancelRunDeps } from '../src/actions/cancel-run.js';
import type { LockCloudDeps } from '../src/actions/lock-cloud.js';
import type { RunStore } from '../src/runs/run-store.js';
import type { CloudState } from '../src/runs/cloud-state.js';
import type { CloudLocks } from '../src/queue/cloud-locks.js';
import type { AuditLog } from '../src/audit/audit-log.js';

/**
 * What commands use: the actions' own dependencies, and the read-only stores behind status,
 * locks and history. No Redis client, no keys: stores own those.
 */
export type CommandDeps = RequestBuildDeps &
  RequestDeployDeps &
  CancelRunDeps &
  LockCloudDeps & {
    config: Config;
    runs: Pick<RunStore, 'get' | 'recentIds'>;
    cloudState: Pick<CloudState, 'lastDeploy' | 'current' | 'history'>;
    locks: Pick<CloudLocks, 'state'>;
    audit: Pick<AuditLog, 'latest'>;
  };

/** Who asked, where, and how to answer them privately. */
export interface CommandContext {
  userId: string;
  channelId: string;
  /** Sends an ephemeral message (text, or Block Kit with buttons) to the person who typed the command. */
  reply: (message: string | Message) => Promise<void>;
  /** Opens a modal for the person who typed the command (its trigger id). */
  openView?: (view: ModalView) => Promise<void>;
  services: CommandDeps;
}

export interface CommandDefinition<Args> {
  name: string;
  usage: string;
  summary: string;
  /**
   * Whether it makes the bot act (run code, change a lock, cancel): acting commands are refused to
   * guests, Slack Connect users and in DMs; reading ones (help, status…) are not.
   */
  acts: boolean;
  /** Turns the words after the subcommand into typed arguments; throws ApolloError(UsageInvalid). */
  parse: (args: string[], config: Config) => Args;
  run: (args: Args, context: CommandContext) => Promise<void>;
  /**
   * The reply, when it is known at once (no Redis, no Slack, no process): it goes in the ack's own
   * body, inside Slack's 3 s and without a second request, and `run` is not called.
   */
  answerAtOnce?: (args: Args) => string;
}

export function defineCommand<Args>(definition: CommandDefinition<Args>): CommandDefinition<Args> {
  return definition;
}
