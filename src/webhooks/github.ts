import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { acceptBuild, type BuildTrigger } from './auto-build.js';
import type { WebhookAnswer, WebhookHandler } from './json-route.js';
import { subjectOf, type Notification, type NotificationStatus } from './notification.js';
import { acceptNotification } from './notify.js';
import { isConfiguredRepository } from './repo-match.js';
import { deliveryId } from './delivery-dedup.js';
import { decodeJson, header, parsePayload, readSignedBody } from './signed-request.js';
import type { WebhookContext } from './webhook-context.js';
import { WebhookError, WebhookErrorCode } from './webhook-error.js';

/*
 * GitHub's payloads carry hundreds of fields and gain new ones: the schemas below hold the fields the
 * bot reads to their exact types and let the rest through untouched (z.object strips, never fails,
 * on unknown keys). A field GitHub documents as nullable is nullable here.
 */

const FullSha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a full commit SHA');
const Timestamp = z.iso.datetime({ offset: true });
const HttpUrl = z.url({ protocol: /^https?$/ });
const Account = z.object({ login: z.string().min(1) });

const Repository = z.object({
  full_name: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name'),
  html_url: HttpUrl,
  clone_url: z.string().optional(),
  ssh_url: z.string().optional(),
  git_url: z.string().optional(),
  svn_url: z.string().optional(),
});
type Repository = z.infer<typeof Repository>;

const CommitSummary = z.object({
  message: z.string(),
  author: z.object({ name: z.string() }),
});

export const WorkflowRunEvent = z.object({
  action: z.string(),
  workflow_run: z.object({
    id: z.number().int().positive(),
    name: z.string().nullish(),
    head_branch: z.string().nullable(),
    head_sha: FullSha,
    run_number: z.number().int().positive(),
    // Absent from payloads older than re-runs.
    run_attempt: z.number().int().min(1).optional(),
    status: z.string().nullable(),
    conclusion: z.string().nullable(),
    html_url: HttpUrl,
    created_at: Timestamp,
    updated_at: Timestamp,
    run_started_at: Timestamp.optional(),
    actor: Account.nullish(),
    head_commit: CommitSummary.nullish(),
    head_repository: z.object({ full_name: z.string(), html_url: HttpUrl }).nullish(),
  }),
  workflow: z.object({ name: z.string() }).nullish(),
  repository: Repository,
  sender: Account,
});
export type WorkflowRunEvent = z.infer<typeof WorkflowRunEvent>;

export const CheckSuiteEvent = z.object({
  action: z.string(),
  check_suite: z.object({
    id: z.number().int().positive(),
    head_branch: z.string().nullable(),
    head_sha: FullSha,
    status: z.string().nullable(),
    conclusion: z.string().nullable(),
    app: z.object({ name: z.string().min(1), slug: z.string().optional() }),
    created_at: Timestamp,
    updated_at: Timestamp,
    head_commit: CommitSummary.nullish(),
  }),
  repository: Repository,
  sender: Account,
});
export type CheckSuiteEvent = z.infer<typeof CheckSuiteEvent>;

export const PushEvent = z.object({
  ref: z.string().min(1),
  after: FullSha,
  deleted: z.boolean().optional(),
  repository: Repository,
  sender: Account,
});
export type PushEvent = z.infer<typeof PushEvent>;

export const PullRequestEvent = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    head: z.object({
      ref: z.string().min(1),
      sha: FullSha,
      // null when the fork was deleted.
      repo: z.object({ full_name: z.string() }).nullable(),
    }),
  }),
  repository: Repository,
  sender: Account,
});
export type PullRequestEvent = z.infer<typeof PullRequestEvent>;

const PingEvent = z.object({ zen: z.string().optional(), hook_id: z.number().optional() });

/** Why an event leads to nothing; answered 200 so GitHub does not show the delivery as failed. */
export interface Ignored {
  ignored: string;
}

function ignored(reason: string): WebhookAnswer {
  return { status: 200, body: { ok: true, result: 'ignored', message: reason } };
}

const ZERO_SHA = /^0{40}$/;
const BUILD_ACTIONS: ReadonlySet<string> = new Set(['opened', 'synchronize', 'reopened']);

