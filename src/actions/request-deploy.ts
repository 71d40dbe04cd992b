import { ApolloError, ErrorCode } from '../errors.js';
import { newLane } from '../runs/run.js';
import { recordRun } from '../runs/record-run.js';
import type { Services } from '../services.js';
import { lockMessage } from '../../views/lock-message.js';
import { audit } from '../audit/record.js';
import { limitText } from '../../views/refusal.js';

export interface DeployRequest {
  clouds: string[];
  ref: string;
  requestedBy: string;
  channel: string;
  /** Test suites to run; undefined runs all of deploy.tests. */
  tests?: string[];
}

/** The clouds a deploy may name: configured ones, or "all". Throws with the list otherwise. */
export function resolveClouds(services: Services, requested: string[]): string[] {
  const configured = Object.keys(services.config.clouds);
  if (requested.length === 1 && requested[0] === 'all') return configured;
  const unknown = requested.filter((c) => !configured.includes(c));
  if (unknown.length > 0) {
    throw new ApolloError(ErrorCode.CloudUnknown, `Unknown cloud${unknown.length > 1 ? 's' : ''}: ${unknown.map((c) => `\`${c}\``).join(', ')}.`, {
      details: [`Configured clouds: ${configured.map((c) => `\`${c}\``).join(', ') || 'none'} (or \`all\`).`],
    });
  }
  return [...new Set(requested)];
}

/** Throws CloudLocked naming who holds each blocked cloud and since when. */
export async function assertCloudsFree(services: Services, clouds: string[], user: string, exceptRunId?: string): Promise<void> {
  const problems: string[] = [];
  for (const cloud of clouds) {
    const blocker = await services.locks.blocker(cloud, user, exceptRunId);
    if (blocker) problems.push(lockMessage(cloud, blocker.kind, blocker.holder));
  }
  if (problems.length > 0) throw new ApolloError(ErrorCode.CloudLocked, 'Cannot deploy now:', { details: problems });
}

/**
 * Checks the requester and the clouds, binds the request to one commit SHA, stores it in Redis with
 * an expiry and posts the approval card. Nothing runs until an approver clicks Approve.
 */
export async function requestDeploy(services: Services, request: DeployRequest): Promise<{ runId: string; cardError?: string }> {
  const { config, access, approvals, notifier } = services;
  if (!config.deploy) throw new ApolloError(ErrorCode.UsageInvalid, 'No deploy pipeline is configured (`deploy:` in apollo.yml).');
  if (!(await access.allows(config.access.deployers, request.requestedBy))) {
    throw new ApolloError(ErrorCode.NotAllowed, 'You are not allowed to request deploys (`access.deployers`).');
  }
  const clouds = resolveClouds(services, request.clouds);
  if (request.tests) {
    const known = config.deploy.tests.map((t) => t.name);
    const unknown = request.tests.filter((t) => !known.includes(t));
    if (unknown.length > 0) {
      throw new ApolloError(ErrorCode.UsageInvalid, `Unknown test suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, {
        details: [`Configured suites: ${known.join(', ') || 'none'}.`],
      });
    }
  }
  await assertCloudsFree(services, clouds, request.requestedBy);
  const limit = await services.limits.admitRun(request.requestedBy);
  if (limit) throw new ApolloError(ErrorCode.RateLimited, limitText(limit));
  const stepNames = [...config.deploy.steps, ...config.deploy.tests].map((s) => s.name);
  const ttl = config.access.approvalTtl;
  const { runId, sha } = await recordRun(services, {
    kind: 'deploy',
    ref: request.ref,
    requestedBy: request.requestedBy,
    channel: request.channel,
    lanes: clouds.map((cloud) => newLane(cloud, stepNames)),
    extra: { approvalExpiresAt: Date.now() + ttl, ...(request.tests ? { tests: request.tests } : {}) },
    ...(config.access.protectedBranches ? { protectedBranches: config.access.protectedBranches } : {}),
  });
  await approvals.open(runId, request.requestedBy, ttl);
  await audit(services, { action: 'deploy.requested', by: request.requestedBy, runId, commit: sha, clouds });
  try {
    await notifier.post(runId, request.channel);
  } catch (err) {
    services.logger.warn({ err, runId }, 'could not post the approval card');
    return { runId, cardError: err instanceof Error ? err.message : String(err) };
  }
  return { runId };
}
