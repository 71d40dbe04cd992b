import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLane } from '../../src/pipeline/lane-runner.js';
import { RunLog } from '../../src/pipeline/run-log.js';
import { createSandbox, type StepSandbox } from '../../src/pipeline/sandbox.js';
import { Workspace } from '../../src/pipeline/workspace.js';
import { newLane } from '../../src/runs/run.js';
import { TestRepo } from '../helpers/git-repo.js';

const ENV = { GIT_AUTHOR_NAME: 'M', GIT_AUTHOR_EMAIL: 'm@example.test', GIT_COMMITTER_NAME: 'M', GIT_COMMITTER_EMAIL: 'm@example.test' };

/**
 * A repository is attacker-controlled: committed symlinks must not point the worker (which reads
 * reports as itself) or a step's cwd at anything outside the checkout.
 */
describe('a checkout cannot point outside itself', () => {
  let dir: string;
  let secret: string;
  let repo: TestRepo;
  let workspace: Workspace;
  let sandbox: StepSandbox;
  let log: RunLog;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apollo-ws-'));
    // As a state dir's parents are in production: the step user may pass through (see createSandbox).
    await chmod(dir, 0o755);
    secret = join(dir, 'worker-secret.txt');
    await writeFile(secret, 'the-worker-secret\n', { mode: 0o600 });
    repo = await TestRepo.create({ 'infra/aws/main.tf': '# ok\n', 'reports/.keep': '' }, 'Seed');
    for (const [link, target] of [['root', '/'], ['up', '../..'], ['reports/stolen.json', secret], ['reports/passwd.xml', '/etc/passwd']]) {
      await execa('ln', ['-s', target!, link!], { cwd: repo.path });
    }
    await execa('git', ['add', '-A'], { cwd: repo.path });
    await execa('git', ['commit', '--quiet', '-m', 'symlinks'], { cwd: repo.path, env: ENV });
    sandbox = await createSandbox({ sandbox: 'namespaces', runAs: 'nobody', stateDir: join(dir, 'state') });
    workspace = await Workspace.create(join(dir, 'state', 'workspaces'), 'ws', repo.path, await repo.head(), sandbox);
    log = new RunLog(join(dir, 'lane.log'));
    await log.open();
  });

  afterAll(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
    await rm(repo.path, { recursive: true, force: true });
  });

  const lane = (steps: { name: string; run: string; cwd?: string; report?: { format: 'junit' | 'rspec-json'; path: string } }[]) =>
    runLane({ lane: newLane('build', steps.map((s) => s.name)), steps, workspace, sandbox, env: { PATH: process.env.PATH ?? '' }, log, onChange: async () => undefined });

  it('is handed to the step user without following its symlinks out', async () => {
    expect((await stat(join(workspace.dir, 'infra/aws/main.tf'))).uid).toBe(65534);
    expect((await lstat(join(workspace.dir, 'up'))).uid).toBe(65534);
    // The links' targets (the worker's own files, the state dir above the checkout) keep their owner.
    expect((await stat(secret)).uid).toBe(0);
    expect((await stat(join(dir, 'state'))).uid).toBe(0);
  });

  it('hands the checkout to the step user, with objects copied rather than hard-linked', async () => {
    const info = await stat(join(workspace.dir, 'infra/aws/main.tf'));
    expect(info.uid).not.toBe(0);
    const objects = (await execa('find', [join(workspace.dir, '.git/objects'), '-type', 'f', '-links', '+1'])).stdout.trim();
    expect(objects).toBe('');
  });

  it('refuses a step cwd that leads outside through .. or a committed symlink', async () => {
    const result = await lane([
      { name: 'dots', run: 'true', cwd: '../..' },
    ]);
    expect(result.steps[0]).toMatchObject({ status: 'failed', reason: expect.stringContaining('leads outside the checkout') });
    for (const cwd of ['root', 'up', 'root/etc']) {
      const through = await lane([{ name: 'link', run: 'pwd', cwd }]);
      expect(through.steps[0], cwd).toMatchObject({ status: 'failed', reason: expect.stringContaining('leads outside the checkout') });
    }
    expect((await lane([{ name: 'inside', run: 'pwd', cwd: 'infra/aws' }])).steps[0]!.status).toBe('passed');
  });

  it('refuses a report path that is a symlink out of the checkout, and says so on the card', async () => {
    const result = await lane([
      { name: 'stolen', run: 'true', report: { format: 'rspec-json', path: 'reports/stolen.json' } },
    ]);
    expect(result.steps[0]).toMatchObject({ status: 'failed' });
    expect(result.steps[0]!.reason).toContain('leads outside the checkout');
    expect(JSON.stringify(result)).not.toContain('the-worker-secret');
    // A link the step itself makes at run time is refused the same way.
    const made = await lane([{ name: 'made', run: 'ln -sf /etc/shadow reports/made.xml', report: { format: 'junit', path: 'reports/made.xml' } }]);
    expect(made.steps[0]!.reason).toContain('leads outside the checkout');
  });

  it('refuses a report that is a FIFO rather than blocking on it', async () => {
    const fifo = await lane([{ name: 'fifo', run: 'mkfifo reports/pipe.xml', report: { format: 'junit', path: 'reports/pipe.xml' } }]);
    expect(fifo.steps[0]!.reason).toContain('is not a regular file');
  });

  it('reads report files only up to the cap', async () => {
    const big = await lane([{ name: 'big', run: 'head -c 40000000 /dev/zero | tr "\\0" x > reports/big.xml', report: { format: 'junit', path: 'reports/big.xml' } }]);
    expect(big.steps[0]!.reason).toContain('larger than the report limit');
  });
});

