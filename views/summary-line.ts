import type { TestSummary } from '../src/reports/summary.js';
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
  const parts = [`${summary.passed}/${summary.total} passed`];
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.errors > 0) parts.push(`${summary.errors} errors`);
  if (summary.skipped > 0) parts.push(`${summary.skipped} skipped`);
  return parts.join(', ');
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
