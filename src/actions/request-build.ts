import { ApolloError, ErrorCode } from '../errors.js';
import { newLane } from '../runs/run.js';
import { recordRun } from '../runs/record-run.js';
import type { Services } from '../services.js';
import { enqueueBuild } from '../queue/build-queue.js';
import { audit } from '../audit/record.js';

export interface BuildRequest {
  /** A validated ref (see src/git/ref.ts) or full SHA. */
  ref: string;
  requestedBy: string;
  /** Where the run card goes. */
  channel: string;
}

export type BuildStart =
  /** `cardError` says why the card could not be posted (bot not in the channel...); the run still runs. */
  | { status: 'queued'; runId: string; sha: string; cardError?: string }
  | { status: 'duplicate'; runId: string; sha: string };

/**
 * Resolves the ref, records the run, queues it and posts its card: the one way a build starts,
 * from a slash command or a webhook. A build of the same commit already queued or running from the
 * same channel is not started twice.
 */
export async function startBuild(services: Services, request: BuildRequest): Promise<BuildStart> {
  const { runs, buildQueue, notifier, config } = services;
  const { runId, sha } = await recordRun(services, {
    kind: 'build',
    ref: request.ref,
    requestedBy: request.requestedBy,
    channel: request.channel,
    lanes: [newLane('build', config.build.steps.map((s) => s.name))],
  });
  let queuedAs: string;
  try {
    queuedAs = await enqueueBuild(buildQueue, runId, request.channel, sha);
  } catch (err) {
    await runs.delete(runId).catch(() => undefined);
    throw new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable, try again in a minute. Nothing was queued.', { cause: err });
  }
  if (queuedAs !== runId) {
    await runs.delete(runId);
    return { status: 'duplicate', runId: queuedAs, sha };
  }
  await audit(services, { action: 'build.requested', by: request.requestedBy, runId, commit: sha });
  try {
    await notifier.post(runId, request.channel);
  } catch (err) {
    services.logger.warn({ err, runId, channel: request.channel }, 'could not post the run card');
    return { status: 'queued', runId, sha, cardError: err instanceof Error ? err.message : String(err) };
  }
  return { status: 'queued', runId, sha };
}