describe('making a checkout', () => {
  it('says which part failed, and leaves nothing behind', async () => {
    const repo = await TestRepo.create({ 'README': 'x\n' }, 'Seed');
    const root = await mkdtemp(join(tmpdir(), 'apollo-ws-fail-'));
    const missing = 'f'.repeat(40);
    await expect(Workspace.create(root, 'ws', repo.path, missing)).rejects.toMatchObject({ code: 'apollo_git_failed', message: expect.stringContaining(`could not check out ${missing}`) });
    await expect(lstat(join(root, 'ws'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(Workspace.create(root, 'ws', join(root, 'no-such-mirror'), await repo.head())).rejects.toMatchObject({ code: 'apollo_git_failed', message: expect.stringContaining('could not create the workspace') });
    const made = await Workspace.create(root, 'ws', repo.path, await repo.head());
    expect((await stat(join(made.dir, 'README'))).isFile()).toBe(true);
    await rm(root, { recursive: true, force: true });
    await rm(repo.path, { recursive: true, force: true });
  });

  it('is discarded at once and deleted in the background, and its name can be checked out again meanwhile', async () => {
    const repo = await TestRepo.create({ 'README': 'x\n' }, 'Seed');
    const root = await mkdtemp(join(tmpdir(), 'apollo-ws-discard-'));
    const first = await Workspace.create(root, 'ws', repo.path, await repo.head());
    // A tree a step left behind, deep enough that deleting it takes a while.
    let deep = first.path('left');
    for (let i = 0; i < 30; i++) deep = join(deep, `d${i}`);
    await mkdir(deep, { recursive: true });
    await writeFile(join(deep, 'f'), 'x');
    await first.discard();
    await expect(lstat(first.dir)).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await Workspace.create(root, 'ws', repo.path, await repo.head());
    expect((await stat(join(again.dir, 'README'))).isFile()).toBe(true);
    await Workspace.discarded();
    expect(await readdir(root)).toEqual(['ws']);
    await rm(root, { recursive: true, force: true });
    await rm(repo.path, { recursive: true, force: true });
  });

  it('the discarded checkouts a stopped worker left are swept when a worker starts, and nothing else', async () => {
    const root = await mkdtemp(join(tmpdir(), 'apollo-ws-sweep-'));
    await mkdir(join(root, '.discarded-1', 'a', 'b'), { recursive: true });
    await writeFile(join(root, '.discarded-1', 'a', 'b', 'f'), 'x');
    await mkdir(join(root, '.discarded-2'));
    await mkdir(join(root, 'b7-build'));
    expect(await Workspace.sweep(root)).toBe(2);
    await Workspace.discarded();
    expect(await readdir(root)).toEqual(['b7-build']);
    expect(await Workspace.sweep(join(root, 'missing'))).toBe(0);
    await rm(root, { recursive: true, force: true });
  });
});
