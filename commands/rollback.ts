import { z } from 'zod';
import { rollback } from '../src/actions/rollback.js';
import { answerText, rollbackAnswer } from '../views/outcomes.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

const USAGE = '/apollo rollback <cloud>';

export const rollbackCommand = defineCommand({
  name: 'rollback',
  acts: true,
  usage: USAGE,
  summary: 'ask to deploy the commit that was live on a cloud before the current one (same approval and plan)',
  parse: (args) =>
    parseArgs(
      z.tuple([z.string().regex(/^[a-z0-9][a-z0-9_-]{0,30}$/, 'expected a cloud name')], { error: (issue) => (issue.code === 'too_small' ? 'which cloud?' : issue.code === 'too_big' ? 'expected one cloud' : undefined) }),
      args,
      USAGE,
    )[0],
  async run(cloud, { userId, channelId, reply, services }) {
    const text = answerText(rollbackAnswer(await rollback(services, cloud, userId, channelId)));
    if (text) await reply(text);
  },
});
