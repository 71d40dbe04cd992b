import { z } from 'zod';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { hhmm, lockMessage } from '../views/lock-message.js';
import { mention } from '../views/mention.js';
import { escapeMrkdwn } from '../views/limits.js';
import { audit } from '../src/audit/record.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';
import { limitText } from '../views/refusal.js';

const Cloud = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a cloud name');

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
    const [cloud, ...reason] = parseArgs(z.tuple([Cloud], z.string(), { error: (i) => (i.code === 'too_small' ? 'which cloud, and why?' : undefined) }), args, '/apollo lock <cloud> <reason>');
    if (reason.length === 0) throw new ApolloError(ErrorCode.UsageInvalid, 'Say why you lock it, so others know.', { details: ['Usage: `/apollo lock <cloud> <reason>`'] });
    return { cloud: checkCloud(cloud, Object.keys(config.clouds)), reason: reason.join(' ').slice(0, 200) };
  },
  async run({ cloud, reason }, { userId, reply, services }) {
    if (!(await services.access.allows(services.config.access.deployers, userId))) {
      throw new ApolloError(ErrorCode.NotAllowed, 'Only deployers (`access.deployers`) can lock clouds.');
    }
    const limit = await services.limits.admitLockChange(userId);
    if (limit) throw new ApolloError(ErrorCode.RateLimited, limitText(limit));
    const { ok, holder } = await services.locks.lockSticky(cloud, userId, reason);
    if (ok) await audit(services, { action: 'lock.set', by: userId, clouds: [cloud], reason });
    await reply(ok ? `:lock: *${cloud}* is locked by you: ${escapeMrkdwn(reason)}. \`/apollo unlock ${cloud}\` frees it.` : `${lockMessage(cloud, 'sticky', holder)}; not changed.`);
  },
});

export const unlockCommand = defineCommand({
  name: 'unlock',
  acts: true,
  usage: '/apollo unlock <cloud>',
  summary: 'remove your lock (approvers can remove anyone’s)',
  parse: (args, config) => ({ cloud: checkCloud(parseArgs(z.tuple([Cloud], { error: (i) => (i.code === 'too_small' ? 'which cloud?' : undefined) }), args, '/apollo unlock <cloud>')[0], Object.keys(config.clouds)) }),
  async run({ cloud }, { userId, reply, services }) {
    const current = await services.locks.sticky(cloud);
    if (!current) {
      await reply(`*${cloud}* has no lock.`);
      return;
    }
    if (current.owner !== userId && !(await services.access.allows(services.config.access.approvers, userId))) {
      throw new ApolloError(ErrorCode.NotAllowed, `${lockMessage(cloud, 'sticky', current)}. Only its owner or an approver can unlock it.`);
    }
    const limit = await services.limits.admitLockChange(userId);
    if (limit) throw new ApolloError(ErrorCode.RateLimited, limitText(limit));
    await services.locks.unlockSticky(cloud);
    await audit(services, { action: 'lock.removed', by: userId, clouds: [cloud], reason: `was locked by ${current.owner}: ${current.reason ?? ''}`.trim() });
    await reply(`:unlock: *${cloud}* is unlocked (was locked by ${mention(current.owner)} since ${hhmm(current.since)}).`);
  },
});

export const locksCommand = defineCommand({
  name: 'locks',
  acts: false,
  usage: '/apollo locks',
  summary: 'who holds which cloud',
  parse: (args) => parseArgs(z.tuple([]), args, '/apollo locks'),
  async run(_args, { reply, services }) {
    const lines: string[] = [];
    for (const cloud of Object.keys(services.config.clouds)) {
      const { run, sticky } = await services.locks.state(cloud);
      if (sticky) lines.push(`:lock: ${lockMessage(cloud, 'sticky', sticky)}`);
      if (run) lines.push(`:gear: ${lockMessage(cloud, 'run', run)}`);
      if (!run && !sticky) lines.push(`:white_check_mark: *${cloud}* is free`);
    }
    await reply(lines.join('\n') || 'No clouds are configured.');
  },
});
