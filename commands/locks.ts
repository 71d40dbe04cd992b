import { z } from 'zod';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { renderLocks } from '../views/locks-list.js';
import { answerText, lockAnswer, unlockAnswer } from '../views/outcomes.js';
import { lockCloud, unlockCloud } from '../src/actions/lock-cloud.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

const Cloud = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a cloud name');
// Built once, at load: a request only runs them.
const LockArgs = z.tuple([Cloud], z.string(), { error: (i) => (i.code === 'too_small' ? 'which cloud, and why?' : undefined) });
const UnlockArgs = z.tuple([Cloud], { error: (i) => (i.code === 'too_small' ? 'which cloud?' : undefined) });
const NoArgs = z.tuple([]);

function checkCloud(cloud: string, configured: string[]): string {
  if (!configured.includes(cloud)) {
    throw new ApolloError(ErrorCode.CloudUnknown, `Unknown cloud \`${cloud}\`.`, { details: [`Configured clouds: ${configured.map((c) => `\`${c}\``).join(', ') || 'none'}.`] });
  }
  return cloud;
}

export const lockCommand = defineCommand({
  name: 'lock',
  acts: true,
  usage: '/apollo lock <cloud> <reason>',
  summary: 'keep everyone else from deploying to a cloud until you unlock it',
  parse: (args, config) => {
    if (args.length === 0) throw new ApolloError(ErrorCode.UsageInvalid, 'which cloud, and why?', { details: ['Usage: `/apollo lock <cloud> <reason>`'] });
    const [cloud, ...reason] = parseArgs(LockArgs, args, '/apollo lock <cloud> <reason>');
    if (reason.length === 0) throw new ApolloError(ErrorCode.UsageInvalid, 'Say why you lock it, so others know.', { details: ['Usage: `/apollo lock <cloud> <reason>`'] });
    return { cloud: checkCloud(cloud, Object.keys(config.clouds)), reason: reason.join(' ').slice(0, 200) };
  },
  async run({ cloud, reason }, { userId, reply, services }) {
    await reply(lockAnswer(await lockCloud(services, cloud, userId, reason)));
  },
});

export const unlockCommand = defineCommand({
  name: 'unlock',
  acts: true,
  usage: '/apollo unlock <cloud>',
  summary: 'remove your lock (approvers can remove anyone’s)',
  parse: (args, config) => ({ cloud: checkCloud(parseArgs(UnlockArgs, args, '/apollo unlock <cloud>')[0], Object.keys(config.clouds)) }),
  async run({ cloud }, { userId, reply, services }) {
    const text = answerText(unlockAnswer(await unlockCloud(services, cloud, userId)));
    if (text) await reply(text);
  },
});

export const locksCommand = defineCommand({
  name: 'locks',
  acts: false,
  usage: '/apollo locks',
  summary: 'who holds which cloud',
  parse: (args) => parseArgs(NoArgs, args, '/apollo locks'),
  async run(_args, { reply, services }) {
    const clouds = await Promise.all(Object.keys(services.config.clouds).map(async (cloud) => ({ cloud, state: await services.locks.state(cloud) })));
    await reply(renderLocks(clouds));
  },
});
