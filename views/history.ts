import type { AuditEntry } from '../src/audit/audit-log.js';
import { shortSha } from '../src/git/ref.js';
import { escapeMrkdwn } from './limits.js';
import { mention } from './mention.js';

const VERB: Record<AuditEntry['action'], string> = {
  'build.requested': 'started build',
  'deploy.requested': 'asked to deploy',
  'deploy.approved': 'approved deploy',
  'deploy.approval-counted': 'gave one approval to deploy',
  'deploy.forced': 'forced past the green-build gate',
  'deploy.rejected': 'rejected deploy',
  'deploy.expired': 'saw expire deploy request',
  'destroy.requested': 'destroyed',
  'deploy.extended': 'extended the lifetime of',
  'deploy.lifetime-ended': 'destroyed at the end of its lifetime',
  'run.cancelled': 'cancelled',
  'lock.set': 'locked',
  'lock.removed': 'unlocked',
};

/** One line per audit entry, newest first: `26 Nov 09:12 UTC · @ana approved deploy d13 (4d124eb) to aws`. */
export function renderHistory(entries: AuditEntry[], cloud?: string): string {
  if (entries.length === 0) return cloud ? `Nothing recorded for *${escapeMrkdwn(cloud)}* yet.` : 'Nothing recorded yet.';
  const lines = entries.map((e) => {
    const when = new Date(e.at).toISOString();
    const stamp = `${when.slice(8, 10)}/${when.slice(5, 7)} ${when.slice(11, 16)} UTC`;
    const parts = [`${stamp} · ${mention(e.by)} ${VERB[e.action]}`];
    if (e.runId) parts.push(`\`${e.runId}\``);
    if (e.commit) parts.push(`(\`${shortSha(e.commit)}\`)`);
    if (e.clouds?.length) parts.push(`${e.action.startsWith('lock') ? '' : 'to '}${e.clouds.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')}`.trim());
    if (e.reason) parts.push(`— ${escapeMrkdwn(e.reason.slice(0, 200))}`);
    return `• ${parts.join(' ')}`;
  });
  return [`*History${cloud ? ` of ${escapeMrkdwn(cloud)}` : ''}* (newest first)`, ...lines].join('\n');
}
