import type { AuditEntry } from '../src/audit/audit-log.js';
import { shortSha } from '../src/git/ref.js';
import type { CloudDeploy } from '../src/runs/cloud-state.js';
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
  'destroy.confirmed': 'confirmed a destroy of',
  'deploy.extended': 'extended the lifetime of',
  'deploy.lifetime-ended': 'destroyed at the end of its lifetime',
  'run.cancelled': 'cancelled',
  'lock.set': 'locked',
  'lock.removed': 'unlocked',
  'queue.retried': 'retried from the queue dashboard',
  'queue.cleaned': 'cleaned from the queue dashboard',
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
    if (e.queue) parts.push(e.jobId ? `job \`${escapeMrkdwn(e.jobId)}\` of ${escapeMrkdwn(e.queue)}` : `every ${escapeMrkdwn(e.jobState ?? '')} job of ${escapeMrkdwn(e.queue)}`);
    if (e.reason) parts.push(`— ${escapeMrkdwn(e.reason.slice(0, 200))}`);
    return `• ${parts.join(' ')}`;
  });
  return [`*History${cloud ? ` of ${escapeMrkdwn(cloud)}` : ''}* (newest first)`, ...lines].join('\n');
}

const OUTCOME_ICON: Record<CloudDeploy['outcome'], string> = { passed: '✅', failed: '❌', cancelled: '🚫', interrupted: '⚠️' };

/** A card link from Slack's own chat.getPermalink; anything else is not linked. */
function cardLink(link: string | undefined): string {
  return link && /^https:\/\/[^\s|<>]+$/.test(link) ? ` · <${link}|card>` : '';
}

/**
 * `/apollo history <cloud>`: the cloud's last deploys (commit, who, when, outcome, the run's card),
 * newest first, then the audit stream's entries for it.
 */
export function renderCloudHistory(cloud: string, deploys: CloudDeploy[], entries: AuditEntry[]): string {
  const stamp = (at: number) => {
    const when = new Date(at).toISOString();
    return `${when.slice(8, 10)}/${when.slice(5, 7)} ${when.slice(11, 16)} UTC`;
  };
  const lines = deploys.map(
    (d) => `• ${stamp(d.at)} · ${OUTCOME_ICON[d.outcome]} \`${shortSha(d.sha)}\`${d.ref !== d.sha && !d.sha.startsWith(d.ref) ? ` (${escapeMrkdwn(d.ref.slice(0, 60))})` : ''} by ${mention(d.by)} · ${d.outcome} · run \`${escapeMrkdwn(d.runId)}\`${cardLink(d.link)}`,
  );
  const deploysPart = [`*Deploys of ${escapeMrkdwn(cloud)}* (newest first)`, ...(lines.length ? lines : ['• none yet'])].join('\n');
  return entries.length > 0 ? `${deploysPart}\n\n${renderHistory(entries, cloud)}` : deploysPart;
}
