import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrashBin, type RemoveTrees } from '../../src/pipeline/trash-bin.js';
import { runChild } from '../../src/pipeline/child-process.js';

const gone = (path: string) => lstat(path).then(() => false, () => true);

const rmTrees: RemoveTrees = (paths) => runChild('rm', ['-rf', '--', ...paths], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });

/** A remover that waits at a gate the test opens, then deletes for real; it records each call. */
function gated(): { remove: RemoveTrees; calls: string[][]; entered: Promise<void>; open: () => void } {
  const calls: string[][] = [];
  let open!: () => void;
  let enter!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const entered = new Promise<void>((resolve) => (enter = resolve));
  const remove: RemoveTrees = async (paths) => {
    calls.push(paths);
    enter();
    await gate;
    return rmTrees(paths);
  };
  return { remove, calls, entered, open };
}

describe('TrashBin', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'apollo-trash-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function tree(name: string): Promise<string> {
    const dir = join(root, name);
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'a', 'b', 'f'), 'x');
    return dir;
  }

  it('deletes the trees put in together in one rm, and emptying waits for it', async () => {
    const calls: string[][] = [];
    const remove: RemoveTrees = (paths) => {
      calls.push(paths);
      return rmTrees(paths);
    };
    const bin = new TrashBin({ delayMs: 60_000, remove });
    const trees = await Promise.all(['one', 'two', 'three'].map(tree));
    for (const path of trees) bin.add(path);
    await bin.empty();
    expect(calls).toEqual([trees]);
    for (const path of trees) expect(await gone(path)).toBe(true);
    // Nothing else under the root was touched.
    expect(await gone(root)).toBe(false);
  });

  it('deletes by itself after its delay, with the default rm', async () => {
    const bin = new TrashBin({ delayMs: 10 });
    const path = await tree('later');
    bin.add(path);
    await expect.poll(() => gone(path), { timeout: 10_000 }).toBe(true);
  });

  it('tries a tree again that could not be deleted whole, then reports it and stops', async () => {
    const path = await tree('stuck');
    const errors: unknown[] = [];
    let calls = 0;
    // An rm that fails and leaves the tree, as a step's last process writing into it would make it.
    const failing: RemoveTrees = async () => {
      calls++;
      return { exitCode: 1, signal: null, stderr: `rm: cannot remove '${path}/a': Directory not empty\n` };
    };
    const bin = new TrashBin({ delayMs: 5, attempts: 3, remove: failing });
    bin.add(path, (err) => errors.push(err));
    await bin.empty();
    expect(calls).toBe(3);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('Directory not empty');
    expect(String(errors[0])).toContain('3 tries');
  });

  it('forgets a tree that is gone even when rm failed for another one', async () => {
    const fine = await tree('fine');
    const stuck = await tree('stuck');
    const errors: [string, unknown][] = [];
    const remove: RemoveTrees = async (paths) => {
      if (paths.includes(fine)) await rm(fine, { recursive: true });
      return { exitCode: 1, signal: null, stderr: 'rm: cannot remove: Directory not empty' };
    };
    const bin = new TrashBin({ delayMs: 5, attempts: 2, remove });
    bin.add(fine, (err) => errors.push(['fine', err]));
    bin.add(stuck, (err) => errors.push(['stuck', err]));
    await bin.empty();
    expect(errors.map(([which]) => which)).toEqual(['stuck']);
  });

  it('deletes a tree put in while an rm runs once that rm has ended, on its own', async () => {
    const { remove, calls, entered, open } = gated();
    const bin = new TrashBin({ delayMs: 5, remove });
    const first = await tree('first');
    bin.add(first);
    await entered;
    const second = await tree('second');
    bin.add(second);
    open();
    await expect.poll(() => gone(second), { timeout: 10_000 }).toBe(true);
    expect(await gone(first)).toBe(true);
    expect(calls).toEqual([[first], [second]]);
  });

  it('emptying waits for an rm its timer started', async () => {
    const { remove, entered, open } = gated();
    const bin = new TrashBin({ delayMs: 5, remove });
    const path = await tree('timer');
    bin.add(path);
    await entered;
    let emptied = false;
    const emptying = bin.empty().then(() => (emptied = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(emptied).toBe(false);
    open();
    await emptying;
    expect(await gone(path)).toBe(true);
  });

  it('tries a tree again on its timer after an rm that left it', async () => {
    const path = await tree('again');
    const errors: unknown[] = [];
    let calls = 0;
    const remove: RemoveTrees = (paths) => (++calls === 1 ? Promise.resolve({ exitCode: 1, signal: null, stderr: 'rm: Directory not empty' }) : rmTrees(paths));
    const bin = new TrashBin({ delayMs: 5, remove });
    bin.add(path, (err) => errors.push(err));
    await expect.poll(() => gone(path), { timeout: 10_000 }).toBe(true);
    expect(calls).toBe(2);
    expect(errors).toEqual([]);
  });

  it('a listener that throws costs the other trees nothing', async () => {
    const one = await tree('one');
    const two = await tree('two');
    const reported: string[] = [];
    const failing: RemoveTrees = async () => ({ exitCode: 1, signal: null, stderr: 'rm: Directory not empty' });
    const bin = new TrashBin({ delayMs: 5, attempts: 1, remove: failing });
    bin.add(one, () => {
      reported.push('one');
      throw new Error('a listener that throws');
    });
    bin.add(two, () => reported.push('two'));
    await bin.empty();
    expect(reported).toEqual(['one', 'two']);
  });

  it('splits a large bin into several rm commands (a command line has a length limit)', async () => {
    const calls: number[] = [];
    const remove: RemoveTrees = async (paths) => {
      calls.push(paths.length);
      return { exitCode: 0, signal: null, stderr: '' };
    };
    const bin = new TrashBin({ delayMs: 60_000, remove });
    for (let i = 0; i < 1200; i++) bin.add(join(root, `.discarded-${i}`));
    await bin.empty();
    expect(calls).toEqual([500, 500, 200]);
  });
});
