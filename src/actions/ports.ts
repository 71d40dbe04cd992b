import type { Logger } from '../logger.js';
import type { AuditEntry } from '../audit/audit-log.js';

/**
 * The few things actions need from the Slack side, as narrow ports: an action says which it uses,
 * and a test gives it just those.
 */
export interface Cards {
  /** Posts a new run's card in `channel`. */
  post(runId: string, channel: string): Promise<unknown>;
  /** Waits until the card shows the run's current state (false: gave up, logged). */
  flush(runId: string): Promise<unknown>;
  /** Asks for the card to catch up soon; never waits. */
  refresh(runId: string): void;
}

export interface AuditTrail {
  audit: { append(entry: Omit<AuditEntry, 'at'>): Promise<void> };
  logger: Pick<Logger, 'warn'>;
}
