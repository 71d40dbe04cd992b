import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { unparsed, type ParseOptions, type TestFailure, type TestSummary } from './summary.js';
import { endsMidLine, firstLines, firstNonBlankLine, quote, splitLines } from './text.js';

/**
 * docker-bench-security's log: the text it prints (2015 v1.0.0 and current releases, with or without
 * colour) or the JSON log it writes next to it (`-l FILE` also writes `FILE.json`).
 *
 * Two numbers are easy to confuse. A *check* is one line with a result tag and a check id
 * (`[WARN] 4.1 - ...`); the lines under it (`[WARN]      * Running as root: x`) carry the same tag
 * but are details. Apollo's original gate counted every output line containing `WARN` (`grep -c
 * WARN`), details included, and its thresholds (52, 70, 100) were tuned to that count, so the gate
 * here compares *WARN lines* with `warnThreshold` and the summary shows both numbers.
 *
 * Counting: passed = PASS checks, failed = WARN checks (listed as failures), skipped = INFO + NOTE
 * checks (informational or manual checks for a human to review), total = all checks.
 * Verdict: with `warnThreshold`, failed when the gate count is greater than it. Without one, WARN is
 * advisory (docker-bench warns on almost every real host) and the verdict is passed.
 */

const RESULTS = ['PASS', 'WARN', 'INFO', 'NOTE'] as const;
type CheckResult = (typeof RESULTS)[number];

interface Check {
  result: CheckResult;
  /** Absent for the few checks docker-bench prints without one (deprecated checks). */
  id?: string;
  title: string;
  details: string[];
}

/** What a log holds, in either form, before the gate reads it. */
interface BenchLog {
  checks: Check[];
  /** Output lines containing WARN; only a text log has lines. */
  warnLines?: number;
  version?: string;
  notes: string[];
}

type Reading = BenchLog | { reason: string };

const TAGGED = /^\[(PASS|WARN|INFO|NOTE)\] ?(.*)$/;
const NUMBERED = /^(\d+(?:\.\d+)*)\s+-\s+(.*)$/;
const DETAIL = /^\s*\*\s?(.*)$/;
const CHECKS_FOOTER = /^Checks:\s*(\d+)\s*$/;
const SCORE_FOOTER = /^Score:\s*-?\d+\s*$/;
const SECTION = /^Section ([A-Z]) - /;
const VERSION = /Docker Bench for Security (v\S+)/;
// docker-bench's shell scripts fail noisily on hosts they do not expect ("line 633: [: : integer
// expression expected"); the checks next to such a line may be wrong, which the card should say.
const SCRIPT_ERROR = /^\S+\.sh: (?:line )?\d+: /;

export function parseDockerBench(input: string, opts: ParseOptions = {}): TestSummary {
  if (input.trim() === '') return unparsed('docker-bench', 'empty input');
  const reading = input.trimStart().startsWith('{') ? readJsonLog(input) : readTextLog(input);
  if ('reason' in reading) return unparsed('docker-bench', reading.reason);
  return applyGate(reading, opts);
}

function readTextLog(input: string): Reading {
  const text = stripVTControlCharacters(input);
  const lines = splitLines(text);
  const candidates: Check[] = [];
  const scriptErrors: string[] = [];
  let section: string | undefined;
  let hasSections = false;
  let toolTotal: number | undefined;
  let version: string | undefined;

  for (const line of lines) {
    version ??= VERSION.exec(line)?.[1];
    const sectionStart = SECTION.exec(line);
    if (sectionStart) {
      section = sectionStart[1];
      hasSections = true;
      continue;
    }
    if (SCRIPT_ERROR.test(line)) {
      scriptErrors.push(line);
      continue;
    }
    const tagged = TAGGED.exec(line);
    if (!tagged) continue;
    const result = tagged[1] as CheckResult;
    const body = tagged[2] ?? '';
    const footer = CHECKS_FOOTER.exec(body);
    if (footer) {
      toolTotal = Number(footer[1]);
      continue;
    }
    // Section B repeats check ids with their remediation text; Section C is the score.
    if (section === 'B' || section === 'C' || SCORE_FOOTER.test(body)) continue;
    const detail = DETAIL.exec(body);
    if (detail) {
      candidates.at(-1)?.details.push(detail[1] ?? '');
      continue;
    }
    const numbered = NUMBERED.exec(body);
    candidates.push(
      numbered
        ? { result, id: numbered[1] ?? '', title: (numbered[2] ?? '').trim(), details: [] }
        : { result, title: body.trim(), details: [] },
    );
  }

  const checks = withoutHeadings(candidates);
  if (checks.length === 0) {
    return { reason: `no docker-bench checks in the log; it says ${quote(firstNonBlankLine(text) ?? '')}` };
  }
  if (hasSections && toolTotal === undefined) {
    return { reason: 'the log ends before docker-bench\'s "Checks: N" score footer (truncated?)' };
  }
  if (toolTotal !== undefined && toolTotal !== checks.length) {
    return { reason: `docker-bench says ${toolTotal} checks but the log holds ${checks.length}` };
  }
  if (toolTotal === undefined && endsMidLine(text)) {
    return { reason: 'the log ends in the middle of a line (truncated?)' };
  }

  const notes: string[] = [];
  if (toolTotal === undefined) {
    notes.push('this docker-bench version prints no check total: a log cut between two lines looks complete');
  }
  if (scriptErrors.length > 0) {
    notes.push(
      `docker-bench's scripts printed ${scriptErrors.length} error line${scriptErrors.length === 1 ? '' : 's'}, ` +
        `e.g. ${quote(scriptErrors[0] ?? '')}: checks near them may be wrong`,
    );
  }
  return {
    checks,
    warnLines: lines.filter((line) => line.includes('WARN')).length,
    ...(version !== undefined ? { version } : {}),
    notes,
  };
}

