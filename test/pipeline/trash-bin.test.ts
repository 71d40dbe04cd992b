import { lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrashBin, type RemoveTrees } from '../../src/pipeline/trash-bin.js';
import { runChild } from '../../src/pipeline/child-process.js';

const gone = (path: string) => lstat(path).then(() => false, () => true);

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
      return runChild('rm', ['-rf', '--', ...paths], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
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
    const bin = new TrashBin({ delayMs: 60_000, attempts: 3, remove: failing });
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
    const bin = new TrashBin({ delayMs: 60_000, attempts: 2, remove });
    bin.add(fine, (err) => errors.push(['fine', err]));
    bin.add(stuck, (err) => errors.push(['stuck', err]));
    await bin.empty();
    expect(errors.map(([which]) => which)).toEqual(['stuck']);
  });
});
