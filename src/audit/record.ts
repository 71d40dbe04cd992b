import type { AuditEntry } from './audit-log.js';
import type { Logger } from '../logger.js';

/** Records an audit entry; a failed append is logged, never a reason to refuse the action. */
export async function audit(deps: { audit: { append(entry: Omit<AuditEntry, 'at'>): Promise<void> }; logger: Pick<Logger, 'warn'> }, entry: Omit<AuditEntry, 'at'>): Promise<void> {
  await deps.audit.append(entry).catch((err: unknown) => deps.logger.warn({ err, action: entry.action }, 'audit append failed'));
}
