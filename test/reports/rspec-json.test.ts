import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRspecJson } from '../../src/reports/rspec-json.js';
import { firstHalf, readFixture, scratchDir } from './fixtures.js';
import { needs, onPath, runTool } from './tools.js';

/** Counts statuses in the raw text, without parsing the JSON the way the parser does. */
function countStatuses(text: string): { passed: number; failed: number; pending: number } {
  const count = (status: string) => text.split(`"status":"${status}"`).length - 1;
  return { passed: count('passed'), failed: count('failed'), pending: count('pending') };
}

type RawReport = {
  examples: Record<string, unknown>[];
  summary: Record<string, unknown>;
  messages?: string[];
};

function edited(fixture: string, edit: (report: RawReport) => void): string {
  const report = JSON.parse(readFixture(fixture)) as RawReport;
  edit(report);
  return JSON.stringify(report);
}

describe('parseRspecJson', () => {
  it('counts serverspec-rspec.json as the file does: 8 examples, 6 passed, 2 failed', () => {
    const text = readFixture('serverspec-rspec.json');
    const counted = countStatuses(text);
    expect(counted).toEqual({ passed: 6, failed: 2, pending: 0 });

    const summary = parseRspecJson(text);
    expect(summary).toMatchObject({
      format: 'rspec-json',
      verdict: 'failed',
      passed: counted.passed,
      failed: counted.failed,
      skipped: counted.pending,
      errors: 0,
      total: 8,
    });
    expect(summary.failures).toEqual([
      {
        name: 'Port "2181" is expected to be listening',
        message: 'expected Port "2181" to be listening',
        location: './spec/localhost/base_spec.rb:23',
      },
      {
        name: 'File "/etc/zookeeper/conf/zoo.cfg" is expected to be file',
        message: 'expected `File "/etc/zookeeper/conf/zoo.cfg".file?` to be truthy, got false',
        location: './spec/localhost/base_spec.rb:27',
      },
    ]);
  });

  it('counts serverspec-rspec-pass.json (a filtered run): 6 examples, all passed', () => {
    const text = readFixture('serverspec-rspec-pass.json');
    const counted = countStatuses(text);
    expect(counted).toEqual({ passed: 6, failed: 0, pending: 0 });
    expect(parseRspecJson(text)).toMatchObject({ verdict: 'passed', passed: 6, failed: 0, skipped: 0, total: 6, failures: [] });
  });

  it('keeps only the first lines of a long exception message', () => {
    const text = edited('serverspec-rspec.json', (report) => {
      const failed = report.examples.find((example) => example.status === 'failed');
      (failed!['exception'] as Record<string, unknown>)['message'] = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
    });
    const message = parseRspecJson(text).failures[0]?.message ?? '';
    expect(message.split('\n').slice(0, 5)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    expect(message).not.toContain('line 6');
  });

  it('counts pending examples as skipped', () => {
    const text = edited('serverspec-rspec-pass.json', (report) => {
      report.examples[0]!['status'] = 'pending';
      report.examples[0]!['pending_message'] = 'Temporarily skipped with xit';
      report.summary['pending_count'] = 1;
    });
    expect(parseRspecJson(text)).toMatchObject({ verdict: 'passed', passed: 5, skipped: 1, total: 6 });
  });

  it('fails on errors outside of examples and shows RSpec’s message for them', () => {
    const text = JSON.stringify({
      version: '3.12.0',
      messages: ['\nAn error occurred while loading ./spec/localhost/base_spec.rb.\nFailure/Error: describe port(2181 do\n\nSyntaxError:\n  unexpected end-of-input'],
      examples: [],
      summary: { duration: 0.0001, example_count: 0, failure_count: 0, pending_count: 0, errors_outside_of_examples_count: 1 },
      summary_line: '0 examples, 0 failures, 1 error occurred outside of examples',
    });
    const summary = parseRspecJson(text);
    expect(summary).toMatchObject({ verdict: 'failed', errors: 1, total: 0, failed: 0 });
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]?.name).toBe('1 error outside of examples');
    expect(summary.failures[0]?.message).toContain('An error occurred while loading ./spec/localhost/base_spec.rb.');
  });

  it('reads reports of RSpec before 3.6, which have no errors_outside_of_examples_count, and says so', () => {
    const text = edited('serverspec-rspec.json', (report) => {
      delete report.summary['errors_outside_of_examples_count'];
    });
    const summary = parseRspecJson(text);
    expect(summary).toMatchObject({ verdict: 'failed', failed: 2, errors: 0 });
    expect(summary.notes.join('\n')).toContain('does not report errors outside of examples');
  });

  it('is unparsed when the summary and the examples disagree', () => {
    const fewerFailures = edited('serverspec-rspec.json', (report) => {
      report.summary['failure_count'] = 1;
    });
    expect(parseRspecJson(fewerFailures)).toMatchObject({ verdict: 'unparsed', total: 0, failures: [] });
    expect(parseRspecJson(fewerFailures).reason).toBe(
      'summary says 8 examples (1 failed, 0 pending) but the examples list holds 8 (2 failed, 0 pending)',
    );

    const droppedExample = edited('serverspec-rspec.json', (report) => {
      report.examples.pop();
    });
    expect(parseRspecJson(droppedExample).verdict).toBe('unparsed');
    expect(parseRspecJson(droppedExample).reason).toContain('summary says 8 examples');
  });

  it.each(['serverspec-rspec.json', 'serverspec-rspec-pass.json'])('is unparsed, never counted, when %s is cut in half', (fixture) => {
    const summary = parseRspecJson(firstHalf(readFixture(fixture)));
    expect(summary).toMatchObject({ verdict: 'unparsed', passed: 0, failed: 0, total: 0 });
    expect(summary.reason).toMatch(/^not valid JSON \(truncated\?\)/);
  });

  it('is unparsed for garbage, empty input, other JSON and the documentation format', () => {
    expect(parseRspecJson('').reason).toBe('empty input');
    expect(parseRspecJson('Segmentation fault (core dumped)\n').reason).toMatch(/^not valid JSON \(starts with "Segmentation fault/);
    expect(parseRspecJson('{"examples": 3}').reason).toMatch(/^not an RSpec JSON report: examples:/);
    expect(parseRspecJson('[1, 2]').verdict).toBe('unparsed');
    const exampleWithoutStatus = edited('serverspec-rspec-pass.json', (report) => {
      delete report.examples[2]!['status'];
    });
    expect(parseRspecJson(exampleWithoutStatus).reason).toMatch(/^not an RSpec JSON report: examples\.2\.status:/);
  });

  it.skipIf(!onPath('rspec'))(needs('rspec', 'parses a fresh rspec --format json run'), () => {
    const scratch = scratchDir();
    try {
      writeFileSync(
        join(scratch.dir, 'sample_spec.rb'),
        [
          "RSpec.describe 'sample' do",
          "  it('passes') { expect(1).to eq 1 }",
          "  it('also passes') { expect([]).to be_empty }",
          "  it('fails') { expect(1).to eq 2 }",
          "  it('is pending') { pending('not yet'); expect(1).to eq 2 }",
          "  it('is skipped') { skip('no docker here') }",
          'end',
          '',
        ].join('\n'),
      );
      const report = join(scratch.dir, 'report.json');
      const run = runTool('rspec', ['--format', 'json', '--out', report, 'sample_spec.rb'], { cwd: scratch.dir });
      expect(run.status).toBe(1);
      const summary = parseRspecJson(readFileSync(report, 'utf8'));
      expect(summary).toMatchObject({ verdict: 'failed', total: 5, passed: 2, failed: 1, skipped: 2, errors: 0 });
      expect(summary.failures[0]).toMatchObject({ name: 'sample fails', location: './sample_spec.rb:4' });
    } finally {
      scratch.remove();
    }
  });
});
