import { ApolloError, ErrorCode } from '../errors.js';
import { newLane } from '../runs/run.js';
import { recordRun, type RecordRunDeps } from '../runs/record-run.js';
import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { UserLimits } from '../access/user-limits.js';
import type { ApprovalRequests } from '../runs/approval-requests.js';
import type { CloudLocks } from '../queue/cloud-locks.js';
import { audit } from '../audit/record.js';
import { LimitReachedError } from '../access/user-limits.js';
import { assertCloudsFree } from './clouds-free.js';
import { formatDuration } from '../config/duration.js';
import { deployLaneSteps, serverPipeline } from '../pipeline/run-steps.js';
import { pipelineForCommit } from '../pipeline/repo-pipeline.js';
import type { GitMirror } from '../git/mirror.js';
import type { AuditTrail, Cards } from './ports.js';
import type { ExpiryQueue } from '../queue/expiry-queue.js';
import type { RunStore } from '../runs/run-store.js';
import type { DeployFlow } from '../queue/deploy-flow.js';
import { failLane } from '../runs/lane.js';
import { cloudPolicy } from '../access/cloud-policy.js';
import { assertMayForce, checkGate, type DeployGateDeps } from './deploy-gate.js';

/** What asking for a deploy touches. */
export interface RequestDeployDeps extends RecordRunDeps, AuditTrail {
  greenBuilds: DeployGateDeps['greenBuilds'];
  runs: RecordRunDeps['runs'] & Pick<RunStore, 'saveLane'>;
  /** Queues the plans (`deploy.plan`) of a request, one job per cloud. */
  deployFlow: Pick<DeployFlow, 'add'>;
  config: Pick<Config, 'access' | 'clouds' | 'deploy' | 'destroy' | 'build' | 'pipeline'>;
  mirror: RecordRunDeps['mirror'] & Pick<GitMirror, 'readFile'>;
  access: Pick<Access, 'allows'>;
  limits: Pick<UserLimits, 'admitRun' | 'trackRun' | 'releaseRun'>;
  locks: Pick<CloudLocks, 'blocker'>;
  approvals: Pick<ApprovalRequests, 'open'>;
  /** The request's end, as a durable timer: the card loses its buttons without a click. */
  expiry: Pick<ExpiryQueue, 'scheduleApprovalExpiry'>;
  notifier: Pick<Cards, 'post'>;
}

export interface DeployRequest {
  clouds: string[];
  ref: string;
  requestedBy: string;
  channel: string;
  /** Test suites to run; undefined runs all of deploy.tests. */
  tests?: string[];
  /** `--ephemeral`; undefined: `deploy.ephemeral`. */
  ephemeral?: boolean;
  /** `--keep`; undefined: `deploy.keep`. */
  keepMs?: number;
  /** `--force`: past `deploy.requireGreenBuild` (approvers only; audited, shown on the card). */
  force?: boolean;
  /** A rollback (`/apollo rollback`): the commit live on the cloud now, which this one replaces. */
  rollbackFrom?: string;
  /** Why, in the requester's words (the deploy form's reason): shown on the card, kept in the audit. */
  reason?: string;
}

/**
 * How long the deploy lives: torn down by its own lanes (ephemeral), destroyed automatically after
 * `keepMs`, or kept until someone clicks Destroy. The request's flags win over the config's default.
 */
export function deployLifetime(config: Pick<Config, 'deploy' | 'destroy'> & Partial<Pick<Config, 'pipeline'>>, request: Pick<DeployRequest, 'ephemeral' | 'keepMs'>): { ephemeral?: true; keepMs?: number } {
  const deploy = config.deploy ?? { ephemeral: false, keep: undefined, maxKeep: 7 * 86_400_000 };
  const explicit = request.ephemeral === true || request.keepMs !== undefined;
  const ephemeral = explicit ? request.ephemeral === true : deploy.ephemeral;
  const keepMs = explicit ? request.keepMs : deploy.keep;
  // A repository's pipeline may bring its own destroy steps: that is checked once the commit is known.
  if ((ephemeral || keepMs !== undefined) && !config.destroy && config.pipeline?.fromRepo === undefined) {
    throw new ApolloError(ErrorCode.UsageInvalid, `${ephemeral ? 'An ephemeral deploy' : 'A deploy with a lifetime'} needs a destroy pipeline (\`destroy:\` in apollo.yml), and none is configured.`);
  }
  if (keepMs !== undefined && keepMs > deploy.maxKeep) {
    throw new ApolloError(ErrorCode.UsageInvalid, `--keep may be at most ${formatDuration(deploy.maxKeep)} (\`deploy.maxKeep\`).`);
  }
  if (keepMs !== undefined && keepMs < MIN_KEEP_MS) throw new ApolloError(ErrorCode.UsageInvalid, `--keep must be at least ${formatDuration(MIN_KEEP_MS)}.`);
  return ephemeral ? { ephemeral: true } : keepMs !== undefined ? { keepMs } : {};
}

