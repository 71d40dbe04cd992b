import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneLocal } from '../../src/git/local-clone.js';
import { TestRepo } from '../helpers/git-repo.js';

const ENV = { GIT_AUTHOR_NAME: 'M', GIT_AUTHOR_EMAIL: 'm@example.test', GIT_COMMITTER_NAME: 'M', GIT_COMMITTER_EMAIL: 'm@example.test' };

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await execa('git', args, { cwd, env: ENV })).stdout.trim();
}

const refs = (cwd: string) => git(cwd, 'for-each-ref', '--format=%(refname) %(objectname) %(symref)');

/**
 * The checkout's `.git` is made by copying the mirror's files: it must hold what git's own local
 * clone holds, compared here with `git clone --no-checkout` of the same mirror.
 */
describe('cloneLocal', () => {
  let root: string;
  let repo: TestRepo;
  let mirror: string;
  let first: string;
  let head: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'apollo-clone-'));
    repo = await TestRepo.create({ 'README.md': 'one\n', 'bin/run.sh': 'echo run\n' }, 'one');
    first = await repo.head();
    await git(repo.path, 'tag', '-a', 'v1.0', '-m', 'release one');
    await repo.branch('feature/x');
    head = await repo.commit({ 'README.md': 'two\n' }, 'two');
    await repo.tag('light');
    // A mirror as GitMirror makes it (branches and tags), with a quote in its path; then a fetch
    // that leaves some refs loose and some packed.
    mirror = join(root, 'mir"ror.git');
    await execa('git', ['clone', '--quiet', '--mirror', repo.path, mirror]);
    await git(mirror, 'pack-refs', '--all');
    await repo.commit({ 'new.txt': 'three\n' }, 'three');
    await repo.branch('later');
    await git(mirror, 'fetch', '--quiet', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(repo.path, { recursive: true, force: true });
  });

  it('holds the refs, HEAD and remote that git clone would, and checks out like it', async () => {
    const ours = join(root, 'ours');
    const theirs = join(root, 'theirs');
    await cloneLocal(mirror, ours);
    await execa('git', ['clone', '--quiet', '--no-checkout', '--no-hardlinks', '--template=', '--', mirror, theirs]);
    expect(await refs(ours)).toBe(await refs(theirs));
    expect(await refs(ours)).toContain('refs/remotes/origin/feature/x');
    expect(await git(ours, 'symbolic-ref', 'HEAD')).toBe(await git(theirs, 'symbolic-ref', 'HEAD'));
    expect(await git(ours, 'config', 'remote.origin.url')).toBe(mirror);

    for (const dir of [ours, theirs]) await git(dir, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', head);
    expect(await git(ours, 'status', '--porcelain')).toBe('');
    expect(await git(ours, 'describe', '--tags')).toBe('light');
    expect(await git(ours, 'describe', '--tags', first)).toBe('v1.0');
    expect(await git(ours, 'branch')).toBe(await git(theirs, 'branch'));
    expect((await lstat(join(ours, 'bin/run.sh'))).mode & 0o111).not.toBe(0);
    await git(ours, 'fsck', '--no-progress');
    // Copied, never hard-linked: the step that owns the checkout must not own the mirror's files.
    expect((await execa('find', [join(ours, '.git/objects'), '-type', 'f', '-links', '+1'])).stdout).toBe('');
  });

  it('copies loose objects too (a working repository as the source)', async () => {
    const dir = join(root, 'from-working');
    await cloneLocal(repo.path, dir);
    const latest = await repo.head();
    await git(dir, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', latest);
    expect(await git(dir, 'log', '--format=%s', '-1')).toBe('three');
    expect(await refs(dir)).toContain(`refs/remotes/origin/later ${latest}`);
  });

  it('skips refs git would refuse instead of writing them into the checkout', async () => {
    const odd = join(root, 'odd.git');
    await execa('git', ['clone', '--quiet', '--mirror', repo.path, odd]);
    await mkdir(join(odd, 'refs/heads'), { recursive: true });
    await writeFile(join(odd, 'refs/heads/bad name'), `${head}\n`);
    await writeFile(join(odd, 'refs/heads/main.lock'), `${head}\n`);
    await writeFile(join(odd, 'refs/heads/symbolic'), 'ref: refs/heads/main\n');
    const dir = join(root, 'from-odd');
    await cloneLocal(odd, dir);
    const names = await refs(dir);
    expect(names).not.toMatch(/bad name|main\.lock|origin\/symbolic/);
    expect(names).toContain('refs/remotes/origin/main');
  });

  it('fails with a typed error when the source is not a repository', async () => {
    await expect(cloneLocal(join(root, 'nothing-here'), join(root, 'never'))).rejects.toMatchObject({ code: 'apollo_git_failed', message: expect.stringContaining('is not a git repository') });
  });
});
