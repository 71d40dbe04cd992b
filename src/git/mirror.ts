import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { ApolloError, ErrorCode } from '../errors.js';
import { isSha } from './ref.js';
import { CatFileBatch, type ObjectInfo, type ObjectRead } from './cat-file-batch.js';
import { looseRefNames } from './loose-refs.js';

export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
}

/**
 * Built once: a fetch needs the process's environment (SSH agent, HOME for credentials), and copying
 * it for every git call is work on the request path.
 */
const GIT_ENV: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' };

/**
 * One git process. No cleanup hook (execa installs signal-exit's handlers around each process, which
 * costs more than a short git process): a fetch outliving a dying process ends by itself.
 */
async function git(args: string[], cwd?: string, options: { stripFinalNewline?: boolean } = {}) {
  return execa('git', args, { cwd, env: GIT_ENV, extendEnv: false, reject: false, timeout: 300_000, stdin: 'ignore', cleanup: false, ...options });
}

/**
 * Branches and tags only: `refs/pull/*` (a fork's commits, GitHub's merge refs) and any other
 * namespace of the remote never reach the mirror, so they can neither resolve nor be built.
 */
const FETCH_REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];

/**
 * Fetched objects stay in their pack, however few (git unpacks fetches of under 100 objects into
 * one file per object by default): every workspace is cloned from the mirror by copying its object
 * files, and a handful of packs copies much faster than thousands of loose objects. git's own
 * automatic maintenance after a fetch repacks when packs pile up.
 */
const FETCH = ['-c', 'fetch.unpackLimit=1', 'fetch', '--prune', '--quiet', 'origin'];

/**
 * A cached bare copy of the configured repository's branches and tags. Refs are resolved here; run
 * workspaces are cloned from it. It is a cache: losing it costs one fetch, never state.
 */
export class GitMirror {
  readonly path: string;
  private fetching: Promise<void> | undefined;
  /** The first clone, shared by every caller of this process that finds no mirror yet. */
  private cloning: Promise<void> | undefined;
  private fetchedAt = 0;
  /** Object lookups over one long-lived process, restarted after each fetch. */
  private readonly objects: CatFileBatch;
  /** Which branches and tags contain a commit (answered or being answered), for the refs as they were at the last fetch. */
  private containingCache = new Map<string, Promise<string[]>>();
  /** A digest of the mirror's refs after the last fetch: answers about refs stay valid while it does not change. */
  private refsDigest = '';

  /** The repository as shown to people: a URL's user and password are never displayed. */
  readonly displayName: string;

  constructor(
    readonly repository: string,
    stateDir: string,
    /**
     * How long a fetch is trusted: branches move and are deleted, so a request looks at the remote
     * again unless this process fetched very recently (default 5 s).
     */
    private readonly freshMs = 5000,
  ) {
    this.displayName = repository.replace(/(:\/\/)[^/@\s]+@/, '$1');
    const key = createHash('sha256').update(repository).digest('hex').slice(0, 16);
    // `-heads-tags`: a mirror made by an older version (`clone --mirror`, every ref) is never reused.
    this.path = resolve(stateDir, 'mirrors', `${key}-heads-tags.git`);
    this.objects = new CatFileBatch(this.path, GIT_ENV);
  }

  /** Stops the lookup process (it would stop by itself with the process: it is not waited for). */
  close(): void {
    this.objects.close();
  }

  /** The object lookup process, for tests that kill it. */
  get lookupPid(): number | undefined {
    return this.objects.pid;
  }

  /** One lookup; a lookup process that died meanwhile is replaced and asked once more. */
  private async object(command: 'info' | 'contents', name: string): Promise<ObjectRead> {
    try {
      return command === 'info' ? await this.objects.info(name) : await this.objects.contents(name);
    } catch {
      return command === 'info' ? this.objects.info(name) : this.objects.contents(name);
    }
  }

