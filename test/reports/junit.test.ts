import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJunit } from '../../src/reports/junit.js';
import { firstHalf, readFixture, scratchDir } from './fixtures.js';
import { needs, onPath, runTool } from './tools.js';

/** Element counts by plain text search, independent of any XML parsing. */
function countElements(xml: string): { testcases: number; failures: number; errors: number; skipped: number } {
  const count = (tag: string) => xml.split(`<${tag}`).length - 1;
  return { testcases: count('testcase '), failures: count('failure'), errors: count('error'), skipped: count('skipped>') + count('skipped/>') + count('skipped ') };
}

describe('parseJunit', () => {
  it('counts bats-apollo-bootstrap-junit.xml: 4 test cases, 3 passed, 1 failed', () => {
    const xml = readFixture('bats-apollo-bootstrap-junit.xml');
    const counted = countElements(xml);
    expect(counted).toEqual({ testcases: 4, failures: 1, errors: 0, skipped: 0 });

    const summary = parseJunit(xml);
    expect(summary).toMatchObject({
      format: 'junit',
      verdict: 'failed',
      passed: counted.testcases - counted.failures,
      failed: counted.failures,
      skipped: counted.skipped,
      errors: counted.errors,
      total: counted.testcases,
    });
    expect(summary.failures).toEqual([
      {
        name: 'bootstrap.bats :: get_apollo_variables keeps 2015 expected ordering (env-order dependent)',
        // bats escapes ' as &#39; and " as &quot;: the message reads as the shell printed it.
        message: '`[ "$output" = "var4=\'property=val property=val property=val\' var2=\'Drupal\' var3=\'ip1 ip2 ip3\' var1=\'Galicia\'" ]\' failed',
        location: 'bootstrap.bats:28',
      },
    ]);
  });

  it('is unparsed when a suite’s attributes disagree with its test cases', () => {
    const xml = readFixture('bats-apollo-bootstrap-junit.xml');
    const summary = parseJunit(xml.replace('tests="4"', 'tests="5"'));
    expect(summary).toMatchObject({ verdict: 'unparsed', total: 0 });
    expect(summary.reason).toBe('testsuite "bootstrap.bats" says tests=5 but holds 4 such <testcase> elements');
    expect(parseJunit(xml.replace('failures="1"', 'failures="0"')).reason).toBe(
      'testsuite "bootstrap.bats" says failures=0 but holds 1 such <testcase> elements',
    );
    expect(parseJunit(xml.replace('<testsuites time="0.050">', '<testsuites tests="3">')).reason).toBe(
      '<testsuites> says tests=3 but holds 4 such <testcase> elements',
    );
  });

  it('is unparsed when the fixture is cut in half or loses its closing tags', () => {
    const xml = readFixture('bats-apollo-bootstrap-junit.xml');
    const half = parseJunit(firstHalf(xml));
    expect(half).toMatchObject({ verdict: 'unparsed', total: 0, failures: [] });
    expect(half.reason).toMatch(/^not well-formed XML \(truncated\?\): line 6/);
    // Cut after the last </testcase>: every test case is there, the suite is not closed.
    const unclosed = xml.slice(0, xml.indexOf('</testsuite>'));
    expect(parseJunit(unclosed).verdict).toBe('unparsed');
  });

  it('is unparsed for garbage, empty input and XML that is not JUnit', () => {
    expect(parseJunit('').reason).toBe('empty input');
    expect(parseJunit('bats: command not found\n').reason).toMatch(/^not well-formed XML \(it starts with "bats: command not found"\)/);
    expect(parseJunit('<?xml version="1.0"?>\n<html><body>502 Bad Gateway</body></html>\n').reason).toBe(
      'the root element is <html>, not <testsuites> or <testsuite>',
    );
    expect(parseJunit('<testsuite tests="x"></testsuite>').reason).toBe('testsuite "(unnamed)" has tests="x", not a number');
  });

  it('reads errors, skips, CDATA messages, nested suites and a bare <testsuite> root', () => {
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuite name="apollo" tests="6" failures="1" errors="1" skipped="2">',
      '  <testcase classname="consul" name="joins the cluster" file="spec/consul_spec.rb" line="12"/>',
      '  <testcase classname="consul" name="elects a leader">',
      '    <failure message="expected 1 leader, got 0" type="AssertionError"><![CDATA[at consul_spec.rb:20 & more <details>]]></failure>',
      '  </testcase>',
      '  <testcase classname="weave" name="starts"><error message="weave: command not found"/></testcase>',
      '  <testcase classname="weave" name="encrypts"><skipped/></testcase>',
      '  <testsuite name="nested" tests="2" skipped="1">',
      '    <testcase classname="mesos" name="needs aws"><skipped message="no credentials"/></testcase>',
      '    <testcase classname="mesos" name="runs a task"/>',
      '  </testsuite>',
      '</testsuite>',
      '',
    ].join('\n');
    const summary = parseJunit(xml);
    expect(summary).toMatchObject({ verdict: 'failed', passed: 2, failed: 1, errors: 1, skipped: 2, total: 6 });
    expect(summary.failures).toEqual([
      { name: 'consul :: elects a leader', message: 'expected 1 leader, got 0' },
      { name: 'weave :: starts', message: 'weave: command not found' },
    ]);
  });

  it('uses the failure text when there is no message attribute, and file/line attributes as the location', () => {
    const xml =
      '<testsuites><testsuite name="s"><testcase classname="c" name="n" file="spec/a.rb" line="7">' +
      '<failure><![CDATA[literal &lt; stays\nsecond line]]></failure></testcase></testsuite></testsuites>';
    expect(parseJunit(xml).failures).toEqual([{ name: 'c :: n', message: 'literal &lt; stays\nsecond line', location: 'spec/a.rb:7' }]);
  });

  it('counts a skipped bats test as skipped although bats also writes a <failure> with its output', () => {
    const xml =
      '<testsuites><testsuite name="t.bats" tests="1" failures="0" skipped="1">' +
      '<testcase classname="t.bats" name="needs docker"><failure type="failure">stray output</failure><skipped>no docker</skipped></testcase>' +
      '</testsuite></testsuites>';
    expect(parseJunit(xml)).toMatchObject({ verdict: 'passed', skipped: 1, failed: 0, total: 1 });
  });

  it('passes a report without test cases and says it is empty', () => {
    const summary = parseJunit('<testsuites/>');
    expect(summary).toMatchObject({ verdict: 'passed', total: 0 });
    expect(summary.notes).toEqual(['the report holds no test cases']);
  });

  it.skipIf(!onPath('bats'))(needs('bats', 'parses a fresh bats --formatter junit run'), () => {
    const scratch = scratchDir();
    try {
      writeFileSync(
        join(scratch.dir, 'sample.bats'),
        [
          '@test "adds" { [ "$((1 + 1))" -eq 2 ]; }',
          '@test "quotes \'single\' & <angle>" { true; }',
          '@test "compares wrongly" { [ 1 -eq 2 ]; }',
          '@test "needs docker" { skip "no docker"; }',
          '',
        ].join('\n'),
      );
      const run = runTool('bats', ['--formatter', 'junit', 'sample.bats'], { cwd: scratch.dir });
      expect(run.status).toBe(1);
      const summary = parseJunit(run.stdout);
      expect(summary).toMatchObject({ verdict: 'failed', total: 4, passed: 2, failed: 1, skipped: 1 });
      expect(summary.failures[0]).toMatchObject({ name: 'sample.bats :: compares wrongly', location: 'sample.bats:3' });
    } finally {
      scratch.remove();
    }
  });
});
