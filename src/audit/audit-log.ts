import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

export type AuditAction =
  | 'build.requested'
  | 'deploy.requested'
  | 'deploy.approved'
  | 'deploy.approval-counted'
  | 'deploy.forced'
  | 'deploy.rejected'
  | 'deploy.expired'
  | 'destroy.requested'
  | 'destroy.confirmed'
  | 'deploy.extended'
  | 'deploy.lifetime-ended'
  | 'run.cancelled'
  | 'lock.set'
  | 'lock.removed'
  | 'queue.retried'
  | 'queue.cleaned';

export interface AuditEntry {
  action: AuditAction;
  /** Slack user id (or `github:<login>` for webhook-started runs). */
  by: string;
  at: number;
  runId?: string;
  commit?: string;
  clouds?: string[];
  reason?: string;
  /** Queue dashboard actions: the queue, and the job (one job) or the state (every job in it). */
  queue?: string;
  jobId?: string;
  jobState?: string;
}

/**
 * Entries leave the stream by age only, never by count: a count cap would let one person flush
 * everyone else's history by repeating cheap actions (the per-person limits bound how fast anyone
 * can add entries, so memory stays bounded too).
 */
export const AUDIT_RETENTION_MS = 180 * 24 * 3_600_000;

/**
 * Who did what, when, to which commit and clouds: an append-only Redis stream. It records, it never
 * decides: a failed append is logged by the caller and never blocks the action.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  private get key(): string {
    return this.keys.audit();
  }

  async append(entry: Omit<AuditEntry, 'at'> & { at?: number }): Promise<void> {
    const full: AuditEntry = { ...entry, at: entry.at ?? Date.now() };
    await this.redis.xadd(this.key, 'MINID', '~', String(Math.max(0, Date.now() - AUDIT_RETENTION_MS)), '*', 'entry', JSON.stringify(full));
  }

  /** Newest first; with `cloud`, only entries about that cloud. */
  async latest(limit: number, cloud?: string): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let end = '+';
    while (out.length < limit) {
      const page = await this.redis.xrevrange(this.key, end, '-', 'COUNT', 200);
      if (page.length === 0) break;
      for (const [id, fields] of page) {
        end = `(${id}`;
        const raw = fields[fields.indexOf('entry') + 1];
        if (!raw) continue;
        const entry = JSON.parse(raw) as AuditEntry;
        if (!cloud || entry.clouds?.includes(cloud)) out.push(entry);
        if (out.length >= limit) break;
      }
      if (page.length < 200) break;
    }
    return out;
  }
}
