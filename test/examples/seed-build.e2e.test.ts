import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import type { Step } from '../../src/config/schema.js';
import { blocksText, Harness } from '../helpers/harness.js';
import { onPath } from '../reports/tools.js';

/**
 * The example's `build:` pipeline (the seed's wercker.yml build) on the commit of Apollo the seed
 * was written about, with the real tools, in the real sandbox: `/apollo build master` of a clone of
 * ../shared/seed/apollo-2015-07-03.bundle (master = 4d124eb), and each step's card line against
 * what the tool itself printed when the same command was run by hand on that commit (Debian:
 * packer 1.6.6, ansible-lint 6.13.1 with ansible-core 2.14.18, terraform 1.x for test.sh):
 *
 * - `packer validate -except=atlas ubuntu-14.04_amd64-amis.json` (with the step's env): prints
 *   nothing, exit 0. Without the env: "3 error(s) occurred"; without -except: "Unknown post-processor atlas".
 * - `packer validate -syntax-only ubuntu-14.04_amd64-droplet.json` and `… ubuntu-14.04_amd64.json`:
 *   "Syntax-only check passed. Everything looks okay.", exit 0.
 * - `packer validate -except=atlas ubuntu-14.04_amd64-google.json` (with the step's env): nothing, exit 0.
 * - `ansible-lint --offline -p site.yml`: 1 line, `site.yml:5:7: syntax-check[specific]: conflicting
 *   action statements: wait_for, sudo`; stderr "Failed after : 1 failure(s), 0 warning(s) on 1 files."; exit 2.
 * - `ansible-playbook -i wercker_inventory --syntax-check site.yml`: "ERROR! conflicting action
 *   statements: wait_for, sudo", exit 4: 0 passed, 1 failed.
 * - `bash test.sh` in bootstrap/tests: 3 "Fail. Function …" lines, no "Pass." line, exit 0.
 *
 * The first failing step ends a build, so after ansible-lint the rest are skipped: the syntax
 * check and test.sh, exactly as the example has them, also run as builds of their own.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(ROOT, '../shared/seed/apollo-2015-07-03.bundle');
const EXAMPLE = join(ROOT, 'examples/apollo.yml');

const TOOLS = ['git', 'packer', 'ansible-lint', 'ansible-playbook', 'terraform', 'bwrap', 'setpriv'];
const missing = [...TOOLS.filter((tool) => !onPath(tool)), ...(existsSync(BUNDLE) ? [] : [`the bundle ${BUNDLE}`])];
const title = (text: string): string => (missing.length === 0 ? text : `${text} (skipped: ${missing.join(', ')} not installed)`);

/** The example's build steps as it loads them, back in the config's input form (durations as text). */
function exampleBuildSteps(): Step[] {
  const config = parseConfigText(readFileSync(EXAMPLE, 'utf8'), 'examples/apollo.yml');
  return config.build.steps;
}

function asInput(step: Step): Omit<Step, 'timeout'> & { timeout?: string } {
  const { timeout, ...rest } = step;
  return timeout === undefined ? rest : { ...rest, timeout: `${timeout}ms` };
}

describe('the example build pipeline on Apollo 4d124eb', () => {
  let clone = '';
  const harnesses: Harness[] = [];

  beforeAll(async () => {
    if (missing.length > 0) return;
    clone = await mkdtemp(join(tmpdir(), 'apollo-seed-'));
    await execa('git', ['clone', '--quiet', BUNDLE, clone]);
  });
  afterAll(async () => {
    for (const h of harnesses) await h.close();
    if (clone) await rm(clone, { recursive: true, force: true });
  });

  /** Runs `/apollo build master` with these steps and returns the final card's text. */
  async function build(steps: Step[]): Promise<string> {
    const h = await Harness.start({
      config: { repository: clone, access: { builders: ['*'] }, build: { steps: steps.map(asInput) } },
      minIntervalMs: 200,
    });
    harnesses.push(h);
    await h.command('build master');
    const card = await h.slack.waitFor(
      () => h.slack.callsOf('chat.update').find((c) => /: (failed|passed)/.test(String(c.body.text))),
      50_000,
      'the final card',
    );
    return blocksText(card.body);
  }

  it.skipIf(missing.length > 0)(title('runs the seed build as-is: the four templates validate, ansible-lint fails as it says, the rest is skipped'), async () => {
    const steps = exampleBuildSteps();
    expect(steps.map((s) => s.name)).toEqual([
      'validate packer template for AMI',
      'validate packer template for Digitalocean',
      'validate packer template for Vagrant',
      'validate packer template for Google',
      'ansible-lint site.yml',
      'syntax-check ansible playbook',
      'scripts testing',
    ]);
    const card = await build(steps);
    expect(card).toContain('❌ Build 4d124eb');
    // packer printed nothing (full validation) or its syntax-only line, and exited 0: no error.
    expect(stepLine(card, 'validate packer template for AMI')).toBe('✅ validate packer template for AMI — packer: valid');
    expect(stepLine(card, 'validate packer template for Digitalocean')).toBe('✅ validate packer template for Digitalocean — packer: valid');
    expect(stepLine(card, 'validate packer template for Vagrant')).toBe('✅ validate packer template for Vagrant — packer: valid');
    expect(stepLine(card, 'validate packer template for Google')).toBe('✅ validate packer template for Google — packer: valid');
    // ansible-lint listed 1 violation, syntax-check[specific], said "1 failure(s)" and exited 2.
    expect(stepLine(card, 'ansible-lint site.yml')).toBe('❌ ansible-lint site.yml — ansible-lint: 1 violation (syntax-check[specific] 1) (exit code 2)');
    expect(card).toContain('site.yml:5:7: syntax-check[specific]: conflicting action statements: wait_for, sudo');
    expect(card).toContain('Failed after : 1 failure(s), 0 warning(s) on 1 files.');
    expect(stepLine(card, 'syntax-check ansible playbook')).toBe('⏭️ syntax-check ansible playbook');
    expect(stepLine(card, 'scripts testing')).toBe('⏭️ scripts testing');
    expect(card).toContain('7/7 steps  ·  *failed*');
  });

  it.skipIf(missing.length > 0)(title('the syntax check and test.sh, each as a build of its own, say what the tools say'), async () => {
    const steps = exampleBuildSteps();
    // ansible-playbook: "ERROR! conflicting action statements: wait_for, sudo", exit 4.
    const syntax = await build([steps[5]!]);
    expect(stepLine(syntax, 'syntax-check ansible playbook')).toBe('❌ syntax-check ansible playbook — lines: 0 passed, 1 failed (exit code 4)');
    expect(syntax).toContain('ERROR! conflicting action statements: wait_for, sudo');
    // test.sh: 3 "Fail. Function …" lines and no "Pass.", yet exit 0: the report fails the step.
    const scripts = await build([steps[6]!]);
    expect(stepLine(scripts, 'scripts testing')).toBe('❌ scripts testing — lines: 0 passed, 3 failed (report shows failures)');
    expect(scripts.match(/Fail\. Function /g)).toHaveLength(3);
    expect(scripts).not.toContain('Pass. Function');
  });
});

/** A step's line on the card, without its duration (`_947ms_`), which varies. */
function stepLine(card: string, name: string): string | undefined {
  const line = card.split('\n').find((l) => /^(✅|❌|⏭️|⏳|🔄)/u.test(l) && l.includes(name));
  return line?.replace(/\s+_[^_]+_/u, '').trim();
}
