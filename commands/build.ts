import { z } from 'zod';
import { GitRef } from '../src/git/ref.js';
import { requestBuild } from '../src/actions/request-build.js';
import { buildStartText } from '../views/outcomes.js';
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
    const text = buildStartText(await requestBuild(services, { ref, requestedBy: userId, channel: channelId }));
    if (text) await reply(text);
  },
});
