import type { TestSummary } from '../src/reports/summary.js';
import { escapeMrkdwn } from './limits.js';

/** One line that says what a report found: `46/54 passed, 8 failed`, `23 WARN lines ≤ 52 ✅`. */
export function summaryLine(summary: TestSummary): string {
  if (summary.verdict === 'unparsed') return `report unparsed: ${escapeMrkdwn(summary.reason ?? 'no reason given')}`;
  const extra = summary.extra ?? {};
  if (summary.format === 'docker-bench') {
    const lines = Number(extra.warnLines ?? 0);
    const checks = Number(extra.warnChecks ?? summary.failed);
    const threshold = extra.warnThreshold;
    if (threshold === undefined || threshold === '') return `${lines} WARN lines / ${checks} WARN checks (no threshold)`;
    const ok = summary.verdict === 'passed';
    return `${lines} WARN lines ${ok ? '≤' : '>'} ${String(threshold)} ${ok ? '✅' : '❌'} (${checks} WARN checks; gate uses WARN lines)`;
  }
  if (summary.format === 'terraform') {
    const parts = [`${extra.added ?? 0} added`, `${extra.changed ?? 0} changed`, `${extra.destroyed ?? 0} destroyed`];
    return summary.verdict === 'failed' ? `terraform failed (${parts.join(', ')})` : parts.join(', ');
  }
  const parts = [`${summary.passed}/${summary.total} passed`];
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.errors > 0) parts.push(`${summary.errors} errors`);
  if (summary.skipped > 0) parts.push(`${summary.skipped} skipped`);
  return parts.join(', ');
}
