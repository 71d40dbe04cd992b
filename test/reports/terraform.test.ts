import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTerraform } from '../../src/reports/terraform.js';
import { firstHalf, readFixture, scratchDir } from './fixtures.js';
import type { TestSummary } from '../../src/reports/summary.js';
import { needs, onPath, runTool, type ToolRun } from './tools.js';

/** Details are typed per format: narrow to terraform's before reading its outputs. */
function outputsOf(summary: TestSummary) {
  return summary.details?.format === 'terraform' ? summary.details.outputs : undefined;
}

/** Resource counts from terraform's result line, read by splitting words rather than by the parser's regex. */
function resultCounts(text: string): Record<string, number> | undefined {
  const line = text.split('\n').find((candidate) => candidate.includes(' complete! Resources: '));
  if (!line) return undefined;
  const counts: Record<string, number> = { added: 0, changed: 0, destroyed: 0 };
  for (const phrase of line.split('Resources: ')[1]!.replace(/\.$/, '').split(', ')) {
    const [number, word] = phrase.split(' ');
    counts[word!] = Number(number);
  }
  return counts;
}

describe('parseTerraform, human output', () => {
  it.each([
    // Counted by hand from the result line of each file.
    { fixture: 'terraform-apply.out', added: 1, changed: 0, destroyed: 0, operation: 'apply' },
    { fixture: 'terraform-apply.stdout', added: 1, changed: 0, destroyed: 0, operation: 'apply' },
    { fixture: 'terraform-destroy.out', added: 0, changed: 0, destroyed: 1, operation: 'destroy' },
    { fixture: 'terraform-destroy.stdout', added: 0, changed: 0, destroyed: 1, operation: 'destroy' },
    { fixture: 'terraform-destroy-after-fail.stdout', added: 0, changed: 0, destroyed: 1, operation: 'destroy' },
  ])('reads $fixture', ({ fixture, added, changed, destroyed, operation }) => {
    const text = readFixture(fixture);
    expect(resultCounts(text)).toEqual({ added, changed, destroyed });
    const summary = parseTerraform(text);
    expect(summary).toMatchObject({ format: 'terraform', verdict: 'passed', errors: 0, failures: [], total: 0 });
    expect(summary.details).toMatchObject({ changes: { added, changed, destroyed, operation } });
  });

  it('notes terraform’s warnings, which do not fail the run', () => {
    const summary = parseTerraform(readFixture('terraform-apply.out'));
    expect(summary.verdict).toBe('passed');
    expect(summary.notes).toContain('terraform warned: Unable to open CLI configuration file');
  });

  it('names outputs but shows no value unless publicOutputs lists it', () => {
    const text = readFixture('terraform-apply.out');
    const hidden = parseTerraform(text);
    expect(hidden.notes).toContain('2 outputs (cluster_id, master_ips); values hidden (none is listed in publicOutputs)');
    expect(JSON.stringify(hidden)).not.toContain('c82b5973-fe97-dd34-866c-fc7deb47b882');
    expect(JSON.stringify(hidden)).not.toContain('10.0.0.1');

    const shown = parseTerraform(text, { publicOutputs: ['master_ips'] });
    expect(outputsOf(shown)).toContainEqual({ name: 'master_ips', value: '10.0.0.1,10.0.0.2,10.0.0.3' });
    expect(JSON.stringify(shown)).not.toContain('c82b5973-fe97-dd34-866c-fc7deb47b882');
  });

  it('fails with the error when stdout and stderr of a failed apply are read together', () => {
    expect(readFixture('terraform-apply-fail.rc').trim()).toBe('apply rc=1');
    const combined = readFixture('terraform-apply-fail.stdout') + readFixture('terraform-apply-fail.stderr');
    const errorBlocks = combined.split('\n').filter((line) => line.startsWith('Error: ')).length;
    expect(errorBlocks).toBe(1);

    const summary = parseTerraform(combined);
    expect(summary).toMatchObject({ verdict: 'failed', errors: errorBlocks, total: 0 });
    expect(summary.details).toEqual({ format: 'terraform', kind: 'run' });
    expect(summary.failures).toEqual([
      {
        name: 'terraform_data.tests: local-exec provisioner error',
        message:
          "Error running command 'echo 'There are 75 docker security warnings. The\n" +
          "threshold is 70'; exit 1': exit status 1. Output: There are 75 docker\n" +
          'security warnings. The threshold is 70',
        location: 'main.tf:5',
      },
    ]);
    expect(parseTerraform(readFixture('terraform-apply-fail.stderr')).failures).toEqual(summary.failures);
  });

  it('is unparsed for the stdout of a failed apply alone: the error went to stderr', () => {
    const summary = parseTerraform(readFixture('terraform-apply-fail.stdout'));
    expect(summary).toMatchObject({ verdict: 'unparsed', errors: 0 });
    expect(summary.reason).toContain('its errors went to stderr');
  });

  it('is unparsed for output with no result, such as terraform init', () => {
    expect(parseTerraform(readFixture('terraform-init.out')).verdict).toBe('unparsed');
  });

  it.each([
    'terraform-apply.out',
    'terraform-apply.stdout',
    'terraform-apply-fail.stderr',
    'terraform-destroy.out',
    'terraform-destroy.stdout',
    'terraform-destroy-after-fail.stdout',
    'terraform-apply.jsonl',
    'terraform-output.json',
  ])('is unparsed, never counted, when %s is cut in half', (fixture) => {
    const summary = parseTerraform(firstHalf(readFixture(fixture)));
    expect(summary).toMatchObject({ verdict: 'unparsed', errors: 0, failures: [] });
    expect(summary.details).toBeUndefined();
    expect(summary.reason).toMatch(/truncated\?/);
  });

  it('is unparsed for garbage and empty input', () => {
    expect(parseTerraform('').reason).toBe('empty input');
    expect(parseTerraform('bash: terraform: command not found\n').verdict).toBe('unparsed');
    expect(parseTerraform('{"cluster_id": 3}').reason).toMatch(/^not the output of "terraform output -json": cluster_id:/);
    expect(parseTerraform('{ nope').reason).toBe('not valid JSON (truncated?): starts with "{ nope"');
  });
});