  private async commitOf(name: string): Promise<string | undefined> {
    const found: ObjectInfo = await this.object('info', `${name}^{commit}`);
    return found.found && found.type === 'commit' ? found.oid : undefined;
  }

  /**
   * After a fetch: when the refs moved, the lookup process (which caches refs and packs) and the
   * containment answers start over. Most fetches change nothing, and then the answers stand.
   */
  private async refsFetched(dir: string): Promise<void> {
    const digest = await refsDigest(dir);
    if (digest !== '' && digest === this.refsDigest) return;
    this.refsDigest = digest;
    this.containingCache = new Map();
    this.objects.restart();
  }

  /**
   * Clones the mirror on first use; later calls are no-ops. Concurrent callers share one clone: a
   * burst of requests to a process that has no mirror yet would otherwise each clone the repository.
   */
  async ensure(): Promise<void> {
    if (existsSync(join(this.path, 'HEAD'))) return;
    this.cloning ??= this.clone().finally(() => {
      this.cloning = undefined;
    });
    return this.cloning;
  }

  private async clone(): Promise<void> {
    await mkdir(resolve(this.path, '..'), { recursive: true });
    // Clone beside and rename, so a concurrent process never sees a half-made mirror.
    const tmp = `${this.path}.tmp-${randomUUID()}`;
    const steps = [
      ['init', '--bare', '--quiet', tmp],
      ['-C', tmp, 'config', 'remote.origin.url', this.repository],
      ...FETCH_REFSPECS.map((spec) => ['-C', tmp, 'config', '--add', 'remote.origin.fetch', spec]),
      ['-C', tmp, ...FETCH],
    ];
    for (const args of steps) {
      const result = await git(args);
      if (result.exitCode !== 0) {
        await rm(tmp, { recursive: true, force: true });
        throw new ApolloError(ErrorCode.GitFailed, `could not clone ${this.displayName}`, { details: [lastLine(result.stderr)] });
      }
    }
    await this.followDefaultBranch(tmp);
    this.fetchedAt = Date.now();
    await this.refsFetched(tmp);
    try {
      await rename(tmp, this.path);
    } catch {
      await rm(tmp, { recursive: true, force: true }); // another process won the race; use its mirror
    }
  }

  /** Fetches the branches and tags (pruning deleted ones); concurrent callers in this process share one fetch. */
  async fetch(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        let result = await git(FETCH, this.path);
        if (result.exitCode !== 0) {
          // Another process on this host may be fetching into the same mirror (ref locks): once more.
          await new Promise((r) => setTimeout(r, 500 + Math.random() * 500));
          result = await git(FETCH, this.path);
        }
        if (result.exitCode !== 0) {
          throw new ApolloError(ErrorCode.GitFailed, `could not fetch ${this.displayName}`, { details: [lastLine(result.stderr)] });
        }
        await this.followDefaultBranch(this.path);
        this.fetchedAt = Date.now();
        await this.refsFetched(this.path);
      } finally {
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }

  /**
   * Points the mirror's HEAD at the remote's default branch (`git ls-remote --symref`), so that
   * `HEAD` names that branch's tip; left as it is when the remote does not say or names no branch.
   */
  private async followDefaultBranch(dir: string): Promise<void> {
    const remote = await git(['ls-remote', '--symref', 'origin', 'HEAD'], dir);
    const branch = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(remote.stdout)?.[1];
    if (remote.exitCode === 0 && branch) await git(['symbolic-ref', 'HEAD', branch], dir);
  }

