import { z } from 'zod';
import { approvalExpired, isRunDone, type Run } from '../src/runs/run.js';
import { renderStatus, type CloudStatus } from '../views/status.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

const NoArgs = z.tuple([]);

/** How far back `/apollo status` looks for runs still queued or running. */
const RECENT_RUNS = 200;

export const statusCommand = defineCommand({
  name: 'status',
  acts: false,
  usage: '/apollo status',
  summary: 'queued and running runs, and what each cloud runs now',
  parse: (args) => parseArgs(NoArgs, args, '/apollo status'),
  async run(_args, { reply, services, channelId }) {
    const { runs, cloudState, config } = services;
    const active: Run[] = [];
    const now = Date.now();
    for (const id of await runs.recentIds(RECENT_RUNS)) {
      const run = await runs.get(id);
      // A request past its approval time is over, even before its timer has redrawn the card.
      if (run && !isRunDone(run) && !approvalExpired(run, now)) active.push(run);
    }
    const clouds = await Promise.all(
      Object.keys(config.clouds).map(async (cloud): Promise<CloudStatus> => {
        const [last, currentId] = await Promise.all([cloudState.lastDeploy(cloud), cloudState.current(cloud)]);
        const current = currentId ? await runs.get(currentId) : undefined;
        return { cloud, ...(last ? { last } : {}), ...(current ? { current } : {}) };
      }),
    );
    await reply(renderStatus(active, clouds, Date.now(), channelId));
  },
});
