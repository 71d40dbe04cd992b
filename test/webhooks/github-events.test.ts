import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import {
  CheckSuiteEvent,
  fromCheckSuite,
  fromWorkflowRun,
  pullRequestTrigger,
  PullRequestEvent,
  PushEvent,
  pushTrigger,
  statusOfConclusion,
  WorkflowRunEvent,
} from '../../src/webhooks/github.js';
import { fixture } from './webhook-client.js';

const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';

function config(extra: Record<string, unknown> = {}) {
  return parseConfig({ repository: 'https://github.com/Capgemini/Apollo.git', build: { steps: [{ name: 'noop', run: 'true' }] }, ...extra }, 'test');
}

describe('workflow_run', () => {
  it('follows a run from requested to completed, with GitHub’s own fields', () => {
    const requested = fromWorkflowRun(WorkflowRunEvent.parse(fixture('workflow_run.requested.json')));
    expect(requested).toEqual({
      source: 'workflow_run',
      repo: 'Capgemini/Apollo',
      pipeline: 'CI',
      runId: '9876543210',
      attempt: 1,
      runNumber: 562,
      status: 'queued',
      branch: 'master',
      sha: SHA,
      subject: 'Add serverspec for marathon',
      author: 'ada-ops',
      links: {
        repo: 'https://github.com/Capgemini/Apollo',
        commit: `https://github.com/Capgemini/Apollo/commit/${SHA}`,
        branch: 'https://github.com/Capgemini/Apollo/tree/master',
        run: 'https://github.com/Capgemini/Apollo/actions/runs/9876543210',
      },
    });
    expect(fromWorkflowRun(WorkflowRunEvent.parse(fixture('workflow_run.in_progress.json')))).toMatchObject({ status: 'running' });
    expect(fromWorkflowRun(WorkflowRunEvent.parse(fixture('workflow_run.in_progress.json')))).not.toHaveProperty('durationMs');
    // run_started_at 09:12:45 → updated_at 09:16:57
    expect(fromWorkflowRun(WorkflowRunEvent.parse(fixture('workflow_run.completed.success.json')))).toMatchObject({ status: 'passed', durationMs: 252_000 });
    expect(fromWorkflowRun(WorkflowRunEvent.parse(fixture('workflow_run.completed.failure.json')))).toMatchObject({ status: 'failed', durationMs: 81_000 });
  });

  it('takes the workflow’s name when the run’s is empty, and the attempt of a re-run', () => {
    const payload = fixture('workflow_run.completed.success.json');
    payload.workflow_run.name = '';
    payload.workflow_run.run_attempt = 3;
    expect(fromWorkflowRun(WorkflowRunEvent.parse(payload))).toMatchObject({ pipeline: 'CI', attempt: 3 });
  });

  it('keeps a fork’s branches apart from the repository’s', () => {
    const payload = fixture('workflow_run.completed.failure.json');
    payload.workflow_run.head_repository.full_name = 'grace-dev/Apollo';
    payload.workflow_run.head_repository.html_url = 'https://github.com/grace-dev/Apollo';
    payload.workflow_run.head_branch = 'fix/serverspec#2';
    expect(fromWorkflowRun(WorkflowRunEvent.parse(payload))).toMatchObject({
      branch: 'grace-dev:fix/serverspec#2',
      links: { branch: 'https://github.com/grace-dev/Apollo/tree/fix/serverspec%232', repo: 'https://github.com/Capgemini/Apollo' },
    });
  });

  it('maps every conclusion GitHub documents', () => {
    const cases = {
      success: 'passed',
      neutral: 'passed',
      failure: 'failed',
      timed_out: 'failed',
      startup_failure: 'failed',
      cancelled: 'canceled',
      skipped: 'skipped',
      stale: 'skipped',
      action_required: 'skipped',
      some_future_conclusion: 'skipped',
    };
    for (const [conclusion, status] of Object.entries(cases)) expect([conclusion, statusOfConclusion(conclusion)]).toEqual([conclusion, status]);
  });

  it('refuses a payload whose fields have the wrong shape, by path', () => {
    const payload = fixture('workflow_run.completed.success.json');
    delete payload.workflow_run.head_sha;
    payload.workflow_run.run_number = 'five';
    const result = WorkflowRunEvent.safeParse(payload);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['workflow_run.head_sha', 'workflow_run.run_number']);
  });
});