/**
 * Section and subsection titles use the same tag and numbering as checks ("[INFO] 1 - Host
 * Configuration", "[INFO] 1.1 - Linux Hosts Specific Configuration"); docker-bench does not count
 * them. A top-level number is always a section; a numbered line is a subsection when another line's
 * number extends it.
 */
function withoutHeadings(candidates: Check[]): Check[] {
  const ids = candidates.flatMap((check) => (check.id !== undefined ? [check.id] : []));
  const isHeading = (id: string) => !id.includes('.') || ids.some((other) => other.startsWith(`${id}.`));
  return candidates.filter((check) => check.id === undefined || !isHeading(check.id));
}

const JsonResult = z.object({
  id: z.string(),
  desc: z.string(),
  result: z.enum(RESULTS),
  details: z.string().optional(),
});

const JsonLog = z.object({
  dockerbenchsecurity: z.string(),
  tests: z.array(z.object({ id: z.string(), desc: z.string(), results: z.array(JsonResult) })),
  checks: z.number().int().nonnegative(),
});

function readJsonLog(input: string): Reading {
  let json: unknown;
  try {
    json = JSON.parse(input);
  } catch (error) {
    return { reason: `not valid JSON (truncated?): ${(error as Error).message}` };
  }
  const shape = JsonLog.safeParse(json);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'top level';
    return { reason: `not a docker-bench JSON log: ${where}: ${issue?.message ?? 'unexpected shape'}` };
  }
  const log = shape.data;
  const checks = log.tests.flatMap((section) =>
    section.results.map((entry): Check => ({
      result: entry.result,
      id: entry.id,
      title: entry.desc,
      details: entry.details !== undefined ? [entry.details] : [],
    })),
  );
  if (log.checks !== checks.length) {
    return { reason: `docker-bench says ${log.checks} checks but the JSON log holds ${checks.length} results` };
  }
  return { checks, version: log.dockerbenchsecurity, notes: [] };
}

function applyGate(log: BenchLog, opts: ParseOptions): TestSummary {
  const count = (result: CheckResult) => log.checks.filter((check) => check.result === result).length;
  const passChecks = count('PASS');
  const warnChecks = count('WARN');
  const infoChecks = count('INFO');
  const noteChecks = count('NOTE');
  const threshold = opts.warnThreshold;

  // A JSON log has no lines, so its only WARN count is the checks; the note says which was used.
  const gate = log.warnLines !== undefined ? 'warn-lines' : 'warn-checks';
  const gateCount = log.warnLines ?? warnChecks;
  const gateLabel = gate === 'warn-lines' ? 'WARN lines' : 'WARN checks';
  const counted =
    log.warnLines !== undefined
      ? `${log.warnLines} WARN lines / ${warnChecks} WARN checks`
      : `${warnChecks} WARN checks (a JSON log has no output lines to count)`;
  const gateFails = threshold !== undefined && gateCount > threshold;
  const gateNote =
    threshold !== undefined
      ? `${counted}; gate used ${gateLabel} (${gateCount} > ${threshold}? ${gateFails ? 'yes' : 'no'})`
      : `${counted}; no warnThreshold set, so WARN checks are advisory and do not fail the report`;

  const failures = log.checks
    .filter((check) => check.result === 'WARN')
    .map((check): TestFailure => {
      const message = firstLines(check.details.join('\n'));
      return {
        name: check.id !== undefined ? `${check.id} - ${check.title}` : check.title,
        ...(message !== '' ? { message } : {}),
        ...(check.id !== undefined ? { location: check.id } : {}),
      };
    });

  return {
    format: 'docker-bench',
    verdict: gateFails ? 'failed' : 'passed',
    passed: passChecks,
    failed: warnChecks,
    skipped: infoChecks + noteChecks,
    errors: 0,
    total: log.checks.length,
    failures,
    notes: [
      gateNote,
      `${infoChecks + noteChecks} INFO/NOTE checks are counted as skipped: they are for a human to review`,
      ...log.notes,
    ],
    extra: {
      ...(log.warnLines !== undefined ? { warnLines: log.warnLines } : {}),
      warnChecks,
      passChecks,
      infoChecks,
      noteChecks,
      ...(threshold !== undefined ? { warnThreshold: threshold } : {}),
      gate,
      ...(log.version !== undefined ? { version: log.version } : {}),
    },
  };
}
