import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { PullRequestEvent, PushEvent } from '../../../src/webhooks/github/schemas.js';
import { pullRequestTrigger, pushTrigger } from '../../../src/webhooks/github/triggers.js';
import { fixture } from '../webhook-client.js';

const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';

function config(extra: Record<string, unknown> = {}) {
  return parseConfig({ repository: 'https://github.com/Capgemini/Apollo.git', build: { steps: [{ name: 'noop', run: 'true' }] }, ...extra }, 'test');
}

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