/** A completed run's conclusion as a status; GitHub counts neutral as a pass and may add conclusions. */
export function statusOfConclusion(conclusion: string | null): NotificationStatus {
  switch (conclusion) {
    case 'success':
    case 'neutral':
      return 'passed';
    case 'failure':
    case 'timed_out':
    case 'startup_failure':
      return 'failed';
    case 'cancelled':
      return 'canceled';
    default:
      // skipped, stale, action_required, and whatever GitHub adds: ended, without a verdict.
      return 'skipped';
  }
}

/** Where a branch lives on GitHub: `/` separates its path segments, anything else is encoded. */
function branchUrl(repoUrl: string, branch: string): string {
  return `${repoUrl}/tree/${branch.split('/').map(encodeURIComponent).join('/')}`;
}

function links(repo: Repository, branch: string | null, sha: string, run?: string, branchRepoUrl = repo.html_url): Notification['links'] {
  return {
    repo: repo.html_url,
    commit: `${repo.html_url}/commit/${sha}`,
    ...(branch ? { branch: branchUrl(branchRepoUrl, branch) } : {}),
    ...(run ? { run } : {}),
  };
}

function elapsed(from: string, to: string): number | undefined {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export function fromWorkflowRun(event: WorkflowRunEvent): Notification | Ignored {
  const run = event.workflow_run;
  let status: NotificationStatus;
  if (event.action === 'requested') status = 'queued';
  else if (event.action === 'in_progress') status = 'running';
  else if (event.action === 'completed') status = statusOfConclusion(run.conclusion);
  else return { ignored: `workflow_run action ${event.action} is not used` };
  const durationMs = event.action === 'completed' ? elapsed(run.run_started_at ?? run.created_at, run.updated_at) : undefined;
  const subject = subjectOf(run.head_commit?.message);
  // Shown as text only (never `slackUser`): a login is chosen by its owner and may look like `U0…`.
  const author = run.actor?.login ?? run.head_commit?.author.name ?? event.sender.login;
  // A fork's `master` is not ours: named `owner:branch` as GitHub labels it, its runs get their own
  // history instead of reporting "broken" or "fixed" on the repository's branch.
  const fork = run.head_repository && run.head_repository.full_name.toLowerCase() !== event.repository.full_name.toLowerCase() ? run.head_repository : undefined;
  const branch = run.head_branch && fork ? `${fork.full_name.split('/')[0]}:${run.head_branch}` : run.head_branch;
  return {
    source: 'workflow_run',
    repo: event.repository.full_name,
    // Old payloads leave the run's name empty; the workflow object still has it.
    pipeline: run.name || event.workflow?.name || 'workflow',
    runId: String(run.id),
    attempt: run.run_attempt ?? 1,
    runNumber: run.run_number,
    status,
    ...(branch ? { branch } : {}),
    sha: run.head_sha,
    ...(subject ? { subject } : {}),
    author,
    ...(durationMs !== undefined ? { durationMs } : {}),
    links: links(event.repository, run.head_branch, run.head_sha, run.html_url, fork?.html_url),
  };
}

export function fromCheckSuite(event: CheckSuiteEvent): Notification | Ignored {
  const suite = event.check_suite;
  // Every workflow run has a check suite too; its workflow_run event says the same with names and links.
  if (suite.app.slug === 'github-actions') return { ignored: 'GitHub Actions check suites are reported through workflow_run events' };
  let status: NotificationStatus;
  if (event.action === 'completed') status = statusOfConclusion(suite.conclusion);
  else if (event.action === 'requested' || event.action === 'rerequested') status = 'queued';
  else return { ignored: `check_suite action ${event.action} is not used` };
  const subject = subjectOf(suite.head_commit?.message);
  const author = suite.head_commit?.author.name ?? event.sender.login;
  const durationMs = event.action === 'completed' ? elapsed(suite.created_at, suite.updated_at) : undefined;
  return {
    source: 'check_suite',
    repo: event.repository.full_name,
    pipeline: suite.app.name,
    runId: String(suite.id),
    attempt: 1,
    status,
    ...(suite.head_branch ? { branch: suite.head_branch } : {}),
    sha: suite.head_sha,
    ...(subject ? { subject } : {}),
    author,
    ...(durationMs !== undefined ? { durationMs } : {}),
    links: links(event.repository, suite.head_branch, suite.head_sha, `${event.repository.html_url}/commit/${suite.head_sha}/checks?check_suite_id=${suite.id}`),
  };
}

type AutoBuildConfig = Pick<Config, 'repository' | 'notifications'>;

export function pushTrigger(config: AutoBuildConfig, event: PushEvent): BuildTrigger | Ignored {
  if (event.deleted || ZERO_SHA.test(event.after)) return { ignored: 'the push deletes a branch' };
  if (!event.ref.startsWith('refs/heads/')) return { ignored: `only branch pushes are built, not ${event.ref}` };
  if (!config.notifications.autoBuild.pushes) return { ignored: 'building pushes is off (notifications.autoBuild.pushes)' };
  if (!isConfiguredRepository(config, event.repository)) return { ignored: `${event.repository.full_name} is not the configured repository` };
  return {
    event: 'push',
    repo: event.repository.full_name,
    branch: event.ref.slice('refs/heads/'.length),
    sha: event.after,
    login: event.sender.login,
  };
}

export function pullRequestTrigger(config: AutoBuildConfig, event: PullRequestEvent): BuildTrigger | Ignored {
  if (!BUILD_ACTIONS.has(event.action)) return { ignored: `pull_request action ${event.action} does not change the code` };
  if (!config.notifications.autoBuild.pullRequests) return { ignored: 'building pull requests is off (notifications.autoBuild.pullRequests)' };
  if (!isConfiguredRepository(config, event.repository)) return { ignored: `${event.repository.full_name} is not the configured repository` };
  const head = event.pull_request.head;
  // A fork's code would run on the bot's workers with the bot's environment: never automatically.
  if (head.repo?.full_name.toLowerCase() !== event.repository.full_name.toLowerCase()) {
    return { ignored: `pull request #${event.number} comes from a fork; build it with /apollo build` };
  }
  return { event: 'pull_request', repo: event.repository.full_name, branch: head.ref, sha: head.sha, login: event.sender.login };
}

export interface GitHubWebhookOptions {
  secret: string | undefined;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * `POST /webhooks/github`: workflow_run and check_suite become notifications; push and pull_request
 * queue builds of the configured repository; ping is answered. Signed with X-Hub-Signature-256.
 */
export function githubWebhook(ctx: WebhookContext, options: GitHubWebhookOptions): WebhookHandler {
  return async (req) => {
    const raw = await readSignedBody(req, {
      secret: options.secret,
      secretName: 'GITHUB_WEBHOOK_SECRET',
      header: 'X-Hub-Signature-256',
      ...(options.maxBodyBytes ? { maxBytes: options.maxBodyBytes } : {}),
    });
    const event = header(req, 'x-github-event');
    if (!event) throw new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'the X-GitHub-Event header is missing');
    const payload = decodeJson(raw, header(req, 'content-type'));
    const delivery = { source: 'github' as const, id: deliveryId(header(req, 'x-github-delivery'), raw) };
    const config = ctx.services.config;

    switch (event) {
      case 'ping': {
        const ping = parsePayload(PingEvent, payload, 'ping payload');
        return { status: 200, body: { ok: true, result: 'pong', ...(ping.hook_id !== undefined ? { hook_id: ping.hook_id } : {}) } };
      }
      case 'workflow_run': {
        const n = fromWorkflowRun(parsePayload(WorkflowRunEvent, payload, 'workflow_run payload'));
        return 'ignored' in n ? ignored(n.ignored) : acceptNotification(ctx, delivery, n);
      }
      case 'check_suite': {
        const n = fromCheckSuite(parsePayload(CheckSuiteEvent, payload, 'check_suite payload'));
        return 'ignored' in n ? ignored(n.ignored) : acceptNotification(ctx, delivery, n);
      }
      case 'push': {
        const trigger = pushTrigger(config, parsePayload(PushEvent, payload, 'push payload'));
        return 'ignored' in trigger ? ignored(trigger.ignored) : acceptBuild(ctx, delivery, trigger);
      }
      case 'pull_request': {
        const trigger = pullRequestTrigger(config, parsePayload(PullRequestEvent, payload, 'pull_request payload'));
        return 'ignored' in trigger ? ignored(trigger.ignored) : acceptBuild(ctx, delivery, trigger);
      }
      default:
        return ignored(`${event} events are not used; subscribe to workflow_run, check_suite, push and pull_request`);
    }
  };
}
