import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { RunStore } from '../runs/run-store.js';
import type { LogStore } from '../logs/log-store.js';
import { clickedInRunChannel } from '../access/run-channel.js';

/** Which lane's log: a cloud's deploy (or a build), its plan before the approval, or its destroy. */
export type LogPhase = 'run' | 'destroy' | 'plan';

/** Where a run's log goes: a file in the card's thread (the Slack side words its name and title). */
export interface LogUploader {
  uploadRunLog(thread: { channel: string; ts: string }, log: { runId: string; lane: string; phase: LogPhase; text: string }): Promise<void>;
}

/** What the Logs button touches. */
export interface UploadLogDeps {
  config: Pick<Config, 'access'>;
  access: Pick<Access, 'allows'>;
  runs: Pick<RunStore, 'get'>;
  logs: Pick<LogStore, 'get' | 'retentionMs'>;
  slack: LogUploader;
}

export type UploadLogOutcome =
  | { kind: 'uploaded' }
  | { kind: 'gone' }
  | { kind: 'wrong-channel' }
  | { kind: 'not-reader'; runKind: 'build' | 'deploy' }
  | { kind: 'no-log'; runId: string; lane: string; retentionMs: number };

/**
 * The Logs button: the cloud's full (already redacted) log, uploaded into the card's thread. Allowed
 * to whoever may start that kind of run (builders, deployers) and to approvers, from the run's channel.
 */
export async function uploadLog(deps: UploadLogDeps, runId: string, lane: string, phase: LogPhase, user: string, channel?: string): Promise<UploadLogOutcome> {
  const { access, config, runs, logs, slack } = deps;
  const run = await runs.get(runId);
  if (!run?.message) return { kind: 'gone' };
  if (!clickedInRunChannel(run, channel)) return { kind: 'wrong-channel' };
  const readers = run.kind === 'build' ? (config.access.builders ?? config.access.deployers) : config.access.deployers;
  if (!(await access.allows(readers, user)) && !(await access.allows(config.access.approvers, user))) return { kind: 'not-reader', runKind: run.kind };
  const key = phase === 'run' ? lane : `${phase}-${lane}`;
  const log = await logs.get(runId, key);
  if (log === undefined) return { kind: 'no-log', runId, lane, retentionMs: logs.retentionMs };
  await slack.uploadRunLog(run.message, { runId, lane, phase, text: log });
  return { kind: 'uploaded' };
}
