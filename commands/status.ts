import { z } from 'zod';
import { formatDuration } from '../src/config/duration.js';
import { hhmm } from '../views/lock-message.js';
import { shortSha } from '../src/git/ref.js';
import { awaitingApproval, isRunDone, runStartedAt, runStatus } from '../src/runs/run.js';
import { mention } from '../views/mention.js';
import { escapeMrkdwn } from '../views/limits.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

/** How far back `/apollo status` looks for runs still queued or running. */
const RECENT_RUNS = 200;

export const statusCommand = defineCommand({
  name: 'status',
  acts: false,
  usage: '/apollo status',
  summary: 'queued and running runs, and what each cloud runs now',
  parse: (args) => parseArgs(z.tuple([]), args, '/apollo status'),
  async run(_args, { reply, services }) {
    const { runs, cloudState, config } = services;
    const active: string[] = [];
    for (const id of await runs.recentIds(RECENT_RUNS)) {
      const run = await runs.get(id);
      if (!run || isRunDone(run)) continue;
      const what = run.kind === 'build' ? 'build' : `deploy to ${run.laneNames.join(', ')}`;
      const state = awaitingApproval(run) ? 'waiting for approval' : runStatus(run);
      const started = runStartedAt(run);
      active.push(`• \`${run.id}\` ${what} of \`${shortSha(run.sha)}\` by ${mention(run.requestedBy)}: ${state}${started ? ` for ${formatDuration(Date.now() - started)}` : ''}`);
    }
    const clouds: string[] = [];
    for (const cloud of Object.keys(config.clouds)) {
      const last = await cloudState.lastDeploy(cloud);
      clouds.push(
        last
          ? `• *${cloud}*: \`${shortSha(last.sha)}\` (${escapeMrkdwn(last.ref)}) deployed by ${mention(last.by || '?')} at ${hhmm(last.at)} on ${new Date(last.at).toISOString().slice(0, 10)} (run \`${last.runId}\`)`
          : `• *${cloud}*: nothing deployed yet`,
      );
    }
    await reply([`*Queued and running*`, ...(active.length ? active : ['• nothing']), '', '*Clouds*', ...(clouds.length ? clouds : ['• none configured'])].join('\n'));
  },
});
