import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../../src/config/load.js';
import { prepareDemo } from '../../../../src/slack/playground/demo/demo-repo.js';

describe('the built-in demo', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('creates a repository on main under the state dir, readable by the step user, and a valid apollo.yml for it', async () => {
    const state = await mkdtemp(join(tmpdir(), 'apollo-demo-'));
    dirs.push(state);
    const demo = await prepareDemo(state);
    expect(demo.repository).toBe(join(state, 'playground-demo', 'repo'));
    expect((await execa('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: demo.repository })).stdout).toBe('main');
    expect((await stat(join(demo.repository, 'ci/cloud.sh'))).mode & 0o005).toBe(0o005);
    const config = loadConfigFile(demo.configPath);
    expect(config.repository).toBe(demo.repository);
    expect(Object.keys(config.clouds)).toEqual(['sim-east', 'sim-west']);
    expect(config.access.approvers).toContain('S0OPS');

    // A second start with the same files commits nothing: runs and history carry over.
    const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: demo.repository })).stdout;
    await prepareDemo(state);
    expect((await execa('git', ['rev-parse', 'HEAD'], { cwd: demo.repository })).stdout).toBe(head);
  });
});
