import { mkdtemp, mkdir, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

const ENV = {
  GIT_AUTHOR_NAME: 'Ada Lovelace',
  GIT_AUTHOR_EMAIL: 'ada@example.test',
  GIT_COMMITTER_NAME: 'Ada Lovelace',
  GIT_COMMITTER_EMAIL: 'ada@example.test',
};

/** A real git repository on disk, for tests that build and deploy real commits. */
export class TestRepo {
  private constructor(readonly path: string) {}

  static async create(files: Record<string, string> = {}, message = 'initial commit'): Promise<TestRepo> {
    const path = await mkdtemp(join(tmpdir(), 'apollo-repo-'));
    await execa('git', ['init', '--quiet', '--initial-branch=main', path]);
    const repo = new TestRepo(path);
    await repo.commit(files, message);
    return repo;
  }

  /** Writes files (executable when the name ends in .sh) and commits them; returns the full SHA. */
  async commit(files: Record<string, string>, message: string): Promise<string> {
    for (const [name, content] of Object.entries(files)) {
      const file = join(this.path, name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      if (name.endsWith('.sh')) await chmod(file, 0o755);
    }
    await execa('git', ['add', '-A'], { cwd: this.path });
    await execa('git', ['commit', '--quiet', '--allow-empty', '-m', message], { cwd: this.path, env: ENV });
    return this.head();
  }

  async head(): Promise<string> {
    return (await execa('git', ['rev-parse', 'HEAD'], { cwd: this.path })).stdout.trim();
  }

  async branch(name: string): Promise<void> {
    await execa('git', ['branch', name], { cwd: this.path });
  }

  async tag(name: string): Promise<void> {
    await execa('git', ['tag', name], { cwd: this.path });
  }
}
