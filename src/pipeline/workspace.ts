import { mkdir, rm } from 'node:fs/promises';
import { resolve, relative, isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { ApolloError, ErrorCode } from '../errors.js';

/** A fresh checkout of one commit for one lane of one run; removed when the lane ends. */
export class Workspace {
  private constructor(readonly dir: string) {}

  static async create(root: string, name: string, mirrorPath: string, sha: string): Promise<Workspace> {
    const dir = resolve(root, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(resolve(dir, '..'), { recursive: true });
    const env = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
    const clone = await execa('git', ['clone', '--quiet', '--no-checkout', '--', mirrorPath, dir], { env, reject: false, stdin: 'ignore' });
    if (clone.exitCode !== 0) {
      throw new ApolloError(ErrorCode.GitFailed, `could not create the workspace: ${clone.stderr.trim()}`);
    }
    const checkout = await execa('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha], {
      cwd: dir,
      env,
      reject: false,
      stdin: 'ignore',
    });
    if (checkout.exitCode !== 0) {
      await rm(dir, { recursive: true, force: true });
      throw new ApolloError(ErrorCode.GitFailed, `could not check out ${sha}: ${checkout.stderr.trim()}`);
    }
    return new Workspace(dir);
  }

  /** A step's cwd inside the checkout; a cwd that escapes the checkout is refused. */
  cwd(stepCwd: string | undefined): string {
    const dir = stepCwd ? resolve(this.dir, stepCwd) : this.dir;
    const rel = relative(this.dir, dir);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new ApolloError(ErrorCode.ConfigInvalid, `step cwd ${stepCwd} is outside the checkout`);
    }
    return dir;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
