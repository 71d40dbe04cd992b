import { batsLocation } from './bats-location.js';
import { unparsed, type ParseOptions, type TestFailure, type TestSummary } from './summary.js';
import { endsMidLine, firstLines, firstNonBlankLine, quote, splitLines } from './text.js';

/**
 * TAP as bats prints it (`bats --tap`, `--formatter tap`/`tap13`), and TAP 13/14 in general.
 * The plan (`1..N`) is the only way to know the run finished: a run that printed fewer tests than it
 * planned stopped early, and its counts would silently leave the missing tests out.
 *
 * Counting: `ok` → passed, `not ok` → failed, `# SKIP` → skipped, `not ok # TODO` → skipped (TAP
 * counts expected failures as passing; calling them skipped keeps them visible), `ok # TODO` →
 * passed. `Bail out!` is the tool saying the run aborted: the verdict is failed, not unparsed.
 */

interface TapTest {
  ok: boolean;
  number?: number;
  name: string;
  directive?: 'skip' | 'todo';
  diagnostics: string[];
}

const PLAN = /^1\.\.(\d+)\s*(?:#\s*(.*))?$/;
const TEST_LINE = /^(not ok|ok)(?=\s|$)\s*(\d+)?\s*(?:-\s+)?(.*)$/;
const DIRECTIVE = /(?:^|\s)#\s*(skip|todo)\S*(?:\s+(.*))?$/i;
const BAIL_OUT = /^Bail out!\s*(.*)$/;
const DIAGNOSTIC = /^#\s?(.*)$/;
// Only top-level YAML blocks: TAP 14 subtests are indented further and summarised by their parent line.
const YAML_START = /^ {2}---\s*$/;
const YAML_END = /^ {2}\.\.\.\s*$/;

export function parseTap(input: string, _opts?: ParseOptions): TestSummary {
  if (input.trim() === '') return unparsed('tap', 'empty input');
  if (endsMidLine(input)) return unparsed('tap', 'the output ends in the middle of a line (truncated?)');

  const tests: TapTest[] = [];
  let plan: { count: number; comment?: string } | undefined;
  let bailOut: string | undefined;
  let inYaml = false;

  for (const line of splitLines(input)) {
    const current = tests.at(-1);
    if (inYaml) {
      if (YAML_END.test(line)) inYaml = false;
      else current?.diagnostics.push(line.trim());
      continue;
    }
    if (YAML_START.test(line) && current) {
      inYaml = true;
      continue;
    }
    if (/^\s/.test(line)) continue;

    const bail = BAIL_OUT.exec(line);
    if (bail) {
      bailOut = bail[1] ?? '';
      break;
    }
    const planLine = PLAN.exec(line);
    if (planLine) {
      if (plan) return unparsed('tap', `two plan lines ("1..${plan.count}" and ${quote(line)})`);
      plan = { count: Number(planLine[1]), ...(planLine[2] ? { comment: planLine[2] } : {}) };
      continue;
    }
    const test = TEST_LINE.exec(line);
    if (test) {
      tests.push(readTest(test[1] === 'ok', test[2], test[3] ?? ''));
      continue;
    }
    const diagnostic = DIAGNOSTIC.exec(line);
    if (diagnostic && current && !current.ok) current.diagnostics.push(diagnostic[1] ?? '');
  }

  if (bailOut === undefined) {
    if (!plan && tests.length === 0) {
      return unparsed('tap', `no TAP plan or test lines; it says ${quote(firstNonBlankLine(input) ?? '')}`);
    }
    if (!plan) return unparsed('tap', `no plan line ("1..N") after ${tests.length} tests (truncated?)`);
    if (plan.count !== tests.length) return unparsed('tap', `plan says ${plan.count} tests, saw ${tests.length}`);
    const numberingProblem = checkNumbering(tests, plan.count);
    if (numberingProblem) return unparsed('tap', numberingProblem);
  }
  return summarise(tests, plan, bailOut);
}

function readTest(ok: boolean, number: string | undefined, description: string): TapTest {
  const directive = DIRECTIVE.exec(description);
  const name = (directive ? description.slice(0, directive.index) : description).trim();
  // Old bats put the skip reason before the name ("ok 1 # skip (why) name"): keep something to show.
  const test: TapTest = { ok, name: name !== '' ? name : (directive?.[2]?.trim() ?? ''), diagnostics: [] };
  if (number !== undefined) test.number = Number(number);
  if (directive) test.directive = directive[1]?.toLowerCase() === 'skip' ? 'skip' : 'todo';
  return test;
}

function checkNumbering(tests: TapTest[], planned: number): string | undefined {
  const seen = new Set<number>();
  for (const test of tests) {
    if (test.number === undefined) continue;
    if (test.number < 1 || test.number > planned) return `test number ${test.number} is outside the plan 1..${planned}`;
    if (seen.has(test.number)) return `test number ${test.number} appears twice`;
    seen.add(test.number);
  }
  return undefined;
}

function summarise(tests: TapTest[], plan: { count: number; comment?: string } | undefined, bailOut: string | undefined): TestSummary {
  const skipped = tests.filter((test) => test.directive === 'skip' || (test.directive === 'todo' && !test.ok));
  const failedTests = tests.filter((test) => !test.ok && test.directive === undefined);
  const failures = failedTests.map(toFailure);
  const notes: string[] = [];

  const todoFailing = tests.filter((test) => test.directive === 'todo' && !test.ok).length;
  if (todoFailing > 0) notes.push(`${todoFailing} TODO test${todoFailing === 1 ? '' : 's'} failed as expected (counted as skipped)`);
  if (plan?.count === 0 && plan.comment) notes.push(`no tests ran: ${plan.comment}`);
  if (bailOut !== undefined) {
    notes.push(`the run bailed out after ${tests.length}${plan ? ` of ${plan.count}` : ''} planned tests`);
    failures.push({ name: 'Bail out!', ...(bailOut !== '' ? { message: bailOut } : {}) });
  }

  return {
    format: 'tap',
    verdict: failedTests.length > 0 || bailOut !== undefined ? 'failed' : 'passed',
    passed: tests.filter((test) => test.ok && test.directive !== 'skip').length,
    failed: failedTests.length,
    skipped: skipped.length,
    errors: 0,
    total: tests.length,
    failures,
    notes,
  };
}

function toFailure(test: TapTest): TestFailure {
  const location = test.diagnostics.map(batsLocation).find((found) => found !== undefined);
  const message = firstLines(test.diagnostics.filter((line) => batsLocation(line) === undefined).join('\n'));
  return {
    name: test.name !== '' ? test.name : `test ${test.number ?? '?'}`,
    ...(message !== '' ? { message } : {}),
    ...(location !== undefined ? { location } : {}),
  };
}
