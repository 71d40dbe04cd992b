import { resolve } from 'node:path';
import type { Config } from '../../config/schema.js';

/** The parts of a GitHub webhook's `repository` that say where it lives. */
export interface GitHubRepositoryUrls {
  full_name: string;
  html_url?: string;
  clone_url?: string;
  ssh_url?: string;
  git_url?: string;
  svn_url?: string;
}

/**
 * One spelling for every way of writing a git remote: `https://github.com/Owner/Name.git`,
 * `git@github.com:owner/name`, `ssh://git@github.com:22/owner/name/` and `git://…` all become
 * `github.com/owner/name`. Local paths become absolute paths. Lower-cased: GitHub ignores case.
 */
export function normalizeRemote(remote: string): string {
  let value = remote.trim();
  const scpLike = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(value);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      value = url.protocol === 'file:' ? decodeURIComponent(url.pathname) : `${url.hostname}${decodeURIComponent(url.pathname)}`;
    } catch {
      // Not a URL after all: compared as written.
    }
  } else if (scpLike && !value.startsWith('/') && !value.startsWith('.')) {
    value = `${scpLike[1]}/${scpLike[2]}`;
  } else {
    value = resolve(value);
  }
  return value.replace(/\/+$/, '').replace(/\.git$/i, '').replace(/\/+$/, '').toLowerCase();
}

/**
 * Whether a webhook's repository is the one the bot builds: `notifications.autoBuild.repository`
 * (owner/name) when set, else any of the payload's URLs written like `repository`.
 */
export function isConfiguredRepository(config: Pick<Config, 'repository' | 'notifications'>, repo: GitHubRepositoryUrls): boolean {
  const named = config.notifications.autoBuild.repository;
  if (named) return named.toLowerCase() === repo.full_name.toLowerCase();
  const configured = normalizeRemote(config.repository);
  return [repo.clone_url, repo.ssh_url, repo.git_url, repo.svn_url, repo.html_url].some((url) => url !== undefined && normalizeRemote(url) === configured);
}