describe('check_suite', () => {
  it('reports a third-party CI app’s suite under the app’s name', () => {
    const n = fromCheckSuite(CheckSuiteEvent.parse(fixture('check_suite.completed.json')));
    expect(n).toMatchObject({
      source: 'check_suite',
      pipeline: 'CircleCI Checks',
      runId: '13579246801',
      status: 'failed',
      branch: 'master',
      author: 'Ada Lovelace',
      durationMs: 322_000,
      links: { run: `https://github.com/Capgemini/Apollo/commit/${SHA}/checks?check_suite_id=13579246801` },
    });
  });

  it('leaves GitHub Actions’ suites to workflow_run', () => {
    const payload = fixture('check_suite.completed.json');
    payload.check_suite.app.slug = 'github-actions';
    payload.check_suite.app.name = 'GitHub Actions';
    expect(fromCheckSuite(CheckSuiteEvent.parse(payload))).toEqual({ ignored: expect.stringMatching(/workflow_run/) });
  });
});

describe('push and pull_request', () => {
  it('builds pushes only when switched on', () => {
    const push = PushEvent.parse(fixture('push.json'));
    expect(pushTrigger(config(), push)).toEqual({ ignored: expect.stringMatching(/pushes is off/) });
    expect(pushTrigger(config({ notifications: { autoBuild: { pushes: true } } }), push)).toEqual({
      event: 'push',
      repo: 'Capgemini/Apollo',
      branch: 'master',
      sha: SHA,
      login: 'ada-ops',
    });
  });

  it('builds nothing for a push that deletes a branch, or for a tag', () => {
    const on = config({ notifications: { autoBuild: { pushes: true } } });
    expect(pushTrigger(on, PushEvent.parse(fixture('push.delete-branch.json')))).toEqual({ ignored: 'the push deletes a branch' });
    const tag = fixture('push.json');
    tag.ref = 'refs/tags/v0.2.0';
    expect(pushTrigger(on, PushEvent.parse(tag))).toEqual({ ignored: expect.stringMatching(/only branch pushes/) });
  });

  it('builds pull requests by default, for the actions that change the code', () => {
    const opened = PullRequestEvent.parse(fixture('pull_request.opened.json'));
    expect(pullRequestTrigger(config(), opened)).toEqual({
      event: 'pull_request',
      repo: 'Capgemini/Apollo',
      branch: 'docker-bench-threshold',
      sha: 'b7c9e2f4a6d8013579bdf2468ace1357902468ac',
      login: 'grace-dev',
    });
    for (const action of ['synchronize', 'reopened']) {
      expect(pullRequestTrigger(config(), { ...opened, action })).not.toHaveProperty('ignored');
    }
    for (const action of ['closed', 'edited', 'labeled']) {
      expect(pullRequestTrigger(config(), { ...opened, action })).toHaveProperty('ignored');
    }
    expect(pullRequestTrigger(config({ notifications: { autoBuild: { pullRequests: false } } }), opened)).toHaveProperty('ignored');
  });

  it('never builds a fork’s pull request or another repository', () => {
    const fork = fixture('pull_request.opened.json');
    fork.pull_request.head.repo.full_name = 'mallory/Apollo';
    expect(pullRequestTrigger(config(), PullRequestEvent.parse(fork))).toEqual({ ignored: expect.stringMatching(/fork/) });
    const gone = fixture('pull_request.opened.json');
    gone.pull_request.head.repo = null;
    expect(pullRequestTrigger(config(), PullRequestEvent.parse(gone))).toHaveProperty('ignored');
    const other = config({ repository: 'git@github.com:Capgemini/other.git' });
    expect(pullRequestTrigger(other, PullRequestEvent.parse(fixture('pull_request.opened.json')))).toEqual({
      ignored: 'Capgemini/Apollo is not the configured repository',
    });
  });
});
