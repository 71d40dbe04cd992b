import { ApolloError, ErrorCode, isApolloError } from '../errors.js';
import { newLane } from '../runs/run.js';
import { failLane } from '../runs/lane.js';
import { pipelineForCommit } from '../pipeline/repo-pipeline.js';
import { enqueueBuild, type createBuildQueue } from '../queue/build-queue.js';
import { audit } from '../audit/record.js';
import { recordRun as record, type RecordRunDeps } from '../runs/record-run.js';
import type { Config } from '../config/schema.js';
import type { GitMirror } from '../git/mirror.js';
import type { Access } from '../access/access.js';
import type { UserLimits } from '../access/user-limits.js';
import type { RunStore } from '../runs/run-store.js';
import { LimitReachedError } from '../access/user-limits.js';
import type { AuditTrail, Cards } from './ports.js';

/** What starting a build touches. */
export interface RequestBuildDeps extends RecordRunDeps, AuditTrail {
  mirror: RecordRunDeps['mirror'] & Pick<GitMirror, 'readFile'>;
  config: Pick<Config, 'access' | 'build' | 'deploy' | 'destroy' | 'pipeline'>;
  access: Pick<Access, 'allows'>;
  limits: Pick<UserLimits, 'admitRun' | 'trackRun' | 'releaseRun'>;
  runs: RecordRunDeps['runs'] & Pick<RunStore, 'delete'>;
  buildQueue: ReturnType<typeof createBuildQueue>;
  notifier: Pick<Cards, 'post'>;
}

export interface BuildRequest {
  /** A validated ref (see src/git/ref.ts) or full SHA. */
  ref: string;
  requestedBy: string;
  /** Where the run card goes. */
  channel: string;
  /** The requester's reserved run slot, taken over by the run. */
  reservation?: string;
}

export type BuildStart =
  /** `cardError` says why the card could not be posted (bot not in the channel...); the run still runs. */
  | { status: 'queued'; runId: string; sha: string; cardError?: string }
  | { status: 'duplicate'; runId: string; sha: string }
  /** The commit's pipeline file (`pipeline.fromRepo`) is invalid: the card says why, nothing runs. */
  | { status: 'invalid'; runId: string; sha: string; cardError?: string };

/**
 * Resolves the ref, records the run, queues it and posts its card: the one way a build starts,
 * from a slash command or a webhook. A build of the same commit already queued or running from the
 * same channel is not started twice.
 */
export async function startBuild(deps: RequestBuildDeps, request: BuildRequest): Promise<BuildStart> {
  const { runs, buildQueue, notifier, config } = deps;
  const { runId, sha, lanes } = await record(deps, {
    kind: 'build',
    ref: request.ref,
    requestedBy: request.requestedBy,
    channel: request.channel,
    lanes: async (commit) => {
      try {
        const pipeline = await pipelineForCommit(config, deps.mirror, commit);
        return { lanes: [newLane('build', (pipeline?.build ?? config.build.steps).map((s) => s.name))], ...(pipeline ? { pipeline } : {}) };
      } catch (err) {
        // The commit's own pipeline file is broken: the run is recorded as failed, with every problem
        // by path on its card, and nothing runs.
        if (!isApolloError(err) || err.code !== ErrorCode.PipelineInvalid) throw err;
        return { lanes: [failLane(newLane('build', []), [err.message, ...err.details].join('\n'), Date.now())] };
      }
    },
    ...(request.reservation ? { reservation: request.reservation } : {}),
  });
  if (lanes[0]?.error !== undefined) return publishInvalid(deps, runId, sha, request);
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
  await audit(deps, { action: 'build.requested', by: request.requestedBy, runId, commit: sha });
  try {
    await notifier.post(runId, request.channel);
  } catch (err) {
    deps.logger.warn({ err, runId, channel: request.channel }, 'could not post the run card');
    return { status: 'queued', runId, sha, cardError: err instanceof Error ? err.message : String(err) };
  }
  return { status: 'queued', runId, sha };
}

/** A build whose pipeline file is invalid: audited and shown on its card, never queued. */
async function publishInvalid(deps: RequestBuildDeps, runId: string, sha: string, request: BuildRequest): Promise<BuildStart> {
  await audit(deps, { action: 'build.requested', by: request.requestedBy, runId, commit: sha });
  try {
    await deps.notifier.post(runId, request.channel);
  } catch (err) {
    return { status: 'invalid', runId, sha, cardError: err instanceof Error ? err.message : String(err) };
  }
  return { status: 'invalid', runId, sha };
}

/**
 * `/apollo build` by a person: a build runs the commit's code on the workers, so only builders
 * (default: the deployers) may ask, within their per-person limit. Webhook-started builds come
 * through `startBuild` directly: the configuration, not a person, decided them.
 */
export async function requestBuild(deps: RequestBuildDeps, request: BuildRequest): Promise<BuildStart> {
  const { access, config, limits } = deps;
  if (!(await access.allows(config.access.builders ?? config.access.deployers, request.requestedBy))) {
    throw new ApolloError(ErrorCode.NotAllowed, 'You are not allowed to run builds (`access.builders`, default the deployers).');
  }
  const admitted = await limits.admitRun(request.requestedBy);
  if ('kind' in admitted) throw new LimitReachedError(admitted);
  try {
    return await startBuild(deps, { ...request, reservation: admitted.reservation });
  } catch (err) {
    await limits.releaseRun(request.requestedBy, admitted.reservation).catch(() => undefined);
    throw err;
  }
}