describe('parseTerraform, terraform output -json', () => {
  const outputJson = readFixture('terraform-output.json');

  it('names the outputs and shows none by default', () => {
    const names = Object.keys(JSON.parse(outputJson) as object);
    expect(names).toEqual(['cluster_id', 'master_ips']);
    const summary = parseTerraform(outputJson);
    expect(summary).toMatchObject({ verdict: 'passed', details: { kind: 'outputs', count: names.length } });
    expect(JSON.stringify(summary)).not.toContain('c82b5973');
    expect(JSON.stringify(summary)).not.toContain('10.0.0.1');
  });

  it('shows public outputs only', () => {
    const summary = parseTerraform(outputJson, { publicOutputs: ['cluster_id'] });
    expect(summary.details).toEqual({ format: 'terraform', kind: 'outputs', count: 2, outputs: [{ name: 'cluster_id', value: 'c82b5973-fe97-dd34-866c-fc7deb47b882' }] });
  });

  it('never shows a sensitive output, even when publicOutputs lists it', () => {
    const withSecret = JSON.stringify({
      ...(JSON.parse(outputJson) as object),
      db_password: { sensitive: true, type: 'string', value: 'hunter2-do-not-post' },
      masters: { sensitive: false, type: ['tuple', ['number', 'number']], value: [1, 2] },
    });
    const summary = parseTerraform(withSecret, { publicOutputs: ['db_password', 'masters'] });
    expect(JSON.stringify(summary)).not.toContain('hunter2');
    expect(summary.details).toEqual({ format: 'terraform', kind: 'outputs', count: 4, outputs: [{ name: 'masters', value: '[1,2]' }] });
    expect(summary.notes).toContain('output db_password is sensitive: its value is never shown, even though publicOutputs lists it');
  });

  it('passes with no outputs', () => {
    expect(parseTerraform('{}\n')).toMatchObject({ verdict: 'passed', details: { kind: 'outputs', count: 0 }, notes: ['terraform output -json lists no outputs'] });
  });
});

describe('parseTerraform, the -json message stream', () => {
  const stream = readFixture('terraform-apply.jsonl');

  it('reads counts from the apply change_summary, not the plan’s', () => {
    const summaries = stream
      .split('\n')
      .filter((line) => line.includes('"type":"change_summary"'))
      .map((line) => (JSON.parse(line) as { changes: { add: number; change: number; remove: number; operation: string } }).changes);
    expect(summaries.map((changes) => changes.operation)).toEqual(['plan', 'apply']);
    const apply = summaries[1]!;
    const summary = parseTerraform(stream);
    expect(summary).toMatchObject({ verdict: 'passed', details: { changes: { added: apply.add, changed: apply.change, destroyed: apply.remove, operation: 'apply' } } });
    expect(summary.details).toMatchObject({ changes: { added: 1, changed: 0, destroyed: 0 } });
    expect(JSON.stringify(summary)).not.toContain('4da4c6b5');
  });

  it('is unparsed when a line is not a terraform message', () => {
    expect(parseTerraform(`${stream}not json\n`).reason).toBe('line 13 is not a terraform -json message');
  });
});

const TERRAFORM_CONFIG = `
terraform {
  backend "local" {}
}

resource "terraform_data" "cluster" {
  input = "aws"
  provisioner "local-exec" {
    command = "echo provisioning"
  }
}

output "cluster_id" {
  value = terraform_data.cluster.id
}

output "db_password" {
  value     = "s3cr3t-never-posted"
  sensitive = true
}

output "masters" {
  value = ["10.0.0.1", "10.0.0.2"]
}
`;

