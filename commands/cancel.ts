import { z } from 'zod';
import { cancelRun } from '../src/actions/cancel-run.js';
import { answerText, cancelAnswer } from '../views/outcomes.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

const RunId = z.string().regex(/^[bd]\d{1,12}$/, 'expected a run id such as b12 or d13');
const CancelArgs = z.tuple([RunId], { error: (i) => (i.code === 'too_small' ? 'which run? e.g. `/apollo cancel d13`' : undefined) });

export const cancelCommand = defineCommand({
  name: 'cancel',
  acts: true,
  usage: '/apollo cancel <run>',
  summary: 'stop a queued or running build, deploy or destroy',
  parse: (args) => parseArgs(CancelArgs, args, '/apollo cancel <run>')[0],
  async run(runId, { userId, reply, services }) {
    const text = answerText(cancelAnswer(await cancelRun(services, runId, userId)));
    if (text) await reply(text);
  },
});
