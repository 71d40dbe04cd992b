import { describe, expect, it } from 'vitest';
import { fromCheckSuite, fromWorkflowRun, statusOfConclusion } from '../../../src/webhooks/github/notify.js';
import { CheckSuiteEvent, WorkflowRunEvent } from '../../../src/webhooks/github/schemas.js';
import { fixture } from '../webhook-client.js';

const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';

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
