import { describe, expect, it } from 'vitest';
import { parseAnsibleLint } from '../../src/reports/ansible-lint.js';
import { parseDockerBench } from '../../src/reports/docker-bench.js';
import { parseReport, REPORT_PARSERS } from '../../src/reports/index.js';
import { parseJunit } from '../../src/reports/junit.js';
import { parseLines } from '../../src/reports/lines.js';
import { parsePacker } from '../../src/reports/packer.js';
import { parseRspecJson } from '../../src/reports/rspec-json.js';
import { REPORT_FORMATS } from '../../src/reports/summary.js';
import { parseShellcheck } from '../../src/reports/shellcheck.js';
import { parseTap } from '../../src/reports/tap.js';
import { parseTerraform } from '../../src/reports/terraform.js';
import { readFixture } from './fixtures.js';

describe('parseReport', () => {
  it('has a parser for every format the config accepts', () => {
    expect(Object.keys(REPORT_PARSERS).sort()).toEqual([...REPORT_FORMATS].sort());
  });

  it.each([
    { format: 'rspec-json', fixture: 'serverspec-rspec.json', parser: parseRspecJson },
    { format: 'docker-bench', fixture: 'docker-bench-head-stubbed-docker.out', parser: parseDockerBench },
    { format: 'junit', fixture: 'bats-apollo-bootstrap-junit.xml', parser: parseJunit },
    { format: 'tap', fixture: 'bats-apollo-bootstrap.tap', parser: parseTap },
    { format: 'terraform', fixture: 'terraform-apply.out', parser: parseTerraform },
    { format: 'ansible-lint', fixture: 'ansible-lint-site-2015-codeclimate.json', parser: parseAnsibleLint },
    { format: 'shellcheck', fixture: 'shellcheck-apollo-bootstrap-2015.json', parser: parseShellcheck },
    { format: 'packer', fixture: 'packer-validate-vagrant-2015.out', parser: parsePacker },
    { format: 'lines', fixture: 'bats-apollo-bootstrap.tap', parser: parseLines },
  ] as const)('sends $format to its parser with the options', ({ format, fixture, parser }) => {
    const input = readFixture(fixture);
    const opts = { warnThreshold: 10, publicOutputs: ['master_ips'], passPattern: '^ok ', failPattern: '^not ok ' };
    const summary = parseReport(format, input, opts);
    expect(summary.format).toBe(format);
    expect(summary.verdict).not.toBe('unparsed');
    expect(summary).toEqual(parser(input, opts));
  });

  it.each(REPORT_FORMATS)('answers unparsed in its own format for input of another tool (%s)', (format) => {
    // packer's own output is no foreign input for the packer parser: it gets bats' TAP instead.
    const summary = parseReport(format, readFixture(format === 'packer' ? 'bats-apollo-bootstrap.tap' : 'packer-validate-broken-json.out'));
    expect(summary).toMatchObject({ format, verdict: 'unparsed', total: 0, failures: [] });
    expect(summary.reason).toBeTruthy();
  });
});
