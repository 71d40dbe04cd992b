import { formatDuration } from '../src/config/duration.js';
import { shortSha } from '../src/git/ref.js';
import type { LastDeploy } from '../src/runs/cloud-state.js';
import { awaitingApproval, runStartedAt, runStatus, type Run } from '../src/runs/run.js';
import { escapeMrkdwn } from './limits.js';
import { hhmm } from './lock-message.js';
import { mention } from './mention.js';

/** `/apollo status`: the unfinished runs, and what each cloud last had deployed. */
export function renderStatus(active: Run[], clouds: { cloud: string; last?: LastDeploy }[], now: number = Date.now()): string {
  const runs = active.map((run) => {
    const what = run.kind === 'build' ? 'build' : `deploy to ${run.laneNames.map(escapeMrkdwn).join(', ')}`;
    const state = awaitingApproval(run) ? 'waiting for approval' : runStatus(run);
    const started = runStartedAt(run);
    return `• \`${run.id}\` ${what} of \`${shortSha(run.sha)}\` by ${mention(run.requestedBy)}: ${state}${started ? ` for ${formatDuration(now - started)}` : ''}`;
  });
  const lines = clouds.map(({ cloud, last }) =>
    last
      ? `• *${escapeMrkdwn(cloud)}*: \`${shortSha(last.sha)}\` (${escapeMrkdwn(last.ref)}) deployed by ${mention(last.by || '?')} at ${hhmm(last.at)} on ${new Date(last.at).toISOString().slice(0, 10)} (run \`${last.runId}\`)`
      : `• *${escapeMrkdwn(cloud)}*: nothing deployed yet`,
  );
  return ['*Queued and running*', ...(runs.length ? runs : ['• nothing']), '', '*Clouds*', ...(lines.length ? lines : ['• none configured'])].join('\n');
}
