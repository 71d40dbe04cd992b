import { z } from 'zod';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { renderCloudHistory, renderHistory } from '../views/history.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

const HistoryArgs = z.tuple([z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a cloud name').optional()]);

const HISTORY_LINES = 20;

export const historyCommand = defineCommand({
  name: 'history',
  acts: false,
  usage: '/apollo history [cloud]',
  summary: "the latest requests, approvals, destroys, cancels and lock changes; with a cloud, its last deploys first",
  parse: (args, config) => {
    const [cloud] = parseArgs(HistoryArgs, args, '/apollo history [cloud]');
    if (cloud && !Object.keys(config.clouds).includes(cloud)) {
      throw new ApolloError(ErrorCode.CloudUnknown, `Unknown cloud \`${cloud}\`.`, { details: [`Configured clouds: ${Object.keys(config.clouds).map((c) => `\`${c}\``).join(', ') || 'none'}.`] });
    }
    return cloud;
  },
  async run(cloud, { reply, services }) {
    const entries = await services.audit.latest(HISTORY_LINES, cloud);
    // A cloud's history starts with its last deploys (what a rollback goes back to).
    await reply(cloud ? renderCloudHistory(cloud, await services.cloudState.history(cloud), entries) : renderHistory(entries));
  },
});
