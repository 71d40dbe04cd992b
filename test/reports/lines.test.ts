import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.js';
import { ApolloError } from '../../src/errors.js';
import { parseLines } from '../../src/reports/lines.js';
import { summaryLine } from '../../views/summary-line.js';
import { firstHalf, readFixture, scratchDir } from './fixtures.js';
import { needs, onPath, runTool } from './tools.js';

/** The problems apollo.yml is refused with, for a build step carrying `report`. */
function configProblems(report: string): string[] {
  try {
    parseConfigText(`repository: ./repo\nbuild:\n  steps:\n    - name: tests\n      run: ./test.sh\n      report: ${report}\n`);
  } catch (err) {
    expect(err).toBeInstanceOf(ApolloError);
    return (err as ApolloError).details;
  }
  return [];
}

describe('parseLines', () => {
  // The seed's bootstrap tests print one "ok"/"not ok" line per test (TAP, read here as plain lines):
  // `grep -c '^ok '` gives 3 and `grep -c '^not ok '` gives 1 in bats-apollo-bootstrap.tap.
  const tap = readFixture('bats-apollo-bootstrap.tap');
  const patterns = { passPattern: '^ok ', failPattern: '^not ok ' };

  it('counts the seed bootstrap tests: 3 passed, 1 failed', () => {
    const summary = parseLines(tap, patterns);
    expect(summary).toMatchObject({ format: 'lines', verdict: 'failed', passed: 3, failed: 1, total: 4 });
    expect(summary.failures).toEqual([{ name: 'not ok 4 get_apollo_variables keeps 2015 expected ordering (env-order dependent)' }]);
    expect(summaryLine(summary)).toBe('lines: 3 passed, 1 failed');
  });

  it('passes only with no failure and at least one line matched', () => {
    expect(parseLines('PASS a\nPASS b\nnoise\n', { passPattern: '^PASS', failPattern: '^FAIL' })).toMatchObject({ verdict: 'passed', passed: 2, failed: 0 });
    expect(parseLines('noise\n', { passPattern: '^PASS', failPattern: '^FAIL' }).reason).toBe('no line matched passPattern "^PASS" or failPattern "^FAIL"');
    // A lenient pass pattern that also matches failing lines must not turn them into passes.
    expect(parseLines('FAIL x\n', { passPattern: 'PASS|FAIL', failPattern: '^FAIL' })).toMatchObject({ verdict: 'failed', passed: 0, failed: 1 });
  });

  it('is unparsed without its patterns, with a broken one, or for a cut output', () => {
    expect(parseLines(tap).reason).toBe('the lines report needs both passPattern and failPattern');
    expect(parseLines(tap, { passPattern: '(', failPattern: 'x' }).reason).toMatch(/^a pattern does not compile: /);
    expect(parseLines(firstHalf(tap), patterns).reason).toBe('the output ends in the middle of a line (truncated?)');
  });

  it('is refused at config load, by path, when a pattern does not compile, matches an empty line or is missing', () => {
    expect(configProblems("{format: lines, passPattern: '^ok', failPattern: '^not ok'}")).toEqual([]);
    expect(configProblems("{format: lines, passPattern: '(ok', failPattern: '^not ok'}")).toEqual([expect.stringMatching(/^build\.steps\[0\]\.report\.passPattern: not a valid RE2 regular expression /)]);
    // RE2 has no lookaround or backreferences: every pattern matches in linear time.
    expect(configProblems("{format: lines, passPattern: '^(?=ok)', failPattern: '^not ok'}")).toEqual([expect.stringMatching(/passPattern: not a valid RE2 regular expression \(no lookaround or backreferences\)/)]);
    expect(configProblems("{format: lines, passPattern: '^ok', failPattern: 'x*'}")).toEqual(['build.steps[0].report.failPattern: matches an empty line, so it would count every line']);
    expect(configProblems("{format: lines, passPattern: '^ok'}")).toEqual(['build.steps[0].report.failPattern: the lines report needs both passPattern and failPattern']);
    expect(configProblems("{format: tap, passPattern: '^ok'}")).toEqual(['build.steps[0].report.passPattern: only the lines report reads this']);
  });

  it.skipIf(!onPath('bash'))(needs('bash', 'counts a fresh script that prints one verdict per test'), () => {
    const scratch = scratchDir();
    try {
      writeFileSync(join(scratch.dir, 'test.sh'), 'for n in 1 2 3; do echo "PASS test $n"; done\necho "FAIL test 4: expected 2"\necho done\n');
      const run = runTool('bash', ['test.sh'], { cwd: scratch.dir });
      expect(run.status).toBe(0); // the script exits 0: only the report says it failed
      const counted = { passed: run.stdout.split('\n').filter((l) => l.startsWith('PASS')).length, failed: run.stdout.split('\n').filter((l) => l.startsWith('FAIL')).length };
      expect(parseLines(run.stdout, { passPattern: '^PASS', failPattern: '^FAIL' })).toMatchObject({ verdict: 'failed', ...counted });
    } finally {
      scratch.remove();
    }
  });

  it('matches in linear time, so a catastrophic pattern from a repository cannot stall the worker', () => {
    const summary = parseLines(`${'a'.repeat(20_000)}!\nok 1\n`, { passPattern: '^ok ', failPattern: '^(a+)+$' });
    expect(summary).toMatchObject({ verdict: 'passed', passed: 1, failed: 0 });
  });
});