/** The suites `--tests` names must be the pipeline's. */
function checkSuites(known: string[], requested: string[] | undefined): void {
  const unknown = (requested ?? []).filter((t) => !known.includes(t));
  if (unknown.length > 0) {
    throw new ApolloError(ErrorCode.UsageInvalid, `Unknown test suite${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`, {
      details: [`Configured suites: ${known.join(', ') || 'none'}.`],
    });
  }
}

/**
 * Per-cloud rules a request must meet before anyone is asked: the channels a cloud takes requests
 * in (`clouds.<name>.channels`), and clouds that take only ephemeral deploys.
 */
export function assertCloudPolicies(config: Pick<Config, 'access' | 'clouds' | 'deploy' | 'destroy' | 'pipeline'>, clouds: string[], request: Pick<DeployRequest, 'channel' | 'ephemeral' | 'keepMs'>): void {
  const policies = clouds.map((cloud) => cloudPolicy(config, cloud));
  const elsewhere = policies.filter((p) => p.channels && !p.channels.includes(request.channel));
  if (elsewhere.length > 0) {
    throw new ApolloError(ErrorCode.NotAllowed, `Deploys to ${elsewhere.map((p) => `\`${p.cloud}\``).join(', ')} may not be requested in this channel.`, {
      details: elsewhere.map((p) => `\`${p.cloud}\`: ${p.channels!.map((c) => `<#${c}>`).join(', ')} (\`clouds.${p.cloud}.channels\`).`),
    });
  }
  const ephemeralOnly = policies.filter((p) => p.ephemeralOnly);
  if (ephemeralOnly.length > 0 && deployLifetime(config, request).ephemeral !== true) {
    throw new ApolloError(ErrorCode.UsageInvalid, `${ephemeralOnly.map((p) => `\`${p.cloud}\``).join(', ')} ${ephemeralOnly.length > 1 ? 'take' : 'takes'} only ephemeral deploys: add \`--ephemeral\`.`);
  }
}

/** The plan lanes of a new request, queued; a queue that is down fails them on the card (no approval then). */
async function startPlans(deps: Pick<RequestDeployDeps, 'runs' | 'deployFlow' | 'logger'>, runId: string, clouds: string[], stepNames: string[]): Promise<void> {
  for (const cloud of clouds) await deps.runs.saveLane(runId, newLane(cloud, stepNames, stepNames.map(() => 'plan')), 'plan');
  try {
    await deps.deployFlow.add(runId, 'plan', clouds);
  } catch (err) {
    deps.logger.warn({ err, runId }, 'could not queue the plans');
    for (const cloud of clouds) await deps.runs.saveLane(runId, failLane(newLane(cloud, stepNames, stepNames.map(() => 'plan')), 'the plan could not be queued (the queue is unavailable); ask again', Date.now()), 'plan');
  }
}

/** Shorter lifetimes would be gone before anyone could read the reminder. */
export const MIN_KEEP_MS = 5_000;

/** The clouds a deploy may name: configured ones, or "all". Throws with the list otherwise. */
export function resolveClouds(config: Pick<Config, 'clouds'>, requested: string[]): string[] {
  const configured = Object.keys(config.clouds);
  if (requested.length === 1 && requested[0] === 'all') return configured;
  const unknown = requested.filter((c) => !configured.includes(c));
  if (unknown.length > 0) {
    throw new ApolloError(ErrorCode.CloudUnknown, `Unknown cloud${unknown.length > 1 ? 's' : ''}: ${unknown.map((c) => `\`${c}\``).join(', ')}.`, {
      details: [`Configured clouds: ${configured.map((c) => `\`${c}\``).join(', ') || 'none'} (or \`all\`).`],
    });
  }
  return [...new Set(requested)];
}

/**
 * Checks the requester and the clouds, binds the request to one commit SHA, stores it in Redis with
 * an expiry and posts the approval card. Nothing runs until an approver clicks Approve.
 */
