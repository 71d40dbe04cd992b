import { subjectOf, type Notification, type NotificationStatus } from '../../notifications/notification.js';
import type { Ignored } from './ignored.js';
import type { CheckSuiteEvent, Repository, WorkflowRunEvent } from './schemas.js';

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
