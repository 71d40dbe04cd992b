import { existsSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { demoConfig } from './demo-config.js';
import { assetPath } from '../../../asset-path.js';

/** The demo repository's files, kept in this folder as real files (bash scripts, a README). */
const SOURCE = assetPath('slack/playground/demo/repo');

const AUTHOR = {
  GIT_AUTHOR_NAME: 'Apollo Playground',
  GIT_AUTHOR_EMAIL: 'playground@apollo.invalid',
  GIT_COMMITTER_NAME: 'Apollo Playground',
  GIT_COMMITTER_EMAIL: 'playground@apollo.invalid',
};

export interface Demo {
  /** The git repository the demo builds and deploys (branch main). */
  repository: string;
  /** The demo's apollo.yml, written beside it: a starting point to copy. */
  configPath: string;
}

async function git(args: string[], cwd: string): Promise<string> {
  const result = await execa('git', args, { cwd, env: AUTHOR });
  return result.stdout.trim();
}

/**
 * Creates (or brings up to date) the demo under `<stateDir>/playground-demo`: a git repository on
 * branch main holding this folder's `repo/`, and an apollo.yml for it. A start with the same files
 * commits nothing, so runs and history carry over between starts. Everything is readable by all:
 * the mirror copies from it, and steps run as an unprivileged user.
 */
export async function prepareDemo(stateDir: string): Promise<Demo> {
  const home = join(resolve(stateDir), 'playground-demo');
  const repository = join(home, 'repo');
  await mkdir(repository, { recursive: true });
  const fresh = !existsSync(join(repository, '.git'));
  if (fresh) await git(['init', '--quiet', '--initial-branch=main', repository], repository);
  await cp(SOURCE, repository, { recursive: true });
  await git(['add', '-A'], repository);
  const changed = (await git(['status', '--porcelain'], repository)) !== '';
  if (changed) await git(['commit', '--quiet', '-m', fresh ? 'The playground demo: a greeter, its tests, two simulated clouds' : 'Playground demo files updated'], repository);
  await execa('chmod', ['-R', 'a+rX', repository]);
  const configPath = join(home, 'apollo.yml');
  const header = [
    '# The playground\'s built-in demo (npm start without an apollo.yml), written at every start.',
    '# Copy it to ./apollo.yml to change it; README.md#configuration has the reference.',
    '',
  ].join('\n');
  await writeFile(configPath, header + stringify(demoConfig(repository)), { mode: 0o644 });
  return { repository, configPath };
}
