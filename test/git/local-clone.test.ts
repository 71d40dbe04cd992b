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
    mirror = join(root, 'mir"ror\\.git');
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
    const config = async (dir: string) => (await git(dir, 'config', '--list', '--local')).split('\n').sort();
    expect(await config(ours)).toEqual(await config(theirs));
    expect(await config(ours)).toContain('branch.main.merge=refs/heads/main');
    // Nothing that runs on a checkout (the checkout runs as root): no hooks, no hooksPath.
    await expect(lstat(join(ours, '.git/hooks'))).rejects.toMatchObject({ code: 'ENOENT' });

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

  it('names a branch at the mirror\'s commit when the mirror\'s HEAD is detached, as git clone does', async () => {
    const detached = join(root, 'detached.git');
    await execa('git', ['clone', '--quiet', '--mirror', repo.path, detached]);
    await git(detached, 'update-ref', '--no-deref', 'HEAD', first);
    await git(detached, 'branch', '-f', 'main', first);
    const ours = join(root, 'from-detached');
    await cloneLocal(detached, ours);
    expect(await git(ours, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(await git(ours, 'rev-parse', 'refs/heads/main')).toBe(first);
  });

  it('carries a SHA-256 repository\'s object format, and refuses an extension it cannot copy', async () => {
    const src = join(root, 'sha256-src');
    await execa('git', ['init', '--quiet', '--object-format=sha256', '--initial-branch=main', src]);
    await writeFile(join(src, 'f'), 'x\n');
    await git(src, 'add', 'f');
    await git(src, 'commit', '--quiet', '-m', 'sha256');
    const sha = await git(src, 'rev-parse', 'HEAD');
    expect(sha).toHaveLength(64);
    const dir = join(root, 'from-sha256');
    await cloneLocal(src, dir);
    await git(dir, '-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', sha);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(sha);

    const odd = join(root, 'reftable.git');
    await execa('git', ['clone', '--quiet', '--mirror', repo.path, odd]);
    await git(odd, 'config', 'extensions.refStorage', 'reftable');
    await expect(cloneLocal(odd, join(root, 'from-reftable'))).rejects.toMatchObject({ code: 'apollo_git_failed', message: expect.stringContaining('extension refstorage') });
  });

  it('copies a mirror that is fetched into and repacked meanwhile, or says it could not: never refs to missing objects', async () => {
    const busy = join(root, 'busy');
    await mkdir(busy);
    const src = join(busy, 'src');
    await execa('git', ['clone', '--quiet', repo.path, src]);
    const moving = join(busy, 'mirror.git');
    await execa('git', ['clone', '--quiet', '--mirror', src, moving]);
    // A writer that commits, moves a branch, fetches it as a new pack, repacks and packs the refs,
    // over and over, as other lanes' fetches and git's maintenance do to a live mirror.
    const writer = execa('sh', ['-c', `i=0; while :; do i=$((i+1)); echo $i > src/g; git -C src add g; git -C src commit -qm n$i; git -C src branch -f moving; git -C mirror.git -c fetch.unpackLimit=1 -c gc.auto=0 fetch -q origin '+refs/heads/*:refs/heads/*'; git -C mirror.git repack -qad; git -C mirror.git pack-refs --all; done`], { cwd: busy, env: ENV, reject: false, detached: true });
    let copied = 0;
    try {
      for (let i = 0; i < 40; i++) {
        const dir = join(busy, `c${i}`);
        const made = await cloneLocal(moving, dir).then(() => true, (err: unknown) => {
          expect(err).toMatchObject({ code: 'apollo_git_failed' });
          return false;
        });
        if (!made) continue;
        copied++;
        const names = await refs(dir);
        expect(names).toContain('refs/remotes/origin/main');
        const check = await execa('git', ['cat-file', '--batch-check'], { cwd: dir, input: names.split('\n').map((line) => line.split(' ')[1]).join('\n') });
        expect(check.stdout).not.toContain('missing');
      }
    } finally {
      process.kill(-writer.pid!, 'SIGKILL');
      await writer;
    }
    expect(copied).toBeGreaterThan(20);
  });

  it('fails with a typed error when the source is not a repository', async () => {
    await expect(cloneLocal(join(root, 'nothing-here'), join(root, 'never'))).rejects.toMatchObject({ code: 'apollo_git_failed', message: expect.stringContaining('is not a git repository') });
  });
});
