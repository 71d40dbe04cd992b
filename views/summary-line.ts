import type { FindingCount, FindingsDetails, TestSummary } from '../src/reports/summary.js';
import { escapeMrkdwn } from './limits.js';

/** One line that says what a report found: `46/54 passed, 8 failed`, `23 WARN lines ≤ 52 ✅`. */
export function summaryLine(summary: TestSummary): string {
  if (summary.verdict === 'unparsed') return `report unparsed: ${escapeMrkdwn(summary.reason ?? 'no reason given')}`;
  const extra = summary.extra ?? {};
  if (summary.format === 'docker-bench') {
    const checks = Number(extra.warnChecks ?? summary.failed);
    const threshold = extra.warnThreshold;
    // A JSON log has no output lines: its gate counts WARN checks (the parser says which in `gate`).
    const byChecks = extra.gate === 'warn-checks' || extra.warnLines === undefined;
    const counted = byChecks ? `${checks} WARN checks` : `${Number(extra.warnLines)} WARN lines`;
    if (threshold === undefined || threshold === '') return byChecks ? `${counted} (no threshold)` : `${counted} / ${checks} WARN checks (no threshold)`;
    const ok = summary.verdict === 'passed';
    const gate = `${counted} ${ok ? '≤' : '>'} ${String(threshold)} ${ok ? '✅' : '❌'}`;
    return byChecks ? `${gate} (gate uses WARN checks)` : `${gate} (${checks} WARN checks; gate uses WARN lines)`;
  }
  if (summary.format === 'terraform') return terraformLine(summary);
  if (summary.details?.format === 'terraform-plan') return `plan: ${planCounts(summary.details)}`;
  if (summary.details?.format === 'ansible-lint') return ansibleLintLine(summary.details);
  if (summary.format === 'lines') return `lines: ${summary.passed} passed, ${summary.failed} failed`;
  if (summary.details?.format === 'packer') return summary.details.findings === 0 ? 'packer: valid' : `packer: ${plural(summary.details.findings, 'error')}`;
  if (summary.details?.format === 'shellcheck') return summary.details.findings === 0 ? 'shellcheck: no findings' : `shellcheck: ${severities(summary.details.bySeverity)}`;
  const parts = [`${summary.passed}/${summary.total} passed`];
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.errors > 0) parts.push(`${summary.errors} errors`);
  if (summary.skipped > 0) parts.push(`${summary.skipped} skipped`);
  return parts.join(', ');
}

/** `+3 ~1 −0`: to add, to change, to destroy, as terraform counts them. */
export function planCounts(plan: { add: number; change: number; destroy: number }): string {
  return `+${plan.add} ~${plan.change} −${plan.destroy}`;
}

function terraformLine(summary: TestSummary): string {
  const details = summary.details?.format === 'terraform' ? summary.details : undefined;
  if (details?.kind === 'outputs') {
    const shown = details.outputs.map(({ name, value }) => `${escapeMrkdwn(name)}=${escapeMrkdwn(String(value))}`);
    return `${details.count} outputs${shown.length ? `: ${shown.join(', ')}` : ''}`;
  }
  if (summary.verdict === 'failed') {
    const first = summary.failures[0];
    return `terraform failed${first ? `: ${escapeMrkdwn(first.name)}${first.location ? ` (${escapeMrkdwn(first.location)})` : ''}` : ''}`;
  }
  const changes = details?.changes;
  if (!changes) return 'no resource changes reported';
  return [`${changes.added} added`, `${changes.changed} changed`, `${changes.destroyed} destroyed`].join(', ');
}

/** Rules named on a card line: the most frequent, as many as fit a glance. */
const RULES_SHOWN = 3;

/** `ansible-lint: 12 violations (yaml[truthy] 7, no-changed-when 3, …); 11 errors, 1 warning`. */
function ansibleLintLine(details: FindingsDetails): string {
  if (details.findings === 0) return 'ansible-lint: no violations';
  const rules = details.byRule.slice(0, RULES_SHOWN).map(({ name, count }) => `${escapeMrkdwn(name)} ${count}`);
  if (details.byRule.length > RULES_SHOWN) rules.push('…');
  const line = `ansible-lint: ${plural(details.findings, 'violation')} (${rules.join(', ')})`;
  // Warnings do not fail ansible-lint: say how many there are when they are not all one kind.
  const warnings = countOf(details.bySeverity, 'warning');
  return warnings > 0 ? `${line}; ${severities(details.bySeverity)}` : line;
}

function severities(counts: FindingCount[]): string {
  return counts.map(({ name, count }) => (name === 'info' || name === 'style' ? `${count} ${escapeMrkdwn(name)}` : plural(count, escapeMrkdwn(name)))).join(', ');
}

function countOf(counts: FindingCount[], name: string): number {
  return counts.find((entry) => entry.name === name)?.count ?? 0;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
