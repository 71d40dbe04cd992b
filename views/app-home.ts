import type { Button, HomeView, KnownBlock } from '@slack/types';
import { shortSha } from '../src/git/ref.js';
import { awaitingApproval, runStatus, type Run } from '../src/runs/run.js';
import type { AppHome, HomeCloud } from '../src/actions/app-home.js';
import { ACTION } from './actions.js';
import { button, capBlocks, clamp, context, escapeMrkdwn, header, LIMITS, section } from './limits.js';
import { clock } from './clock.js';
import { mention } from './mention.js';
import { STATUS_ICON, STATUS_WORD } from './icons.js';

function cloudLine({ cloud, live, locks, current, running }: HomeCloud): string {
  const parts = [`*${escapeMrkdwn(cloud)}*`];
  parts.push(live ? `\`${shortSha(live.sha)}\` (${escapeMrkdwn(clamp(live.ref, 60))}) by ${mention(live.by || '?')} at ${clock(live.at)} (run \`${escapeMrkdwn(live.runId)}\`)` : 'nothing deployed');
  if (locks.sticky) parts.push(`🔒 locked by ${mention(locks.sticky.owner)}${locks.sticky.reason ? `: ${escapeMrkdwn(clamp(locks.sticky.reason, 100))}` : ''}`);
  if (running) parts.push(`🔄 run \`${escapeMrkdwn(running)}\` is running on it`);
  if (current?.keepUntil !== undefined) parts.push(`⏲️ destroyed automatically at ${clock(current.keepUntil)}`);
  return `• ${parts.join(' · ')}`;
}

function runLine(run: Run): string {
  const what = run.kind === 'build' ? 'build' : `deploy to ${run.laneNames.map(escapeMrkdwn).join(', ')}`;
  const state = awaitingApproval(run) ? '⏳ waiting for approval' : run.decision && run.decision.state !== 'approved' ? run.decision.state : `${STATUS_ICON[runStatus(run)]} ${STATUS_WORD[runStatus(run)]}`;
  return `• \`${run.id}\` ${what} of \`${shortSha(run.sha)}\`: ${state}`;
}

/**
 * A person's App Home: a button to ask for a deploy, every cloud (live commit, lock, expiry,
 * running run), the requests waiting for their approval with Approve and Reject, and their
 * recent runs. Rendered for that person only, each time they open it.
 */
export function renderAppHome(home: AppHome): HomeView {
  const blocks: KnownBlock[] = [
    header('Apollo'),
    { type: 'actions', block_id: 'home:request', elements: [button('Request a deploy', ACTION.deployForm, 'home', 'primary')] },
    section(['*Clouds*', ...(home.clouds.length ? home.clouds.map(cloudLine) : ['• none configured'])].join('\n')),
    section(`*Waiting for your approval*${home.toApprove.length ? '' : '\n• nothing'}`),
  ];
  for (const run of home.toApprove) {
    const approved = run.approvals?.length ? ` · approved so far by ${run.approvals.map((a) => mention(a.by)).join(', ')}` : '';
    blocks.push(section(`\`${run.id}\`: ${mention(run.requestedBy)} asks to deploy \`${shortSha(run.sha)}\` to ${run.laneNames.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')}${run.subject ? ` — ${escapeMrkdwn(clamp(run.subject, 120))}` : ''}${approved}`));
    const elements: Button[] = [button('Approve', ACTION.approve, run.id, 'primary'), button('Reject', ACTION.reject, run.id, 'danger')];
    blocks.push({ type: 'actions', block_id: `home-approval:${run.id}`, elements });
  }
  blocks.push(section(['*Your recent runs*', ...(home.mine.length ? home.mine.map(runLine) : ['• none'])].join('\n')));
  blocks.push(context([`Shown as it was when you opened this tab; open it again to refresh.`]));
  return { type: 'home', blocks: capBlocks(blocks, LIMITS.blocksPerView) };
}
