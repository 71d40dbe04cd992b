import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { batsLocation } from './bats-location.js';
import { unparsed, type ParseOptions, type TestFailure, type TestSummary } from './summary.js';
import { firstLines, firstNonBlankLine, quote } from './text.js';
import { decodeEntities } from './xml-entities.js';

/**
 * JUnit XML (bats `--formatter junit`, and most CI test runners). The suite attributes
 * (tests/failures/errors/skipped) are totals the producer computed; the <testcase> elements are what
 * it actually wrote. When they disagree the file was cut or assembled wrongly, so the report is
 * unparsed rather than trusting either number.
 *
 * A test case is skipped if it has <skipped> (bats also writes a <failure> holding any stray output of
 * a skipped test), else an error if it has <error>, else failed if it has <failure>, else passed.
 * Failed and errored cases are both listed in `failures`.
 */

type Outcome = 'passed' | 'failed' | 'error' | 'skipped';

interface Case {
  outcome: Outcome;
  failure?: TestFailure;
}

type XmlNode = Record<string, unknown>;

const REPEATABLE = new Set(['testsuite', 'testcase', 'failure', 'error', 'skipped']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Entities are decoded by `decodeEntities` (xml-entities.ts), in one pass: the parser's own pass leaves numeric
  // references (bats escapes every ' as &#39;) as they are unless its deprecated HTML mode is on.
  processEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && REPEATABLE.has(name),
});

export function parseJunit(input: string, _opts?: ParseOptions): TestSummary {
  if (input.trim() === '') return unparsed('junit', 'empty input');
  // The parser accepts unclosed elements silently, so a cut file would parse as a shorter report.
  const valid = XMLValidator.validate(input);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const head = firstNonBlankLine(input) ?? '';
    const hint = input.trimStart().startsWith('<') ? 'truncated?' : `it starts with ${quote(head)}`;
    return unparsed('junit', `not well-formed XML (${hint}): line ${line}${col !== undefined ? `, column ${col}` : ''}: ${msg}`);
  }

  let document: XmlNode;
  try {
    document = parser.parse(input) as XmlNode;
  } catch (error) {
    // Well-formed but beyond the parser's limits (nesting depth, entity expansion).
    return unparsed('junit', `XML the parser refuses: ${(error as Error).message}`);
  }
  const rootSuites = asNode(document['testsuites']);
  const topSuites = rootSuites ? nodes(rootSuites['testsuite']) : nodes(document['testsuite']);
  if (!rootSuites && topSuites.length === 0) {
    const root = Object.keys(document).find((key) => !key.startsWith('?')) ?? 'nothing';
    return unparsed('junit', `the root element is <${root}>, not <testsuites> or <testsuite>`);
  }

  const cases: Case[] = [];
  for (const suite of topSuites) {
    const suiteCases = casesIn(suite);
    const mismatch = compareTotals(suite, suiteCases, `testsuite ${quote(attribute(suite, 'name') ?? '(unnamed)')}`);
    if (mismatch) return unparsed('junit', mismatch);
    cases.push(...suiteCases);
  }
  if (rootSuites) {
    const mismatch = compareTotals(rootSuites, cases, '<testsuites>');
    if (mismatch) return unparsed('junit', mismatch);
  }
  return summarise(cases);
}

function casesIn(suite: XmlNode): Case[] {
  const own = nodes(suite['testcase']).map(readCase);
  const nested = nodes(suite['testsuite']).flatMap(casesIn);
  return [...own, ...nested];
}

function readCase(testcase: XmlNode): Case {
  const skipped = nodes(testcase['skipped']);
  const errors = nodes(testcase['error']);
  const failures = nodes(testcase['failure']);
  if (skipped.length > 0) return { outcome: 'skipped' };
  const problem = errors[0] ?? failures[0];
  if (!problem) return { outcome: 'passed' };
  return { outcome: errors.length > 0 ? 'error' : 'failed', failure: toFailure(testcase, problem) };
}

function toFailure(testcase: XmlNode, problem: XmlNode): TestFailure {
  const classname = attribute(testcase, 'classname');
  const name = attribute(testcase, 'name') ?? '(unnamed test case)';
  const text = textOf(problem);
  const textLines = text.split(/\r?\n/);
  const messageAttribute = attribute(problem, 'message');
  const message = firstLines(messageAttribute ?? textLines.filter((line) => batsLocation(line) === undefined).join('\n'));
  const file = attribute(testcase, 'file');
  const line = attribute(testcase, 'line');
  const location =
    file !== undefined ? (line !== undefined ? `${file}:${line}` : file) : textLines.map(batsLocation).find((found) => found !== undefined);
  return {
    name: classname !== undefined && classname !== '' && !name.startsWith(classname) ? `${classname} :: ${name}` : name,
    ...(message !== '' ? { message } : {}),
    ...(location !== undefined ? { location } : {}),
  };
}

/** Attributes are optional in JUnit; only the ones a producer wrote are checked. */
function compareTotals(element: XmlNode, cases: Case[], label: string): string | undefined {
  const counted: Record<string, number> = {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome === 'failed').length,
    errors: cases.filter((c) => c.outcome === 'error').length,
    skipped: cases.filter((c) => c.outcome === 'skipped').length,
  };
  for (const [key, count] of Object.entries(counted)) {
    const declared = attribute(element, key);
    if (declared === undefined) continue;
    if (!/^\d+$/.test(declared.trim())) return `${label} has ${key}=${quote(declared)}, not a number`;
    if (Number(declared) !== count) return `${label} says ${key}=${declared} but holds ${count} such <testcase> elements`;
  }
  return undefined;
}

function summarise(cases: Case[]): TestSummary {
  const count = (outcome: Outcome) => cases.filter((c) => c.outcome === outcome).length;
  const failed = count('failed');
  const errors = count('error');
  return {
    format: 'junit',
    verdict: failed + errors > 0 ? 'failed' : 'passed',
    passed: count('passed'),
    failed,
    skipped: count('skipped'),
    errors,
    total: cases.length,
    failures: cases.flatMap((c) => (c.failure ? [c.failure] : [])),
    notes: cases.length === 0 ? ['the report holds no test cases'] : [],
  };
}

function asNode(value: unknown): XmlNode | undefined {
  if (Array.isArray(value)) return asNode(value[0]);
  if (typeof value === 'object' && value !== null) return value as XmlNode;
  // An element with neither attributes nor children parses as an empty string.
  if (value === '') return {};
  return undefined;
}

function nodes(value: unknown): XmlNode[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (typeof item === 'string' ? { '#text': item } : (item as XmlNode)));
}

function attribute(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`];
  return typeof value === 'string' ? decodeEntities(value) : undefined;
}

function textOf(node: XmlNode): string {
  const text = typeof node['#text'] === 'string' ? decodeEntities(node['#text']) : '';
  const cdata = node['#cdata'];
  const cdataText = Array.isArray(cdata) ? cdata.join('') : typeof cdata === 'string' ? cdata : '';
  return text + cdataText;
}

