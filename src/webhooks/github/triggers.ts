import type { Config } from '../../config/schema.js';
import type { Ignored } from './ignored.js';
import { isConfiguredRepository } from './repo-match.js';
import type { PullRequestEvent, PushEvent } from './schemas.js';

/** A push or pull request of the configured repository that should be built. */
export interface BuildTrigger {
  event: 'push' | 'pull_request';
  /** owner/name, for routing. */
  repo: string;
  /** The branch the commit is on (a pull request's head branch). */
  branch: string;
  /** Full SHA. */
  sha: string;
  /** GitHub login of whoever pushed or updated the pull request. */
  login: string;
}

type AutoBuildConfig = Pick<Config, 'repository' | 'notifications'>;

const ZERO_SHA = /^0{40}$/;
const BUILD_ACTIONS: ReadonlySet<string> = new Set(['opened', 'synchronize', 'reopened']);

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
