import type { Services } from '../services.js';
import type { AuditEntry } from './audit-log.js';

/** Records an audit entry; a failed append is logged, never a reason to refuse the action. */
export async function audit(services: Services, entry: Omit<AuditEntry, 'at'>): Promise<void> {
  await services.audit.append(entry).catch((err: unknown) => services.logger.warn({ err, action: entry.action }, 'audit append failed'));
}
