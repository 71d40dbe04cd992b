import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { parseReport } from '../../src/reports/index.js';
import { needs, onPath, runTool } from '../reports/tools.js';

/**
 * The example's deploy is step-apollo-deploy, checked against Apollo 4d124eb itself (the bundle):
 * the scripts it runs exist there, each cloud names a provider Apollo has, and gives every variable
 * that provider's config-default.sh refuses to start without; the test toggles are the roles' own.
 * Its report counts hosts of a real ansible-playbook run exactly as ansible's PLAY RECAP does.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(ROOT, '../shared/seed/apollo-2015-07-03.bundle');
const HAVE_BUNDLE = existsSync(BUNDLE);

describe(HAVE_BUNDLE ? "the example's deploy on Apollo 4d124eb" : `the example's deploy on Apollo 4d124eb (skipped: no bundle at ${BUNDLE})`, () => {
  let clone = '';
  let config: Config;
  const show = async (path: string) => (await execa('git', ['show', `4d124eb:${path}`], { cwd: clone, reject: false })).stdout;
  const exists = async (path: string) => (await execa('git', ['cat-file', '-e', `4d124eb:${path}`], { cwd: clone, reject: false })).exitCode === 0;

  beforeAll(async () => {
    config = loadConfigFile(join(ROOT, 'examples/apollo.yml'));
    if (!HAVE_BUNDLE) return;
    clone = mkdtempSync(join(tmpdir(), 'apollo-seed-deploy-'));
    await execa('git', ['clone', '--quiet', BUNDLE, clone]);
  });
  afterAll(async () => {
    if (clone) await rm(clone, { recursive: true, force: true });
  });

  it.skipIf(!HAVE_BUNDLE)('launches and always tears down with the scripts Apollo has, ephemerally', async () => {
    expect(config.deploy?.ephemeral).toBe(true);
    expect(config.deploy?.steps.map((s) => s.run)).toEqual(['yes n | bash bootstrap/apollo-launch.sh']);
    expect(config.destroy?.steps.map((s) => s.run)).toEqual(['yes yes | bash bootstrap/apollo-down.sh']);
    expect(await exists('bootstrap/apollo-launch.sh')).toBe(true);
    expect(await exists('bootstrap/apollo-down.sh')).toBe(true);
    // aws's util.sh asks about the VPN (answered n); terraform destroy asks to confirm (answered yes).
    expect(await show('bootstrap/aws/util.sh')).toContain('Do you want to start the VPN and setup a connection now (y/n)?');
  });

  it.skipIf(!HAVE_BUNDLE)('gives each cloud its provider and every variable the provider requires', async () => {
    for (const [cloud, { env }] of Object.entries(config.clouds)) {
      expect(env.APOLLO_PROVIDER).toBe(cloud);
      expect(await exists(`bootstrap/${cloud}/util.sh`)).toBe(true);
      const required = [...(await show(`bootstrap/${cloud}/config-default.sh`)).matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!);
      expect(required.length).toBeGreaterThan(0);
      for (const name of required) expect(Object.keys(env), `${cloud} needs ${name}`).toContain(name);
    }
  });

  it.skipIf(!HAVE_BUNDLE)("turns on the seed's test toggles, which are the serverspec and dockerbench roles' own variables", async () => {
    const env = config.deploy!.steps[0]!.env!;
    for (const [variable, role] of [['serverspec_run_tests', 'serverspec'], ['dockerbench_run_test', 'dockerbench']] as const) {
      expect(env[`APOLLO_${variable}`]).toBe('true');
      expect(await show(`roles/${role}/defaults/main.yml`)).toContain(`${variable}: false`);
    }
  });

  it.skipIf(!onPath('ansible-playbook'))(needs('ansible-playbook', "counts a real playbook's hosts as its PLAY RECAP does"), async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apollo-recap-'));
    writeFileSync(join(dir, 'inventory'), 'good ansible_connection=local\nalso-good ansible_connection=local\nbad ansible_connection=local\n');
    writeFileSync(join(dir, 'site.yml'), "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: /bin/true\n    - command: /bin/false\n      when: inventory_hostname == 'bad'\n");
    const run = runTool('ansible-playbook', ['-i', 'inventory', 'site.yml'], { cwd: dir, env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_REMOTE_TEMP: join(dir, 'tmp') } });
    expect(run.status).toBe(2);
    const recap = run.stdout.split('\n').filter((l) => /: ok=\d+/.test(l));
    expect(recap).toHaveLength(3);
    const report = config.deploy!.steps[0]!.report!;
    const summary = parseReport('lines', run.stdout, { passPattern: report.passPattern!, failPattern: report.failPattern! });
    expect(summary).toMatchObject({ verdict: 'failed', passed: recap.filter((l) => /failed=0\b/.test(l)).length, failed: recap.filter((l) => !/failed=0\b/.test(l)).length });
    expect(summary).toMatchObject({ passed: 2, failed: 1 });
    expect(summary.failures?.[0]?.name).toMatch(/^bad\s+: ok=1/);
    await rm(dir, { recursive: true, force: true });
  });
});
