import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { RunStore } from '../runs/run-store.js';
import type { ExpiryQueue } from '../queue/expiry-queue.js';
import { reminderAt } from '../queue/expiry-queue.js';
import { audit } from '../audit/record.js';
import { clickedInRunChannel } from '../access/run-channel.js';
import type { AuditTrail, Cards } from './ports.js';

/** What Extend touches. */
export interface ExtendKeepDeps extends AuditTrail {
  config: Pick<Config, 'access' | 'deploy'>;
  access: Pick<Access, 'allows'>;
  runs: Pick<RunStore, 'get' | 'moveKeep'>;
  expiry: Pick<ExpiryQueue, 'schedule'>;
  notifier: Pick<Cards, 'refresh'>;
}

export type ExtendOutcome =
  | { kind: 'extended'; until: number }
  | { kind: 'gone' }
  | { kind: 'wrong-channel' }
  | { kind: 'not-kept' }
  | { kind: 'not-allowed' }
  | { kind: 'at-most'; until: number; maxMs: number };

/**
 * Extend, on the reminder before an automatic destroy: the deploy lives `keepMs` longer (its own
 * lifetime again, from now or from its current end, whichever is later), but never more than
 * `deploy.maxKeep` from now. The requester, the approvers and the destroyers may extend. New timers
 * are added; the old ones find the lifetime moved and do nothing.
 */
export async function extendKeep(deps: ExtendKeepDeps, runId: string, user: string, channel?: string, now: number = Date.now()): Promise<ExtendOutcome> {
  const { runs, config, access, expiry, notifier } = deps;
  const run = await runs.get(runId);
  if (!run || run.kind !== 'deploy') return { kind: 'gone' };
  if (!clickedInRunChannel(run, channel)) return { kind: 'wrong-channel' };
  if (run.keepUntil === undefined || run.keepMs === undefined || run.destroy) return { kind: 'not-kept' };
  const allowed = user === run.requestedBy || (await access.allows(config.access.approvers, user)) || (await access.allows(config.access.destroyers ?? config.access.approvers, user));
  if (!allowed) return { kind: 'not-allowed' };
  const maxMs = config.deploy?.maxKeep ?? run.keepMs;
  const until = Math.min(Math.max(now, run.keepUntil) + run.keepMs, now + maxMs);
  if (until <= run.keepUntil) return { kind: 'at-most', until: run.keepUntil, maxMs };
  // Only from the end it had, and while nothing is being destroyed: its own timer may be firing now.
  if (!(await runs.moveKeep(runId, run.keepUntil, until))) return { kind: 'not-kept' };
  await expiry.schedule(runId, until, reminderAt(until, run.keepMs, config.deploy?.keepReminder ?? 0));
  await audit(deps, { action: 'deploy.extended', by: user, runId, commit: run.sha, clouds: run.laneNames, reason: `until ${new Date(until).toISOString()}` });
  notifier.refresh(runId);
  return { kind: 'extended', until };
}
