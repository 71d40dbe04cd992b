import type { Button, KnownBlock } from '@slack/types';
import { formatDuration } from '../src/config/duration.js';
import { shortSha } from '../src/git/ref.js';
import type { LastDeploy } from '../src/runs/cloud-state.js';
import { awaitingApproval, needsCleanup, runStartedAt, runStatus, type Run } from '../src/runs/run.js';
import { ACTION } from './actions.js';
import { button, capBlocks, clamp, escapeMrkdwn, inlineCode, LIMITS, linesToSections, type Message } from './limits.js';
import { clock } from './clock.js';
import { mention } from './mention.js';

/** What `/apollo status` knows of one cloud: its last deploy, and the run that carries it now. */
export interface CloudStatus {
  cloud: string;
  last?: LastDeploy;
  /** The run whose resources the cloud holds (`CloudState.current`), when there is one. */
  current?: Run;
}

/** The clouds whose ephemeral teardown failed, each with its run: these get a Destroy button. */
function cleanupRuns(clouds: CloudStatus[]): Map<string, string[]> {
  const runs = new Map<string, string[]>();
  for (const { cloud, current } of clouds) {
    const lane = current?.lanes.find((l) => l.name === cloud);
    if (!current || current.destroy || !lane || !needsCleanup(lane)) continue;
    runs.set(current.id, [...(runs.get(current.id) ?? []), cloud]);
  }
  return runs;
}

function cloudLine({ cloud, last, current }: CloudStatus, now: number): string {
  const name = `*${escapeMrkdwn(cloud)}*`;
  const lane = current?.lanes.find((l) => l.name === cloud);
  if (current && lane && needsCleanup(lane)) {
    const where = current.message?.channel ?? current.channel;
    const destroying = current.destroy ? ': its destroy was asked for' : where.startsWith('D') ? ': Destroy it from its card' : `: Destroy it from its card in <#${where}>`;
    return `• ⚠️ ${name}: *needs cleanup* — the teardown of run ${inlineCode(current.id)} (\`${shortSha(current.sha)}\`) did not finish${destroying}`;
  }
  if (!last) return `• ${name}: nothing deployed yet`;
  const expiry = current?.id === last.runId && current.keepUntil !== undefined ? ` · ⏲️ destroyed automatically at ${clock(current.keepUntil, now)}` : '';
  return `• ${name}: \`${shortSha(last.sha)}\` (${escapeMrkdwn(last.ref)}) deployed by ${mention(last.by || '?')} at ${clock(last.at, now)} (run \`${last.runId}\`)${expiry}`;
}

/**
 * `/apollo status`: the unfinished runs, and per cloud what it runs now, when that expires, and
 * whether a failed teardown left it needing cleanup (with a Destroy button for that run).
 */
export function renderStatus(active: Run[], clouds: CloudStatus[], now: number = Date.now(), channel?: string): Message {
  const runs = active.map((run) => {
    const what = run.kind === 'build' ? 'build' : `deploy to ${run.laneNames.map(escapeMrkdwn).join(', ')}`;
    const state = awaitingApproval(run) ? 'waiting for approval' : runStatus(run);
    const started = runStartedAt(run);
    return `• \`${run.id}\` ${what} of \`${shortSha(run.sha)}\` by ${mention(run.requestedBy)}: ${state}${started ? ` for ${formatDuration(now - started)}` : ''}`;
  });
  const lines = clouds.map((cloud) => cloudLine(cloud, now));
  const text = ['*Queued and running*', ...(runs.length ? runs : ['• nothing']), '', '*Clouds*', ...(lines.length ? lines : ['• none configured'])].join('\n');
  // A button acts only in its run's channel (the action checks): elsewhere the line points at the card.
  const here = clouds.filter((c) => channel === undefined || c.current?.channel === channel || c.current?.message?.channel === channel);
  const buttons: Button[] = [...cleanupRuns(here)].slice(0, 25).map(([runId, names]) =>
    button(
      `Destroy ${names.join(', ')} (${runId})`,
      ACTION.destroy,
      runId,
      'danger',
    ),
  );
  const blocks: KnownBlock[] = capBlocks(linesToSections(text.split('\n').filter((l) => l !== '')), LIMITS.blocksPerMessage - 1);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'status:cleanup', elements: buttons });
  return { text: clamp(text, LIMITS.fallbackText), blocks };
}
