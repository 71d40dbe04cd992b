import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../../src/git/cat-file-batch.js';
import { GitMirror, parseCommit } from '../../src/git/mirror.js';
import { TestRepo } from '../helpers/git-repo.js';

/** Resolves once `pid` is gone. */
async function gone(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('CatFileBatch: one git process answers every lookup', () => {
  let repo: TestRepo;
  let batch: CatFileBatch;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'README': 'apollo\n', 'dir/file.txt': 'x'.repeat(70_000) }, 'Seed');
    batch = new CatFileBatch(join(repo.path, '.git'), process.env);
  });
  afterAll(async () => {
    batch.close();
    await rm(repo.path, { recursive: true, force: true });
  });

  it('answers info and contents in order, including missing names and large objects', async () => {
    const head = await repo.head();
    const [commit, missing, readme, big] = await Promise.all([
      batch.info('refs/heads/main^{commit}'),
      batch.info('refs/heads/nope^{commit}'),
      batch.contents(`${head}:README`),
      batch.contents(`${head}:dir/file.txt`),
    ]);
    expect(commit).toEqual({ found: true, oid: head, type: 'commit', size: expect.any(Number) });
    expect(missing).toEqual({ found: false, reason: 'missing' });
    expect(readme.found && readme.data?.toString()).toBe('apollo\n');
    expect(big.found && big.data?.length).toBe(70_000);
    expect(batch.started).toBe(1);
  });

  it('starts again after its process is killed, and after a restart', async () => {
    await batch.info('HEAD');
    const pid = batch.pid!;
    process.kill(pid, 'SIGKILL');
    await gone(pid);
    const head = await repo.head();
    expect(await batch.info('HEAD')).toMatchObject({ found: true, oid: head });
    expect(batch.pid).not.toBe(pid);
    batch.restart();
    expect(await batch.info('HEAD')).toMatchObject({ found: true, oid: head });
    expect(batch.started).toBe(3);
  });

  it('refuses a name with a line break (it would be a second request)', async () => {
    await expect(batch.info('HEAD\ninfo HEAD')).rejects.toMatchObject({ code: 'apollo_git_failed' });
  });
});

describe('GitMirror lookups', () => {
  it('resolve a ref with no process per request once fetched, and survive a killed lookup process', async () => {
    const repo = await TestRepo.create({ 'a': '1' }, 'First line\nsecond line\n\nbody');
    const stateDir = await mkdtemp(join(tmpdir(), 'apollo-batch-'));
    const mirror = new GitMirror(repo.path, stateDir, 60_000);
    try {
      const { sha } = await mirror.resolve('main');
      expect(await mirror.commitInfo(sha)).toMatchObject({ sha, subject: 'First line second line' });
      const pid = mirror.lookupPid!;
      process.kill(pid, 'SIGKILL');
      await gone(pid);
      expect((await mirror.resolve('main')).sha).toBe(sha);
      expect(mirror.lookupPid).not.toBe(pid);
    } finally {
      mirror.close();
      await rm(stateDir, { recursive: true, force: true });
      await rm(repo.path, { recursive: true, force: true });
    }
  });

  it('read a commit as git log does', () => {
    const data = Buffer.from('tree t\nparent p\nauthor Ann Author <a@x> 1700000000 +0100\ncommitter C <c@x> 1 +0000\n\nSubject\n  continued\n\nBody\n');
    expect(parseCommit('abc', data)).toEqual({ sha: 'abc', subject: 'Subject continued', author: 'Ann Author' });
  });
});
