import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTap } from '../../src/reports/tap.js';
import { firstHalf, firstLinesOf, readFixture, scratchDir } from './fixtures.js';
import { needs, onPath, runTool } from './tools.js';

/** Test lines by their first word, read independently of the parser. */
function countResults(text: string): { ok: number; notOk: number; planned: number } {
  const lines = text.split('\n');
  return {
    ok: lines.filter((line) => line.startsWith('ok ')).length,
    notOk: lines.filter((line) => line.startsWith('not ok ')).length,
    planned: Number(lines.find((line) => line.startsWith('1..'))?.slice(3)),
  };
}

const tap = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('parseTap', () => {
  it('counts bats-apollo-bootstrap.tap: 4 planned, 3 ok, 1 not ok', () => {
    const text = readFixture('bats-apollo-bootstrap.tap');
    const counted = countResults(text);
    expect(counted).toEqual({ ok: 3, notOk: 1, planned: 4 });

    const summary = parseTap(text);
    expect(summary).toMatchObject({
      format: 'tap',
      verdict: 'failed',
      passed: counted.ok,
      failed: counted.notOk,
      skipped: 0,
      errors: 0,
      total: counted.planned,
    });
    expect(summary.failures).toEqual([
      {
        name: 'get_apollo_variables keeps 2015 expected ordering (env-order dependent)',
        message: '`[ "$output" = "var4=\'property=val property=val property=val\' var2=\'Drupal\' var3=\'ip1 ip2 ip3\' var1=\'Galicia\'" ]\' failed',
        location: 'bootstrap.bats:28',
      },
    ]);
  });

  it('is unparsed when the fixture is cut in half, even though the cut line still reads as a test', () => {
    const half = firstHalf(readFixture('bats-apollo-bootstrap.tap'));
    // The cut falls inside "not ok 4 ...": four test lines, as many as planned, and no diagnostics.
    expect(countResults(half)).toMatchObject({ ok: 3, notOk: 1, planned: 4 });
    const summary = parseTap(half);
    expect(summary).toMatchObject({ verdict: 'unparsed', total: 0, failures: [] });
    expect(summary.reason).toBe('the output ends in the middle of a line (truncated?)');
  });

  it('is unparsed when fewer tests ran than planned', () => {
    const summary = parseTap(firstLinesOf(readFixture('bats-apollo-bootstrap.tap'), 3));
    expect(summary).toMatchObject({ verdict: 'unparsed', passed: 0, total: 0 });
    expect(summary.reason).toBe('plan says 4 tests, saw 2');
  });

  it('is unparsed without a plan, with two plans, or with numbers outside the plan', () => {
    expect(parseTap(tap('ok 1 a', 'ok 2 b')).reason).toBe('no plan line ("1..N") after 2 tests (truncated?)');
    expect(parseTap(tap('1..2', 'ok 1 a', 'ok 2 b', '1..2')).reason).toBe('two plan lines ("1..2" and "1..2")');
    expect(parseTap(tap('1..2', 'ok 1 a', 'ok 3 b')).reason).toBe('test number 3 is outside the plan 1..2');
    expect(parseTap(tap('1..2', 'ok 1 a', 'ok 1 b')).reason).toBe('test number 1 appears twice');
  });

  it('accepts the plan at the end', () => {
    expect(parseTap(tap('ok 1 a', 'not ok 2 b', '1..2'))).toMatchObject({ verdict: 'failed', passed: 1, failed: 1, total: 2 });
  });

  it('counts SKIP and TODO directives in either case', () => {
    const summary = parseTap(
      tap(
        'TAP version 13',
        '1..6',
        'ok 1 runs',
        'ok 2 needs docker # skip no docker daemon',
        'ok 3 - needs aws # SKIP',
        'not ok 4 - ordering bug # TODO fix in 0.2',
        'ok 5 fixed early # todo',
        'not ok 6 really broken',
        '# expected 1, got 2',
      ),
    );
    expect(summary).toMatchObject({ verdict: 'failed', passed: 2, failed: 1, skipped: 3, total: 6 });
    expect(summary.failures).toEqual([{ name: 'really broken', message: 'expected 1, got 2' }]);
    expect(summary.notes).toEqual(['1 TODO test failed as expected (counted as skipped)']);
  });

  it('passes when every failing test is a TODO', () => {
    expect(parseTap(tap('1..2', 'ok 1 a', 'not ok 2 b # TODO later')).verdict).toBe('passed');
  });

  it('reads a TAP 13 YAML block as the failure message and ignores indented subtests', () => {
    const summary = parseTap(
      tap(
        'TAP version 14',
        '1..2',
        '# Subtest: group',
        '    1..1',
        '    not ok 1 - inner',
        'not ok 1 - group',
        '  ---',
        '  message: expected 3 masters',
        '  severity: fail',
        '  ...',
        'ok 2 - single',
      ),
    );
    expect(summary).toMatchObject({ verdict: 'failed', passed: 1, failed: 1, total: 2 });
    expect(summary.failures).toEqual([{ name: 'group', message: 'message: expected 3 masters\nseverity: fail' }]);
  });

  it('fails with the reason when the run bails out, counting what ran', () => {
    const summary = parseTap(tap('1..4', 'ok 1 a', 'Bail out! cannot reach the docker daemon', 'ok 2 printed after the bail'));
    expect(summary).toMatchObject({ verdict: 'failed', passed: 1, failed: 0, total: 1 });
    expect(summary.failures).toEqual([{ name: 'Bail out!', message: 'cannot reach the docker daemon' }]);
    expect(summary.notes).toEqual(['the run bailed out after 1 of 4 planned tests']);
  });

  it('passes an empty plan, saying why nothing ran', () => {
    const summary = parseTap(tap('1..0 # skip no bats files found'));
    expect(summary).toMatchObject({ verdict: 'passed', total: 0 });
    expect(summary.notes).toEqual(['no tests ran: skip no bats files found']);
  });

  it('is unparsed for garbage and empty input', () => {
    expect(parseTap('').reason).toBe('empty input');
    expect(parseTap('bats: command not found\n').reason).toBe('no TAP plan or test lines; it says "bats: command not found"');
    expect(parseTap(readFixture('bats-apollo-bootstrap-junit.xml')).verdict).toBe('unparsed');
  });

  it.skipIf(!onPath('bats'))(needs('bats', 'parses a fresh bats --tap run'), () => {
    const scratch = scratchDir();
    try {
      writeFileSync(
        join(scratch.dir, 'sample.bats'),
        [
          '@test "adds" { [ "$((1 + 1))" -eq 2 ]; }',
          '@test "echoes" { run echo hi; [ "$output" = hi ]; }',
          '@test "compares wrongly" { [ 1 -eq 2 ]; }',
          '@test "needs docker" { skip "no docker"; }',
          '',
        ].join('\n'),
      );
      const run = runTool('bats', ['--tap', 'sample.bats'], { cwd: scratch.dir });
      expect(run.status).toBe(1);
      const summary = parseTap(run.stdout);
      expect(summary).toMatchObject({ verdict: 'failed', total: 4, passed: 2, failed: 1, skipped: 1 });
      expect(summary.failures[0]).toMatchObject({ name: 'compares wrongly', location: 'sample.bats:3' });
    } finally {
      scratch.remove();
    }
  });
});
