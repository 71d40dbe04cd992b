import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePacker } from '../../src/reports/packer.js';
import { summaryLine } from '../../views/summary-line.js';
import { firstHalf, readFixture, scratchDir } from './fixtures.js';
import { needs, onPath, runTool } from './tools.js';

/** The fixtures end with the capture's own `rc=N` line, which packer never printed. */
function packerOutput(name: string): { text: string; rc: number } {
  const text = readFixture(name);
  const rc = /(?:^|\n)rc=(\d+)\n$/.exec(text);
  if (!rc) throw new Error(`${name} has no rc= line`);
  return { text: text.slice(0, rc.index === 0 ? 0 : rc.index + 1), rc: Number(rc[1]) };
}

describe('parsePacker', () => {
  it('counts one error for a block without a count: the atlas post-processor of amis.json', () => {
    // One "Error:" block, no "N error(s) occurred" line: packer's one error.
    const { text, rc } = packerOutput('packer-validate-amis-2015.out');
    expect(rc).toBe(1);
    const summary = parsePacker(text);
    expect(summary).toMatchObject({ format: 'packer', verdict: 'failed', failed: 1, total: 1 });
    expect(summary.failures).toEqual([{ name: 'amazon-ebs', message: 'Failed to initialize build "amazon-ebs"\nerror initializing post-processor \'atlas\': Unknown post-processor atlas' }]);
    expect(summaryLine(summary)).toBe('packer: 1 error');
  });

  it('counts the errors packer announces: 3 for amis.json without atlas', () => {
    // "3 error(s) occurred:" followed by three "* " bullets.
    const summary = parsePacker(packerOutput('packer-validate-except-atlas-amis-2015.out').text);
    expect(summary).toMatchObject({ verdict: 'failed', failed: 3, total: 3 });
    expect(summary.failures.map((f) => f.message)).toEqual([
      'A source_ami or source_ami_filter must be specified',
      'For security reasons, your source AMI filter must declare an owner.',
      'either instance_type or spot_instance_types must be specified',
    ]);
    expect(summaryLine(summary)).toBe('packer: 3 errors');
  });

  it('counts one error per build for the vagrant template, a bullet running over several lines', () => {
    // Two "Error:" blocks (virtualbox, vmware), each "1 error occurred:" with one bullet.
    const summary = parsePacker(packerOutput('packer-validate-vagrant-2015.out').text);
    expect(summary).toMatchObject({ verdict: 'failed', failed: 2, total: 2 });
    expect(summary.failures.map((f) => f.name)).toEqual(['apollo-ubuntu-14.04-amd64-virtualbox', 'apollo-ubuntu-14.04-amd64-vmware']);
    expect(summary.failures[0]?.message).toBe(
      "Deprecated configuration key: 'iso_checksum_type'. Please call `packer fix`\nagainst your template to update your template to be compatible with the current\nversion of Packer. Visit https://www.packer.io/docs/commands/fix/ for more\ndetail.",
    );
  });

  it('counts a template packer cannot parse as one error, with where it stopped', () => {
    const summary = parsePacker(packerOutput('packer-validate-broken-json.out').text);
    expect(summary).toMatchObject({ verdict: 'failed', failed: 1, total: 1 });
    expect(summary.failures).toEqual([{ name: 'template', message: 'Failed to parse template: Error parsing JSON: unexpected end of JSON input (at line 1, column 62)' }]);
  });

  it('passes a valid template, silent or saying so', () => {
    const silent = packerOutput('packer-validate-except-atlas-with-env-amis-2015.out');
    expect(silent).toEqual({ text: '', rc: 0 });
    expect(parsePacker(silent.text)).toMatchObject({ verdict: 'passed', total: 0, notes: ['packer printed nothing, as it does for a valid JSON template'] });
    const syntax = parsePacker(packerOutput('packer-validate-syntax-only-amis-2015.out').text);
    expect(syntax).toMatchObject({ verdict: 'passed', total: 0, notes: [] });
    expect(summaryLine(syntax)).toBe('packer: valid');
  });

  it('is unparsed for cut or foreign output', () => {
    expect(parsePacker(firstHalf(packerOutput('packer-validate-vagrant-2015.out').text)).reason).toBe('the output ends in the middle of a line (truncated?)');
    const cutList = packerOutput('packer-validate-except-atlas-amis-2015.out').text.split('\n').slice(0, 6).join('\n') + '\n';
    expect(parsePacker(cutList).reason).toBe('packer announced 3 error(s) for "Failed to prepare build: "amazon-ebs"" but listed 2 (truncated?)');
    expect(parsePacker(readFixture('bats-apollo-bootstrap.tap')).reason).toBe('no errors and no "valid" line; it says "1..4"');
  });

  it.skipIf(!onPath('packer'))(needs('packer', 'counts a fresh packer validate as packer announces it'), () => {
    const scratch = scratchDir();
    try {
      writeFileSync(join(scratch.dir, 'ok.json'), '{"builders":[{"type":"null","communicator":"none"}]}\n');
      writeFileSync(join(scratch.dir, 'bad.json'), '{"builders":[{"type":"amazon-ebs","region":"eu-west-1"}]}\n');
      writeFileSync(join(scratch.dir, 'broken.json'), '{ "builders": [ {');
      const validate = (file: string) => runTool('packer', ['validate', file], { cwd: scratch.dir, env: { CHECKPOINT_DISABLE: '1', HOME: scratch.dir } });

      const ok = validate('ok.json');
      expect(ok.status).toBe(0);
      expect(parsePacker(ok.stdout)).toMatchObject({ verdict: 'passed', total: 0 });

      const bad = validate('bad.json');
      expect(bad.status).toBe(1);
      const announced = Number(/(\d+) error(?:s|\(s\))? occurred/.exec(bad.stdout)?.[1]);
      expect(announced).toBeGreaterThan(1);
      expect(parsePacker(bad.stdout)).toMatchObject({ verdict: 'failed', failed: announced, total: announced });

      const broken = validate('broken.json');
      expect(broken.status).toBe(1);
      expect(parsePacker(broken.stdout + broken.stderr)).toMatchObject({ verdict: 'failed', failed: 1 });
    } finally {
      scratch.remove();
    }
  });
});
