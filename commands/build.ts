import { z } from 'zod';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { GitRef, shortSha } from '../src/git/ref.js';
import { enqueueBuild } from '../src/queue/build-queue.js';
import { newLane } from '../src/runs/run.js';
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';

const USAGE = '/apollo build <ref>';

const BuildArgs = z.tuple([GitRef], { error: (issue) => (issue.code === 'too_big' ? 'expected exactly one ref' : issue.code === 'too_small' ? 'which ref? give a commit SHA, branch or tag' : undefined) });

export const buildCommand = defineCommand({
  name: 'build',
  usage: USAGE,
  summary: 'run the build pipeline on a commit, branch or tag',
  parse: (args) => parseArgs(BuildArgs, args, USAGE)[0],
  async run(ref, { userId, channelId, reply, services }) {
    const { mirror, runs, buildQueue, notifier, config, logger } = services;
    const sha = await mirror.resolve(ref);
    const commit = await mirror.commitInfo(sha);
    const runId = await runs.nextId('build');
    const lane = newLane('build', config.build.steps.map((s) => s.name));
    await runs.create(
      { id: runId, kind: 'build', ref, sha, subject: commit.subject, author: commit.author, requestedBy: userId, channel: channelId, createdAt: Date.now(), laneNames: [lane.name] },
      [lane],
    );
    let queuedAs: string;
    try {
      queuedAs = await enqueueBuild(buildQueue, runId, channelId, sha);
    } catch (err) {
      await runs.delete(runId).catch(() => undefined);
      throw new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable, try again in a minute. Nothing was queued.', { cause: err });
    }
    if (queuedAs !== runId) {
      await runs.delete(runId);
      await reply(`:repeat: ${shortSha(sha)} is already queued or running in this channel as run \`${queuedAs}\`; not starting it twice.`);
      return;
    }
    try {
      await notifier.post(runId, channelId);
    } catch (err) {
      logger.warn({ err, runId, channelId }, 'could not post the run card');
      await reply(`Run \`${runId}\` is queued, but I could not post its card here (${(err as Error).message}). Invite me to this channel with \`/invite\`.`);
    }
  },
});
