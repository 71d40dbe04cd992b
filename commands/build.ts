import { z } from 'zod';
import { GitRef, shortSha } from '../src/git/ref.js';
import { startBuild } from '../src/actions/request-build.js';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { limitText } from '../views/refusal.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

const USAGE = '/apollo build <ref>';

const BuildArgs = z.tuple([GitRef], {
  error: (issue) => (issue.code === 'too_big' ? 'expected exactly one ref' : issue.code === 'too_small' ? 'which ref? give a commit SHA, branch or tag' : undefined),
});

export const buildCommand = defineCommand({
  name: 'build',
  acts: true,
  usage: USAGE,
  summary: 'run the build pipeline on a commit, branch or tag',
  parse: (args) => parseArgs(BuildArgs, args, USAGE)[0],
  async run(ref, { userId, channelId, reply, services }) {
    const { access, config, limits } = services;
    // A build runs the commit's code on the workers: only builders may ask (default: the deployers).
    if (!(await access.allows(config.access.builders ?? config.access.deployers, userId))) {
      throw new ApolloError(ErrorCode.NotAllowed, 'You are not allowed to run builds (`access.builders`, default the deployers).');
    }
    const limit = await limits.admitRun(userId);
    if (limit) throw new ApolloError(ErrorCode.RateLimited, limitText(limit));
    const started = await startBuild(services, { ref, requestedBy: userId, channel: channelId });
    if (started.status === 'duplicate') {
      await reply(`:repeat: ${shortSha(started.sha)} is already queued or running in this channel as run \`${started.runId}\`; not starting it twice.`);
    } else if (started.cardError) {
      await reply(`Run \`${started.runId}\` is queued, but I could not post its card here (${started.cardError}). Invite me with \`/invite @apollo\`.`);
    }
  },
});
