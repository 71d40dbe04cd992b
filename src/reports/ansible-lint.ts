import { fileLine, summariseFindings, type Finding } from './findings.js';
import { unparsed, type ParseOptions, type TestSummary } from './summary.js';
import { endsMidLine, firstNonBlankLine, quote, splitLines } from './text.js';

/**
 * ansible-lint's reports: `-f codeclimate` and `-f sarif` (JSON), `-p` (parseable, one violation a
 * line) and its default text (the rule and message, then `file:line` on the next line), with or
 * without its stderr summary. A violation fails the tool unless ansible-lint calls it a warning:
 * JSON says so per violation (`level`), text marks it `(warning)`, and the summary table marks the
 * rule. When the summary is there, its count must match the violations listed, or output is missing.
 */

const SEVERITIES = ['error', 'warning'] as const;

const RULE = String.raw`[\w-]+(?:\[[\w.-]+\])?`;
const PARSEABLE = new RegExp(String.raw`^(\S.*?):(\d+)(?::\d+)?: (${RULE}): ?(.*)$`);
const PRETTY_RULE = new RegExp(String.raw`^(${RULE}): (.*)$`);
/** `site.yml:4`, `site.yml:5:7`, or ansible-lint 6's `site.yml:4 Task/Handler: shell echo hello`. */
const PRETTY_LOCATION = /^(\S+?)(?::(\d+))(?::\d+)?(?:\s.*)?$|^(\S+\.ya?ml)$/;
const WARNING_MARK = /\s*\(warning\)\s*$/;
/** `Failed after : 81 failure(s), 1 warning(s) on 17 files.` or `Passed with production profile: …`. */
const RESULT = /^(?:Passed|Failed)\b.*?(\d+) failure\(s\), (\d+) warning\(s\)/;
const TABLE_HEADER = /^\s*count\s+tag\s+profile\s+rule associated tags\s*$/;
const TABLE_ROW = new RegExp(String.raw`^\s*(\d+)\s+(${RULE})\s+\S+\s+(.*)$`);

export function parseAnsibleLint(input: string, _opts?: ParseOptions): TestSummary {
  const start = input.trimStart()[0];
  if (start === '[' || start === '{') return parseJson(input);
  return parseText(input);
}

function parseJson(input: string): TestSummary {
  let data: unknown;
  try {
    data = JSON.parse(input);
  } catch (error) {
    return unparsed('ansible-lint', `not valid JSON (${(error as Error).message})`);
  }
  if (Array.isArray(data)) return fromCodeclimate(data);
  const runs = (data as { runs?: unknown } | null)?.runs;
  if (Array.isArray(runs)) return fromSarif(runs);
  return unparsed('ansible-lint', 'JSON that is neither a codeclimate list nor a SARIF log');
}

interface CodeclimateIssue {
  check_name?: unknown;
  level?: unknown;
  description?: unknown;
  location?: { path?: unknown; lines?: { begin?: unknown }; positions?: { begin?: { line?: unknown } } };
}

function fromCodeclimate(issues: unknown[]): TestSummary {
  const findings: Finding[] = [];
  for (const issue of issues as CodeclimateIssue[]) {
    if (typeof issue?.check_name !== 'string') return unparsed('ansible-lint', 'a codeclimate entry without check_name');
    const begin = issue.location?.lines?.begin;
    const line = typeof begin === 'number' ? begin : ((begin as { line?: unknown } | undefined)?.line ?? issue.location?.positions?.begin?.line);
    const location = fileLine(asString(issue.location?.path), asLine(line));
    findings.push({
      rule: issue.check_name,
      // ansible-lint writes `level` for each issue; without it, every issue counted against the run.
      severity: issue.level === 'warning' ? 'warning' : 'error',
      message: asString(issue.description) ?? '',
      ...(location ? { location } : {}),
    });
  }
  return summarise(findings, []);
}

interface SarifResult {
  ruleId?: unknown;
  level?: unknown;
  message?: { text?: unknown };
  locations?: { physicalLocation?: { artifactLocation?: { uri?: unknown }; region?: { startLine?: unknown } } }[];
}

function fromSarif(runs: unknown[]): TestSummary {
  const findings: Finding[] = [];
  for (const run of runs as { results?: unknown }[]) {
    if (!Array.isArray(run?.results)) return unparsed('ansible-lint', 'a SARIF run without results');
    for (const result of run.results as SarifResult[]) {
      if (typeof result?.ruleId !== 'string') return unparsed('ansible-lint', 'a SARIF result without ruleId');
      const physical = result.locations?.[0]?.physicalLocation;
      const location = fileLine(asString(physical?.artifactLocation?.uri), asLine(physical?.region?.startLine));
      findings.push({
        rule: result.ruleId,
        // SARIF's default level is "warning", but ansible-lint always writes it; "error" is what fails.
        severity: result.level === 'error' || result.level === undefined ? 'error' : String(result.level),
        message: asString(result.message?.text) ?? '',
        ...(location ? { location } : {}),
      });
    }
  }
  return summarise(findings, []);
}

function parseText(input: string): TestSummary {
  if (endsMidLine(input)) return unparsed('ansible-lint', 'the output ends in the middle of a line (truncated?)');
  const lines = splitLines(input);
  const findings: Finding[] = [];
  const warningRules = new Set<string>();
  let result: { failures: number; warnings: number } | undefined;
  let inTable = false;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (TABLE_HEADER.test(line)) {
      inTable = true;
      continue;
    }
    if (inTable) {
      const row = TABLE_ROW.exec(line);
      if (row) {
        if (WARNING_MARK.test(row[3] ?? '')) warningRules.add(row[2] ?? '');
        continue;
      }
      inTable = false;
    }
    const done = RESULT.exec(line);
    if (done) {
      result = { failures: Number(done[1]), warnings: Number(done[2]) };
      continue;
    }
    const parseable = PARSEABLE.exec(line);
    if (parseable) {
      findings.push(violation(parseable[3] ?? '', parseable[4] ?? '', fileLine(parseable[1], parseable[2])));
      continue;
    }
    const rule = PRETTY_RULE.exec(line);
    const where = rule ? PRETTY_LOCATION.exec(lines[i + 1] ?? '') : null;
    if (rule && where) {
      findings.push(violation(rule[1] ?? '', rule[2] ?? '', fileLine(where[1] ?? where[3], where[2])));
      i++;
    }
  }

  for (const finding of findings) if (warningRules.has(finding.rule)) finding.severity = 'warning';
  if (findings.length === 0 && result === undefined) {
    const first = firstNonBlankLine(input);
    if (first !== undefined) return unparsed('ansible-lint', `no violations or result line; it says ${quote(first)}`);
    return summarise([], ['ansible-lint printed no violations']);
  }
  if (result && result.failures + result.warnings !== findings.length) {
    return unparsed(
      'ansible-lint',
      `ansible-lint counts ${result.failures} failure(s) and ${result.warnings} warning(s), but the output lists ${findings.length} violation(s)`,
    );
  }
  return summarise(findings, []);
}

function violation(rule: string, message: string, location: string | undefined): Finding {
  const warning = WARNING_MARK.test(message);
  return {
    rule,
    severity: warning ? 'warning' : 'error',
    message: message.replace(WARNING_MARK, '').trim(),
    ...(location ? { location } : {}),
  };
}

function summarise(findings: Finding[], notes: string[]): TestSummary {
  return summariseFindings(findings, { format: 'ansible-lint', severityOrder: SEVERITIES, fails: (f) => f.severity === 'error', notes });
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asLine(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}
