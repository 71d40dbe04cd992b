import { lstat, mkdir, open, readdir, realpath, rename, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import { runChild } from './child-process.js';
import { ApolloError, ErrorCode } from '../errors.js';
import { NO_SANDBOX, type StepSandbox } from './sandbox.js';
import { within } from './within.js';
import { cloneLocal } from '../git/local-clone.js';
import { TrashBin } from './trash-bin.js';

/** git's environment for the checkout, built once. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' };

/**
 * Checks out the commit into a checkout made by `cloneLocal` (no index yet: git writes the whole
 * tree), then hands it to the step user: one process from the worker (each process it starts costs a
 * fork of the whole worker). A fixed script: the path, the SHA and the owner are positional
 * arguments, never part of the script's text. `chown -R` does not follow symlinks (-P is its
 * default), and `-h` changes a link itself: a committed `up -> ../..` never leads it outside the
 * checkout. Exit 11: the checkout failed, 12: the chown.
 */
const CHECKOUT = `dir=$1 sha=$2 owner=$3
git -C "$dir" -c advice.detachedHead=false checkout --quiet --detach "$sha" || exit 11
if [ -n "$owner" ]; then chown -R -h -P -- "$owner" "$dir" || exit 12; fi`;

const FAILED_TO: Record<number, string> = { 11: 'could not check out', 12: 'could not hand the checkout to the step user' };

/** Where a worker keeps its lanes' checkouts, under the state dir. */
export function workspacesRoot(stateDir: string): string {
  return join(resolve(stateDir), 'workspaces');
}

/** Discarded checkouts, deleted in the background in batches (see TrashBin). */
const trash = new TrashBin();

/** The name prefix of a discarded checkout, beside the live ones under the workspaces root. */
const DISCARDED = '.discarded-';

/** A fresh checkout of one commit for one lane of one run; removed when the lane ends. */
export class Workspace {
  private constructor(
    readonly dir: string,
    /** The checkout's own real path: symlinks anywhere above it must not count as escapes. */
    private readonly realDir: string,
  ) {}

  /**
   * Clones `sha` from the mirror and hands the checkout to the sandbox's step user (see CHECKOUT):
   * one process for the whole of it.
   */
  static async create(root: string, name: string, mirrorPath: string, sha: string, sandbox: StepSandbox = NO_SANDBOX): Promise<Workspace> {
    const dir = resolve(root, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(resolve(dir, '..'), { recursive: true });
    const owner = sandbox.owner ? `${sandbox.owner.uid}:${sandbox.owner.gid}` : '';
    try {
      await cloneLocal(mirrorPath, dir);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if (err instanceof ApolloError) throw err;
      throw new ApolloError(ErrorCode.GitFailed, `could not create the workspace: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    // Started without execa (child-process.ts: this is a per-lane process); a checkout outliving a
    // dying worker ends by itself.
    const made = await runChild('sh', ['-c', CHECKOUT, 'apollo-checkout', dir, sha, owner], { env: GIT_ENV });
    if (made.exitCode !== 0) {
      await rm(dir, { recursive: true, force: true });
      const what = FAILED_TO[made.exitCode ?? 0] ?? 'could not create the workspace';
      const code = made.exitCode === 12 ? ErrorCode.SandboxUnavailable : ErrorCode.GitFailed;
      const why = made.stderr.trim() || made.startError || `exit ${made.exitCode ?? made.signal}`;
      throw new ApolloError(code, `${what}${made.exitCode === 11 ? ` ${sha}` : ''}: ${why}`);
    }
    return new Workspace(dir, await realpath(dir));
  }

  /**
   * A path inside the checkout, resolved through symlinks: `..` or a committed symlink that leads
   * outside (to `/`, to the state dir, to another run) is refused, so nothing the repository
   * contains can point the worker at a file of its own.
   */
  async inside(path: string | undefined, what: string): Promise<string> {
    const lexical = path ? resolve(this.dir, path) : this.dir;
    if (!within(this.dir, lexical)) throw outside(what, path);
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      throw new ApolloError(ErrorCode.PathOutsideWorkspace, `${what} \`${path ?? '.'}\` does not exist in the checkout`);
    }
    if (!within(this.realDir, real)) throw outside(what, path);
    return real;
  }

  /** A step's cwd inside the checkout. */
  cwd(stepCwd: string | undefined): Promise<string> {
    return this.inside(stepCwd, 'step cwd');
  }

  /**
   * A report file written by a step, read as the worker, at most `maxBytes`. Resolved through
   * symlinks first and opened without following a final symlink, so a report cannot be a link to
   * the worker's secrets.
   */
  async readReport(path: string, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
    const real = await this.inside(path, 'report path');
    // A FIFO or device would block the read (and a libuv thread) forever: regular files only,
    // and opened non-blocking in case one is swapped in between.
    if (!(await lstat(real)).isFile()) throw new ApolloError(ErrorCode.PathOutsideWorkspace, `report path \`${path}\` is not a regular file`);
    const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new ApolloError(ErrorCode.PathOutsideWorkspace, `report path \`${path}\` is not a regular file`);
      const size = Math.min(info.size, maxBytes);
      const buffer = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buffer, 0, size, 0);
      return { text: buffer.subarray(0, bytesRead).toString('utf8'), truncated: info.size > maxBytes };
    } finally {
      await handle.close();
    }
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /**
   * Removes the checkout without holding up the lane's job: it is renamed out of the way at once (its
   * name is free for a retry of the same lane) and put in the trash bin, which deletes it in the
   * background with others (a deletion is a walk of the whole tree: seconds for a deploy's
   * providers). `Workspace.discarded()` waits for the deletions still due.
   */
  async discard(onError: (err: unknown) => void = () => undefined): Promise<void> {
    const renamed = join(dirname(this.dir), `${DISCARDED}${randomUUID()}`);
    if (
      await rename(this.dir, renamed).then(
        () => true,
        () => false,
      )
    ) {
      trash.add(renamed, onError);
      return;
    }
    // Without the rename the name is free only once the tree is gone: deleted here, and waited for
    // (by the lane's job, which the worker's shutdown waits for).
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(onError);
  }

  /** Resolves once every background deletion (`discard`, `sweep`) of this process has ended. */
  static async discarded(): Promise<void> {
    await trash.empty();
  }

  /**
   * Deletes, in the background, the discarded checkouts a worker left under `root` (it stopped
   * before their deletion ended, or the deletion failed): called when a worker starts.
   */
  static async sweep(root: string, onError: (err: unknown) => void = () => undefined): Promise<number> {
    const names = await readdir(root).catch(() => [] as string[]);
    const left = names.filter((name) => name.startsWith(DISCARDED));
    for (const name of left) trash.add(join(root, name), onError);
    return left.length;
  }
}

function outside(what: string, path: string | undefined): ApolloError {
  return new ApolloError(ErrorCode.PathOutsideWorkspace, `${what} \`${path ?? '.'}\` leads outside the checkout; refused`);
}