  private async lookup(ref: string): Promise<string | undefined> {
    // `HEAD` is the remote's default branch, and only that: a branch tip, reviewed like any other.
    let candidates = [`refs/heads/${ref}`, `refs/tags/${ref}`];
    if (ref === 'HEAD') {
      const branch = await this.defaultBranch();
      if (!branch) return undefined;
      candidates = [`refs/heads/${branch}`]; // never a tag of the same name
    }
    // A name is a branch or a tag, nothing else (no `pull/1/head`, no reflog syntax).
    let named: string | undefined;
    for (const candidate of candidates) {
      named = await this.commitOf(candidate);
      if (named) break;
    }
    if (!isSha(ref)) return named;
    // Hex can name a commit or a branch: a branch called like a reviewed commit's prefix must not
    // smuggle another commit in. When both exist and differ, it is ambiguous and refused.
    const commit = await this.commitByPrefix(ref.toLowerCase(), named !== undefined);
    if (named && commit && named !== commit) {
      throw new ApolloError(ErrorCode.RefInvalid, `\`${ref}\` is both a commit and a branch or tag pointing elsewhere; give the full commit SHA or the branch name`);
    }
    return named ?? commit;
  }

  /** The branch the mirror's HEAD names (the remote's default branch), read as git reads it. */
  private async defaultBranch(): Promise<string | undefined> {
    const head = await readFile(join(this.path, 'HEAD'), 'utf8').catch(() => '');
    const branch = /^ref: refs\/heads\/(\S+)\n?$/.exec(head)?.[1];
    return branch;
  }

  /**
   * The one commit whose SHA starts with `prefix`, looked up among objects only (never refs). Git
   * reads hex as a ref first when one has that name: only then (`nameExists`, rare and suspicious)
   * are the objects listed by a process of their own.
   */
  private async commitByPrefix(prefix: string, nameExists: boolean): Promise<string | undefined> {
    if (!nameExists) {
      // No branch or tag has this name (and the mirror holds no other refs): git reads it as an
      // object id, and among several objects with the prefix a commit is the one wanted.
      const commit = await this.commitOf(prefix);
      return commit?.startsWith(prefix) ? commit : undefined;
    }
    const listed = await git(['rev-parse', `--disambiguate=${prefix}`], this.path);
    if (listed.exitCode !== 0) return undefined;
    const commits: string[] = [];
    for (const sha of listed.stdout.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l))) {
      const type = await this.object('info', sha);
      if (type.found && type.type === 'commit') commits.push(sha);
    }
    return commits.length === 1 ? commits[0] : undefined;
  }

  /**
   * The branches and tags that contain `sha` (`master`, `tag:v1.2`). A commit contained in none was
   * never reviewed into the repository (a force-pushed-away commit, a fork's commit): it is not built.
   */
  async containing(sha: string): Promise<string[]> {
    // Refs only change with a fetch by this process (which empties the cache) or by another process
    // on this host, whose fetch this one's next fetch also sees: an answer holds until then.
    // Concurrent requests for one commit share one answer (and one process).
    const cache = this.containingCache;
    const known = cache.get(sha);
    if (known) return known;
    if (cache.size >= 1000) cache.clear();
    const answer = this.listContaining(sha);
    cache.set(sha, answer);
    answer.then(
      (branches) => branches.length === 0 && cache.delete(sha), // git failed or none: asked again next time
      () => cache.delete(sha),
    );
    return answer;
  }

  private async listContaining(sha: string): Promise<string[]> {
    const result = await git(['for-each-ref', '--format=%(refname)', '--contains', sha, 'refs/heads', 'refs/tags'], this.path);
    if (result.exitCode !== 0) return [];
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((ref) => (ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : `tag:${ref.slice('refs/tags/'.length)}`));
  }

  /**
   * Resolves a validated ref to a full SHA contained in a branch or tag, as the remote has them now
   * (fetched unless fetched in the last `freshMs`). Returns the branches and tags that contain it.
   */
  async resolve(ref: string): Promise<{ sha: string; branches: string[] }> {
    await this.ensure();
    // What a branch points at, and which branches still exist, is the remote's to say: look again
    // (unless this process just did), and once more when the answer is "unknown".
    let fetched = false;
    if (Date.now() - this.fetchedAt >= this.freshMs) {
      await this.fetch();
      fetched = true;
    }
    let sha = await this.lookup(ref);
    let branches = sha ? await this.containing(sha) : [];
    if (!fetched && (!sha || branches.length === 0)) {
      await this.fetch();
      sha = await this.lookup(ref);
      branches = sha ? await this.containing(sha) : [];
    }
    if (!sha) {
      throw new ApolloError(ErrorCode.RefUnknown, `\`${ref}\` is not a commit, branch or tag of ${this.displayName}`);
    }
    if (branches.length === 0) {
      throw new ApolloError(ErrorCode.RefNotReviewed, `commit \`${sha.slice(0, 7)}\` is not on any branch or tag of ${this.displayName}; only commits in the repository's branches and tags are built (push it to a branch first)`);
    }
    return { sha, branches };
  }

  async commitInfo(sha: string): Promise<CommitInfo> {
    const read = await this.object('contents', `${sha}^{commit}`);
    if (!read.found || read.type !== 'commit' || !read.data) throw new ApolloError(ErrorCode.RefUnknown, `commit ${sha} is not in ${this.displayName}`);
    return parseCommit(read.oid, read.data);
  }

  /**
   * The text of `path` in commit `sha` (a file the repository carries, such as its pipeline), or
   * undefined when the commit has no such file. Refused past `maxBytes`: the file is not trusted.
   */
  async readFile(sha: string, path: string, maxBytes: number): Promise<string | undefined> {
    const spec = `${sha}:${path}`;
    const info = await this.object('info', spec);
    if (!info.found) return undefined;
    if (info.type !== 'blob') throw new ApolloError(ErrorCode.PipelineInvalid, `${path} in ${sha.slice(0, 7)} is not a file`);
    if (info.size > maxBytes) throw new ApolloError(ErrorCode.PipelineInvalid, `${path} in ${sha.slice(0, 7)} is larger than ${maxBytes} bytes`);
    const blob = await this.object('contents', info.oid);
    if (!blob.found || !blob.data) throw new ApolloError(ErrorCode.GitFailed, `could not read ${path} in ${sha.slice(0, 7)}`);
    return blob.data.toString('utf8');
  }

  /** Makes sure `sha` is present (a worker may run on another machine than the web process). */
  async ensureCommit(sha: string): Promise<void> {
    await this.ensure();
    if (await this.commitOf(sha)) return;
    await this.fetch();
    if (!(await this.commitOf(sha))) throw new ApolloError(ErrorCode.RefUnknown, `commit ${sha} is not in ${this.displayName}`);
  }
}

