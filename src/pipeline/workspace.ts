import { lstat, mkdir, open, realpath, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { resolve, relative, isAbsolute, join, sep } from 'node:path';
import { execa } from 'execa';
import { ApolloError, ErrorCode } from '../errors.js';
import { NO_SANDBOX, type StepSandbox } from './sandbox.js';

/** git's environment for local clones, built once. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' };
const GIT_OPTIONS = { env: GIT_ENV, extendEnv: false, reject: false, stdin: 'ignore' } as const;

/** A fresh checkout of one commit for one lane of one run; removed when the lane ends. */
export class Workspace {
  private constructor(
    readonly dir: string,
    /** The checkout's own real path: symlinks anywhere above it must not count as escapes. */
    private readonly realDir: string,
  ) {}

  /**
   * Clones `sha` from the mirror and hands the checkout to the sandbox's step user. Objects are
   * copied, never hard-linked: a step that owns its checkout must not own the mirror's files too.
   * Two git processes (clone without checkout, then the detached checkout of the commit); the
   * ownership is changed in this process.
   */
  static async create(root: string, name: string, mirrorPath: string, sha: string, sandbox: StepSandbox = NO_SANDBOX): Promise<Workspace> {
    const dir = resolve(root, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(resolve(dir, '..'), { recursive: true });
    const options = GIT_OPTIONS;
    // No template: a checkout needs none of the sample hooks, and each file costs a create.
    const clone = await execa('git', ['clone', '--quiet', '--no-checkout', '--no-hardlinks', '--template=', '--', mirrorPath, dir], options);
    if (clone.exitCode !== 0) {
      throw new ApolloError(ErrorCode.GitFailed, `could not create the workspace: ${clone.stderr.trim()}`);
    }
    const checkout = await execa('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha], { ...options, cwd: dir });
    if (checkout.exitCode !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new ApolloError(ErrorCode.GitFailed, `could not check out ${sha}: ${checkout.stderr.trim()}`);
    }
    await sandbox.adopt(dir);
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

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

function within(root: string, path: string): boolean {
  if (path === root) return true;
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function outside(what: string, path: string | undefined): ApolloError {
  return new ApolloError(ErrorCode.PathOutsideWorkspace, `${what} \`${path ?? '.'}\` leads outside the checkout; refused`);
}
