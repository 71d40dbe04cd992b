import { mention } from './mention.js';
import { escapeMrkdwn } from './limits.js';
import type { LockHolder } from '../src/queue/cloud-locks.js';
import { clock } from './clock.js';

/** "aws is locked by @ana since 09:12 UTC: load test" / "aws is being deployed by run d3 (@bob) since …". */
export function lockMessage(cloud: string, kind: 'run' | 'sticky', holder: LockHolder, now: number = Date.now()): string {
  if (kind === 'sticky') {
    return `*${cloud}* is locked by ${mention(holder.owner)} since ${clock(holder.since, now)}${holder.reason ? `: ${escapeMrkdwn(holder.reason)}` : ''}`;
  }
  return `*${cloud}* is in use by run \`${holder.runId ?? '?'}\` (${mention(holder.owner)}) since ${clock(holder.since, now)}`;
}
