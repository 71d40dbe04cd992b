import { mention } from './mention.js';
import { escapeMrkdwn } from './limits.js';
import type { LockHolder } from '../src/queue/cloud-locks.js';

export function hhmm(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(11, 16)} UTC`;
}

/** "aws is locked by @ana since 09:12 UTC: load test" / "aws is being deployed by run d3 (@bob) since …". */
export function lockMessage(cloud: string, kind: 'run' | 'sticky', holder: LockHolder): string {
  if (kind === 'sticky') {
    return `*${cloud}* is locked by ${mention(holder.owner)} since ${hhmm(holder.since)}${holder.reason ? `: ${escapeMrkdwn(holder.reason)}` : ''}`;
  }
  return `*${cloud}* is in use by run \`${holder.runId ?? '?'}\` (${mention(holder.owner)}) since ${hhmm(holder.since)}`;
}
