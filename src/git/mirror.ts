import { mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { ApolloError, ErrorCode } from '../errors.js';
import { isSha } from './ref.js';

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
}

const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' };

async function git(args: string[], cwd?: string) {
  return execa('git', args, { cwd, env: GIT_ENV, reject: false, timeout: 300_000, stdin: 'ignore' });
}

/**
 * A cached bare mirror of the configured repository. Refs are resolved here; run workspaces are
 * cloned from it. It is a cache: losing it costs one fetch, never state.
 */
export class GitMirror {
  readonly path: string;
  private fetching: Promise<void> | undefined;

  /** The repository as shown to people: a URL's user and password are never displayed. */
  readonly displayName: string;

  constructor(
    readonly repository: string,
    stateDir: string,
  ) {
    this.displayName = repository.replace(/(:\/\/)[^/@\s]+@/, '$1');
    const key = createHash('sha256').update(repository).digest('hex').slice(0, 16);
    this.path = resolve(stateDir, 'mirrors', `${key}.git`);
  }

  /** Clones the mirror on first use; later calls are no-ops. */
  async ensure(): Promise<void> {
    if (existsSync(join(this.path, 'HEAD'))) return;
    await mkdir(resolve(this.path, '..'), { recursive: true });
    // Clone beside and rename, so a concurrent process never sees a half-made mirror.
    const tmp = `${this.path}.tmp-${randomUUID()}`;
    const result = await git(['clone', '--mirror', '--quiet', '--', this.repository, tmp]);
    if (result.exitCode !== 0) {
      await rm(tmp, { recursive: true, force: true });
      throw new ApolloError(ErrorCode.GitFailed, `could not clone ${this.displayName}`, { details: [lastLine(result.stderr)] });
    }
    try {
      await rename(tmp, this.path);
    } catch {
      await rm(tmp, { recursive: true, force: true }); // another process won the race; use its mirror
    }
  }

  /** Fetches every ref; concurrent callers in this process share one fetch. */
  async fetch(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        let result = await git(['fetch', '--prune', '--quiet', 'origin'], this.path);
        if (result.exitCode !== 0) {
          // Another process on this host may be fetching into the same mirror (ref locks): once more.
          await new Promise((r) => setTimeout(r, 500 + Math.random() * 500));
          result = await git(['fetch', '--prune', '--quiet', 'origin'], this.path);
        }
        if (result.exitCode !== 0) {
          throw new ApolloError(ErrorCode.GitFailed, `could not fetch ${this.displayName}`, { details: [lastLine(result.stderr)] });
        }
      } finally {
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }

  private async lookup(ref: string): Promise<string | undefined> {
    // Branches and tags first, so a hex-looking branch name is not mistaken for a SHA prefix.
    const candidates = isSha(ref) ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`, ref];
    for (const candidate of candidates) {
      const result = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`], this.path);
      if (result.exitCode === 0 && /^[0-9a-f]{40}$/.test(result.stdout.trim())) return result.stdout.trim();
    }
    return undefined;
  }

  /** Resolves a validated ref to a full SHA, fetching once when it is not known yet. */
  async resolve(ref: string): Promise<string> {
    await this.ensure();
    let sha = await this.lookup(ref);
    if (!sha) {
      await this.fetch();
      sha = await this.lookup(ref);
    }
    if (!sha) {
      throw new ApolloError(ErrorCode.RefUnknown, `\`${ref}\` is not a commit, branch or tag of ${this.displayName}`);
    }
    return sha;
  }

  async commitInfo(sha: string): Promise<CommitInfo> {
    const result = await git(['log', '-1', '--format=%H%x00%s%x00%an', sha, '--'], this.path);
    if (result.exitCode !== 0) throw new ApolloError(ErrorCode.RefUnknown, `commit ${sha} is not in ${this.displayName}`);
    const [full = sha, subject = '', author = ''] = result.stdout.split('\0');
    return { sha: full.trim(), subject: subject.trim(), author: author.trim() };
  }

  /** Makes sure `sha` is present (a worker may run on another machine than the web process). */
  async ensureCommit(sha: string): Promise<void> {
    await this.ensure();
    const has = await git(['cat-file', '-e', `${sha}^{commit}`], this.path);
    if (has.exitCode === 0) return;
    await this.fetch();
    const again = await git(['cat-file', '-e', `${sha}^{commit}`], this.path);
    if (again.exitCode !== 0) throw new ApolloError(ErrorCode.RefUnknown, `commit ${sha} is not in ${this.displayName}`);
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? 'git gave no reason';
}