export async function requestDeploy(deps: RequestDeployDeps, request: DeployRequest): Promise<{ runId: string; cardError?: string }> {
  const { config, access, approvals, notifier } = deps;
  if (!config.deploy && config.pipeline.fromRepo === undefined) throw new ApolloError(ErrorCode.UsageInvalid, 'No deploy pipeline is configured (`deploy:` in apollo.yml).');
  if (!(await access.allows(config.access.deployers, request.requestedBy))) {
    throw new ApolloError(ErrorCode.NotAllowed, 'You are not allowed to request deploys (`access.deployers`).');
  }
  const clouds = resolveClouds(config, request.clouds);
  assertCloudPolicies(config, clouds, request);
  const lifetime = deployLifetime(config, request);
  await assertCloudsFree(deps, clouds, request.requestedBy);
  if (request.force) await assertMayForce(deps, clouds, request.requestedBy);
  // The server's suites are known now: a typo costs no run slot (a repository's are checked below).
  if (config.pipeline.fromRepo === undefined && config.deploy) checkSuites(config.deploy.tests.map((t) => t.name), request.tests);
  const admitted = await deps.limits.admitRun(request.requestedBy);
  if ('kind' in admitted) throw new LimitReachedError(admitted);
  let forced = false;
  const ttl = config.access.approvalTtl;
  const approvalExpiresAt = Date.now() + ttl;
  let recorded: { runId: string; sha: string };
  let planSteps: string[] = [];
  try {
    recorded = await recordRun(deps, {
      kind: 'deploy',
      ref: request.ref,
      requestedBy: request.requestedBy,
      channel: request.channel,
      // The steps are the commit's own when `pipeline.fromRepo` says so: the approver sees and
      // approves those. A broken file refuses the request, with every problem by path.
      lanes: async (sha) => {
        const pipeline = await pipelineForCommit(config, deps.mirror, sha);
        const steps = pipeline ?? serverPipeline(config);
        if (!steps.deploy) throw new ApolloError(ErrorCode.UsageInvalid, `No deploy pipeline is configured (\`deploy:\` in apollo.yml${config.pipeline.fromRepo ? ` or ${config.pipeline.fromRepo}` : ''}).`);
        checkSuites(steps.deploy.tests.map((t) => t.name), request.tests);
        if ((lifetime.ephemeral || lifetime.keepMs !== undefined) && !steps.destroy?.length) throw new ApolloError(ErrorCode.UsageInvalid, `${lifetime.ephemeral ? 'An ephemeral deploy' : 'A deploy with a lifetime'} needs a destroy pipeline, and this commit has none.`);
        const lane = deployLaneSteps(steps, lifetime.ephemeral === true);
        planSteps = (steps.deploy.plan ?? []).map((s) => s.name);
        // The gate, now that the commit is known: a commit nobody built green is refused (or forced).
        forced = (await checkGate(deps, sha, request.ref, request.force === true)).forced;
        return { lanes: clouds.map((cloud) => newLane(cloud, lane.steps.map((s) => s.name), lane.roles)), ...(pipeline ? { pipeline } : {}), ...(forced ? { extra: { forced: true } } : {}) };
      },
      extra: { approvalExpiresAt, ...(request.rollbackFrom ? { rollbackFrom: request.rollbackFrom } : {}), ...(request.reason ? { reason: request.reason } : {}), ...(request.tests ? { tests: request.tests } : {}), ...lifetime },
      ...(config.access.protectedBranches ? { protectedBranches: config.access.protectedBranches } : {}),
      reservation: admitted.reservation,
    });
  } catch (err) {
    await deps.limits.releaseRun(request.requestedBy, admitted.reservation).catch(() => undefined);
    throw err;
  }
  const { runId, sha } = recorded;
  // With `deploy.plan`, each cloud plans now, before anyone is asked: the card shows the plans
  // and offers Approve once every plan passed.
  if (planSteps.length > 0) await startPlans(deps, runId, clouds, planSteps);
  await approvals.open(runId, request.requestedBy, ttl);
  // Without the timer a click still finds the request expired (and status no longer lists it):
  // a queue hiccup here costs the card its timely update, never the request.
  await deps.expiry.scheduleApprovalExpiry(runId, approvalExpiresAt).catch((err: unknown) => deps.logger.warn({ err, runId }, 'could not schedule the approval expiry'));
  await audit(deps, { action: 'deploy.requested', by: request.requestedBy, runId, commit: sha, clouds, ...(request.reason ? { reason: request.reason } : {}) });
  if (forced) await audit(deps, { action: 'deploy.forced', by: request.requestedBy, runId, commit: sha, clouds, reason: 'no passed build of this commit (deploy.requireGreenBuild)' });
  try {
    await notifier.post(runId, request.channel);
  } catch (err) {
    deps.logger.warn({ err, runId }, 'could not post the approval card');
    return { runId, cardError: err instanceof Error ? err.message : String(err) };
  }
  return { runId };
}
