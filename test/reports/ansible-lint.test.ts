import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAnsibleLint } from '../../src/reports/ansible-lint.js';
import { summaryLine } from '../../views/summary-line.js';
import { firstHalf, readFixture, scratchDir } from './fixtures.js';
import { needs, onPath, runTool } from './tools.js';

/** ansible-lint's own totals, from the result line it prints last on stderr. */
function toolTotals(text: string): { failures: number; warnings: number } | undefined {
  const found = /(\d+) failure\(s\), (\d+) warning\(s\)/.exec(text);
  return found ? { failures: Number(found[1]), warnings: Number(found[2]) } : undefined;
}

const detailsOf = (summary: ReturnType<typeof parseAnsibleLint>) => (summary.details?.format === 'ansible-lint' ? summary.details : undefined);

describe('parseAnsibleLint', () => {
  it('reads the codeclimate JSON of site.yml: 1 violation, syntax-check[specific] at site.yml:5', () => {
    // The fixture is one JSON list with one issue: check_name syntax-check[specific], level error,
    // location site.yml line 5.
    const summary = parseAnsibleLint(readFixture('ansible-lint-site-2015-codeclimate.json'));
    expect(summary).toMatchObject({ format: 'ansible-lint', verdict: 'failed', failed: 1, total: 1 });
    expect(summary.failures).toEqual([{ name: 'syntax-check[specific]', message: 'conflicting action statements: wait_for, sudo', location: 'site.yml:5' }]);
    expect(detailsOf(summary)).toEqual({
      format: 'ansible-lint',
      findings: 1,
      bySeverity: [{ name: 'error', count: 1 }],
      byRule: [{ name: 'syntax-check[specific]', count: 1 }],
    });
    expect(summaryLine(summary)).toBe('ansible-lint: 1 violation (syntax-check[specific] 1)');
  });

  it('reads the same violation from the parseable and the default text, with the stderr summary or without', () => {
    // parseable.out is one line `site.yml:5:7: syntax-check[specific]: …` (then the capture's rc=2);
    // site-2015.out is the default text: the rule line, `site.yml:5:7`, then "1 failure(s), 0 warning(s)".
    const expected = { verdict: 'failed', failed: 1, total: 1, failures: [{ name: 'syntax-check[specific]', location: 'site.yml:5' }] };
    expect(parseAnsibleLint(readFixture('ansible-lint-site-2015-parseable.out'))).toMatchObject(expected);
    expect(parseAnsibleLint(readFixture('ansible-lint-site-2015-parseable.out') + readFixture('ansible-lint-site-2015-parseable.stderr'))).toMatchObject(expected);
    expect(parseAnsibleLint(readFixture('ansible-lint-site-2015.out'))).toMatchObject(expected);
  });

  it('counts the roles: 82 violations, 81 failures and 1 warning, per rule as ansible-lint tallies them', () => {
    // Counted by hand: `grep -c ': '` on the parseable fixture gives 82 violation lines, and
    // `awk '{print $2}' | sort | uniq -c` gives the per-rule counts below; the stderr table gives the
    // same numbers and marks jinja[spacing] "(warning)"; its last line says 81 failure(s), 1 warning(s).
    const stdout = readFixture('ansible-lint-roles-zookeeper-consul-2015-parseable.out');
    const stderr = readFixture('ansible-lint-roles-zookeeper-consul-2015.stderr');
    expect(toolTotals(stderr)).toEqual({ failures: 81, warnings: 1 });
    const summary = parseAnsibleLint(stdout + stderr);
    expect(summary).toMatchObject({ verdict: 'failed', failed: 81, total: 82 });
    const details = detailsOf(summary);
    expect(details?.bySeverity).toEqual([
      { name: 'error', count: 81 },
      { name: 'warning', count: 1 },
    ]);
    expect(Object.fromEntries(details?.byRule.map(({ name, count }) => [name, count]) ?? [])).toEqual({
      'yaml[comments]': 46,
      'yaml[truthy]': 14,
      'yaml[indentation]': 6,
      'yaml[octal-values]': 4,
      'parser-error': 4,
      'schema[meta]': 2,
      'meta-no-tags': 2,
      'meta-no-info': 2,
      'yaml[line-length]': 1,
      'jinja[spacing]': 1,
    });
    expect(summary.failures).toHaveLength(10);
    expect(summary.failures[0]).toEqual({ name: 'yaml[line-length]', message: 'Line too long (167 > 160 characters)', location: 'roles/consul/defaults/main.yml:7' });
    expect(summary.notes).toEqual(['showing the first 10 of 82 findings']);
    expect(summaryLine(summary)).toBe('ansible-lint: 82 violations (yaml[comments] 46, yaml[truthy] 14, yaml[indentation] 6, …); 81 errors, 1 warning');

    // Without stderr too: the parseable line of jinja[spacing] (line 43) ends in "(warning)".
    expect(parseAnsibleLint(stdout)).toMatchObject({ verdict: 'failed', failed: 81, total: 82 });
  });

  it('passes a clean run, and a run with warnings only', () => {
    const clean = parseAnsibleLint(readFixture('ansible-lint-clean-playbook.out'));
    expect(clean).toMatchObject({ verdict: 'passed', failed: 0, total: 0 });
    expect(summaryLine(clean)).toBe('ansible-lint: no violations');
    expect(parseAnsibleLint('')).toMatchObject({ verdict: 'passed', total: 0, notes: ['ansible-lint printed no violations'] });

    const warnings = parseAnsibleLint('jinja[spacing]: Jinja2 spacing could be improved (warning)\nsite.yml:3\n\n');
    expect(warnings).toMatchObject({ verdict: 'passed', failed: 0, total: 1, failures: [{ name: 'jinja[spacing]', message: 'Jinja2 spacing could be improved', location: 'site.yml:3' }] });
    expect(summaryLine(warnings)).toBe('ansible-lint: 1 violation (jinja[spacing] 1); 1 warning');
  });

  it('reads SARIF as ansible-lint writes it', () => {
    // Two results: one error (no-changed-when) and one warning (jinja[spacing]).
    const sarif = JSON.stringify({
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'ansible-lint' } },
          results: [
            { ruleId: 'no-changed-when', level: 'error', message: { text: 'Commands should not change things if nothing needs doing.' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'site.yml' }, region: { startLine: 4 } } }] },
            { ruleId: 'jinja[spacing]', level: 'warning', message: { text: 'Jinja2 spacing could be improved' }, locations: [{ physicalLocation: { artifactLocation: { uri: 'site.yml' }, region: { startLine: 9 } } }] },
          ],
        },
      ],
    });
    const summary = parseAnsibleLint(sarif);
    expect(summary).toMatchObject({ verdict: 'failed', failed: 1, total: 2 });
    expect(summary.failures.map((f) => f.location)).toEqual(['site.yml:4', 'site.yml:9']);
    expect(detailsOf(summary)?.bySeverity).toEqual([
      { name: 'error', count: 1 },
      { name: 'warning', count: 1 },
    ]);
  });

  it('is unparsed for cut, foreign or inconsistent output', () => {
    expect(parseAnsibleLint(firstHalf(readFixture('ansible-lint-site-2015-codeclimate.json'))).reason).toMatch(/^not valid JSON/);
    expect(parseAnsibleLint(firstHalf(readFixture('ansible-lint-roles-zookeeper-consul-2015-parseable.out'))).reason).toBe('the output ends in the middle of a line (truncated?)');
    expect(parseAnsibleLint(readFixture('packer-validate-amis-2015.out')).reason).toBe('no violations or result line; it says "Error: Failed to initialize build "amazon-ebs""');
    expect(parseAnsibleLint('{"runs": 3}').reason).toBe('JSON that is neither a codeclimate list nor a SARIF log');
    // The stderr summary counts 82, but only the first 10 violation lines made it into the output.
    const lines = readFixture('ansible-lint-roles-zookeeper-consul-2015-parseable.out').split('\n').slice(0, 10).join('\n');
    expect(parseAnsibleLint(`${lines}\n${readFixture('ansible-lint-roles-zookeeper-consul-2015.stderr')}`).reason).toBe(
      'ansible-lint counts 81 failure(s) and 1 warning(s), but the output lists 10 violation(s)',
    );
  });

  it.skipIf(!onPath('ansible-lint'))(needs('ansible-lint', 'counts a fresh run the same in every format, and as ansible-lint totals it'), () => {
    const scratch = scratchDir();
    try {
      writeFileSync(
        join(scratch.dir, 'site.yml'),
        ['---', '- hosts: all', '  tasks:', '    - shell: echo hello', '    - name: Truthy value', '      ansible.builtin.command: echo hi', '      become: yes', ''].join('\n'),
      );
      const lint = (...args: string[]) => runTool('ansible-lint', ['--offline', '--nocolor', ...args, 'site.yml'], { cwd: scratch.dir, env: { NO_COLOR: '1', HOME: scratch.dir } });
      const plain = lint();
      const totals = toolTotals(plain.stderr);
      expect(totals, plain.stderr).toBeDefined();
      const violations = totals!.failures + totals!.warnings;
      expect(violations).toBeGreaterThan(0);
      expect(plain.status).not.toBe(0);

      const summaries = [
        parseAnsibleLint(plain.stdout + plain.stderr),
        parseAnsibleLint(lint('-p').stdout),
        parseAnsibleLint(lint('-f', 'codeclimate').stdout),
        parseAnsibleLint(lint('-f', 'sarif').stdout),
      ];
      for (const summary of summaries) {
        expect(summary).toMatchObject({ verdict: 'failed', total: violations });
        expect(detailsOf(summary)?.byRule).toEqual(detailsOf(summaries[2]!)?.byRule);
      }
      expect(summaries[0]).toMatchObject({ failed: totals!.failures });
    } finally {
      scratch.remove();
    }
  });
});
