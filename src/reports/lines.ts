import { RE2JS } from 're2js';
import { FIRST_FINDINGS } from './findings.js';
import { unparsed, type ParseOptions, type TestSummary } from './summary.js';
import { endsMidLine, quote, splitLines } from './text.js';

/**
 * For scripts that print one verdict per test and no report: each line matching `failPattern` is a
 * failed test, each other line matching `passPattern` a passed one (a line matching both failed, so
 * a lenient pass pattern cannot hide a failure). Nothing matched at all is no evidence of passing.
 */

/** Characters of a failing line kept as its test name. */
const NAME_CHARS = 200;

export function parseLines(input: string, opts: ParseOptions = {}): TestSummary {
  if (opts.passPattern === undefined || opts.failPattern === undefined) return unparsed('lines', 'the lines report needs both passPattern and failPattern');
  // RE2 matches in linear time: a pattern from a repository's pipeline file cannot stall the worker.
  let pass: RE2JS;
  let fail: RE2JS;
  try {
    pass = RE2JS.compile(opts.passPattern);
    fail = RE2JS.compile(opts.failPattern);
  } catch (error) {
    return unparsed('lines', `a pattern does not compile: ${(error as Error).message}`);
  }
  if (endsMidLine(input)) return unparsed('lines', 'the output ends in the middle of a line (truncated?)');

  let passed = 0;
  const failing: string[] = [];
  for (const line of splitLines(input)) {
    if (fail.matcher(line).find()) failing.push(line.trim());
    else if (pass.matcher(line).find()) passed++;
  }
  if (passed + failing.length === 0) {
    return unparsed('lines', `no line matched passPattern ${quote(opts.passPattern)} or failPattern ${quote(opts.failPattern)}`);
  }
  const notes = failing.length > FIRST_FINDINGS ? [`showing the first ${FIRST_FINDINGS} of ${failing.length} failed lines`] : [];
  return {
    format: 'lines',
    verdict: failing.length > 0 ? 'failed' : 'passed',
    passed,
    failed: failing.length,
    skipped: 0,
    errors: 0,
    total: passed + failing.length,
    failures: failing.slice(0, FIRST_FINDINGS).map((line) => ({ name: line.length > NAME_CHARS ? `${line.slice(0, NAME_CHARS - 1)}…` : line })),
    notes,
  };
}