const FAILING_CONFIG = `
terraform {
  backend "local" {}
}

resource "terraform_data" "tests" {
  input = "aws"
  provisioner "local-exec" {
    command = "echo 'There are 75 docker security warnings. The threshold is 70'; exit 1"
  }
}
`;

describe('parseTerraform, fresh terraform runs', () => {
  const hasTerraform = onPath('terraform');
  let scratch: ReturnType<typeof scratchDir> | undefined;

  /** Runs terraform in its own directory; colours stay on, as they would in a step's log. */
  function terraform(dir: string, args: string[]): ToolRun {
    return runTool('terraform', args, {
      cwd: dir,
      env: { TF_CLI_CONFIG_FILE: join(scratch!.dir, 'empty.tfrc'), CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' },
    });
  }

  function workspace(name: string, config: string): string {
    const dir = join(scratch!.dir, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf'), config);
    const init = terraform(dir, ['init', '-input=false', `-backend-config=path=${join(dir, 'state.tfstate')}`]);
    expect(init.status).toBe(0);
    return dir;
  }

  beforeAll(() => {
    if (!hasTerraform) return;
    scratch = scratchDir();
    writeFileSync(join(scratch.dir, 'empty.tfrc'), '');
  });
  afterAll(() => scratch?.remove());

  it.skipIf(!hasTerraform)(needs('terraform', 'reads apply, re-apply, output -json and destroy of a real terraform'), () => {
    const dir = workspace('ok', TERRAFORM_CONFIG);

    const apply = terraform(dir, ['apply', '-input=false', '-auto-approve']);
    expect(apply.status).toBe(0);
    expect(apply.stdout).toContain(String.fromCharCode(27)); // coloured, so stripping is exercised
    const applied = parseTerraform(apply.stdout + apply.stderr, { publicOutputs: ['masters', 'db_password'] });
    expect(applied).toMatchObject({ verdict: 'passed', details: { changes: { added: 1, changed: 0, destroyed: 0, operation: 'apply' } } });
    expect(outputsOf(applied)).toContainEqual({ name: 'masters', value: '[\n  "10.0.0.1",\n  "10.0.0.2",\n]' });
    expect(applied.notes).toContain('output db_password is sensitive: its value is never shown, even though publicOutputs lists it');

    const again = terraform(dir, ['apply', '-input=false', '-auto-approve']);
    expect(parseTerraform(again.stdout)).toMatchObject({ verdict: 'passed', details: { changes: { added: 0, changed: 0, destroyed: 0, operation: 'apply' } } });

    const output = terraform(dir, ['output', '-json']);
    expect(output.stdout).toContain('s3cr3t-never-posted'); // terraform itself prints sensitive values here
    const outputs = parseTerraform(output.stdout, { publicOutputs: ['cluster_id', 'db_password'] });
    expect(JSON.stringify(outputs)).not.toContain('s3cr3t-never-posted');
    expect(outputsOf(outputs)).toContainEqual({ name: 'cluster_id', value: expect.stringMatching(/^[0-9a-f-]{36}$/) });

    const destroy = terraform(dir, ['destroy', '-input=false', '-auto-approve', '-json']);
    expect(parseTerraform(destroy.stdout)).toMatchObject({ verdict: 'passed', details: { changes: { added: 0, changed: 0, destroyed: 1, operation: 'destroy' } } });
  });

  it.skipIf(!hasTerraform)(needs('terraform', 'reads a real failing apply, in colour and as a -json stream'), () => {
    const dir = workspace('failing', FAILING_CONFIG);

    const apply = terraform(dir, ['apply', '-input=false', '-auto-approve']);
    expect(apply.status).toBe(1);
    const summary = parseTerraform(apply.stdout + apply.stderr);
    expect(summary).toMatchObject({ verdict: 'failed', errors: 1 });
    const provisionerLine = FAILING_CONFIG.split('\n').findIndex((line) => line.includes('provisioner')) + 1;
    expect(summary.failures[0]).toMatchObject({
      name: 'terraform_data.tests: local-exec provisioner error',
      location: `main.tf:${provisionerLine}`,
    });
    expect(summary.failures[0]?.message).toContain('There are 75 docker security warnings');

    const stream = terraform(dir, ['apply', '-input=false', '-auto-approve', '-json']);
    expect(stream.status).toBe(1);
    const streamed = parseTerraform(stream.stdout);
    expect(streamed).toMatchObject({ verdict: 'failed', errors: 1 });
    expect(streamed.failures[0]).toMatchObject({
      name: 'terraform_data.tests: local-exec provisioner error',
      location: `main.tf:${provisionerLine}`,
    });
    expect(streamed.failures[0]?.message).toContain('There are 75 docker security warnings');
  });
});
