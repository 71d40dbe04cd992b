import type { FindingCount, FindingsDetails, TestFailure, TestSummary } from './summary.js';

/**
 * Linters and validators report findings, not tests: each has a rule and a severity, and the tool
 * decides which severities fail it. This turns a list of them into the summary every report has.
 */

/** Findings a summary keeps as failures: the card and thread show the first few, the log has all. */
export const FIRST_FINDINGS = 10;

export interface Finding {
  rule: string;
  severity: string;
  message: string;
  /** file:line, when the tool gives one. */
  location?: string;
}

export interface FindingsOptions {
  format: FindingsDetails['format'];
  /** Severities as the tool names them, most severe first; others follow in the order met. */
  severityOrder: readonly string[];
  /** Whether a finding makes the tool fail (ansible-lint's warnings do not). */
  fails: (finding: Finding) => boolean;
  notes?: string[];
}

export function summariseFindings(findings: readonly Finding[], options: FindingsOptions): TestSummary {
  const failing = findings.filter(options.fails);
  const notes = [...(options.notes ?? [])];
  if (findings.length > FIRST_FINDINGS) notes.push(`showing the first ${FIRST_FINDINGS} of ${findings.length} findings`);
  const details: FindingsDetails = {
    format: options.format,
    findings: findings.length,
    bySeverity: orderSeverities(tally(findings.map((f) => f.severity)), options.severityOrder),
    // Most frequent first; ties keep the order the tool printed them in.
    byRule: tally(findings.map((f) => f.rule)).sort((a, b) => b.count - a.count),
  };
  return {
    format: options.format,
    verdict: failing.length > 0 ? 'failed' : 'passed',
    passed: 0,
    failed: failing.length,
    skipped: 0,
    errors: 0,
    total: findings.length,
    failures: findings.slice(0, FIRST_FINDINGS).map(toFailure),
    notes,
    details,
  };
}

function toFailure(finding: Finding): TestFailure {
  return {
    name: finding.rule,
    ...(finding.message !== '' ? { message: finding.message } : {}),
    ...(finding.location !== undefined ? { location: finding.location } : {}),
  };
}

function tally(names: readonly string[]): FindingCount[] {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => ({ name, count }));
}

function orderSeverities(counts: FindingCount[], order: readonly string[]): FindingCount[] {
  const rank = (name: string) => {
    const at = order.indexOf(name);
    return at < 0 ? order.length : at;
  };
  return counts.sort((a, b) => rank(a.name) - rank(b.name));
}

/** `file:line`, or the file alone when the tool gave no line. */
export function fileLine(file: string | undefined, line: number | string | undefined): string | undefined {
  if (file === undefined || file === '') return undefined;
  return line === undefined || line === '' ? file : `${file}:${line}`;
}