/**
 * A digest of a repository's branches, tags and HEAD as stored (packed-refs and loose refs), read
 * without a process. Empty when they cannot be read (then nothing is trusted to be unchanged).
 */
async function refsDigest(gitDir: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    hash.update(await readFile(join(gitDir, 'HEAD')));
    hash.update(await readFile(join(gitDir, 'packed-refs')).catch(() => Buffer.alloc(0)));
    for (const name of await looseRefNames(gitDir)) hash.update(`\0${name}\0`).update(await readFile(join(gitDir, name)));
  } catch {
    return '';
  }
  return hash.digest('hex');
}

/** `%H`, `%s` and `%an` of `git log`, from a commit object's bytes. */
export function parseCommit(oid: string, data: Buffer): CommitInfo {
  const text = data.toString('utf8');
  const split = text.indexOf('\n\n');
  const headers = split < 0 ? text : text.slice(0, split);
  const message = split < 0 ? '' : text.slice(split + 2);
  const author = /^author (.*?) <[^>]*> \d+ [+-]\d{4}$/m.exec(headers)?.[1] ?? '';
  // Like %s: the first paragraph of the message, its lines joined by spaces.
  const subject = (message.split(/\n[ \t]*\n/)[0] ?? '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return { sha: oid, subject, author: author.trim() };
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? 'git gave no reason';
}
