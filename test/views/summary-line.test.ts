import { readFileSync } from 'node:fs';
import type { SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../src/reports/index.js';
import { summaryLine } from '../../views/summary-line.js';
import { renderFailuresThread, MAX_FAILURES_PER_SUITE } from '../../views/failures-thread.js';
import { limitViolations } from '../../views/limits.js';
import type { TestSummary } from '../../src/reports/summary.js';

const fixture = (name: string) => readFileSync(`test/fixtures/reports/${name}`, 'utf8');

describe('summary lines', () => {
  it('says serverspec counts as the brief shows them', () => {
    expect(summaryLine(parseReport('rspec-json', fixture('serverspec-rspec.json')))).toBe('6/8 passed, 2 failed');
  });

  it('shows both docker-bench numbers and which one the gate used', () => {
    const log = fixture('docker-bench-head-stubbed-docker.out');
    expect(summaryLine(parseReport('docker-bench', log, { warnThreshold: 52 }))).toBe('35 WARN lines ≤ 52 ✅ (19 WARN checks; gate uses WARN lines)');
    expect(summaryLine(parseReport('docker-bench', log, { warnThreshold: 10 }))).toBe('35 WARN lines > 10 ❌ (19 WARN checks; gate uses WARN lines)');
    expect(summaryLine(parseReport('docker-bench', log))).toBe('35 WARN lines / 19 WARN checks (no threshold)');
  });

  it('says what terraform did, and why it failed', () => {
    expect(summaryLine(parseReport('terraform', fixture('terraform-apply.out')))).toBe('1 added, 0 changed, 0 destroyed');
    expect(summaryLine(parseReport('terraform', fixture('terraform-destroy.out')))).toBe('0 added, 0 changed, 1 destroyed');
    expect(summaryLine(parseReport('terraform', fixture('terraform-apply-fail.stdout') + fixture('terraform-apply-fail.stderr')))).toMatch(/^terraform failed: .+ \(main\.tf:5\)$/);
  });

  it('says why a report could not be read', () => {
    expect(summaryLine(parseReport('tap', 'not tap at all\n'))).toMatch(/^report unparsed: /);
  });
});

describe('failures thread', () => {
  it('lists the first failures of each failing suite with name, location and message', () => {
    const summary = parseReport('rspec-json', fixture('serverspec-rspec.json'));
    const message = renderFailuresThread({ name: 'aws', steps: [{ name: 'serverspec', status: 'failed', summary }] }, 'aws')!;
    const text = (message.blocks[0] as SectionBlock).text!.text;
    expect(text).toContain('*aws · serverspec*: 6/8 passed, 2 failed');
    expect(text.match(/^• /gm)).toHaveLength(2);
    expect(text).toContain('base_spec.rb:23');
    expect(renderFailuresThread({ name: 'aws', steps: [{ name: 'serverspec', status: 'passed', summary }] }, 'aws')).toBeUndefined();
  });

  it('caps the list and stays within limits', () => {
    const failures = Array.from({ length: 500 }, (_, i) => ({ name: `check ${i} ${'n'.repeat(400)}`, message: 'm'.repeat(5000), location: 'l'.repeat(500) }));
    const summary: TestSummary = { format: 'junit', verdict: 'failed', passed: 0, failed: 500, skipped: 0, errors: 0, total: 500, failures, notes: [] };
    const steps = Array.from({ length: 80 }, (_, i) => ({ name: `suite ${i}`, status: 'failed' as const, summary }));
    const message = renderFailuresThread({ name: 'aws', steps }, 'aws')!;
    expect(limitViolations(message.blocks)).toEqual([]);
    const first = (message.blocks[0] as SectionBlock).text!.text;
    expect(first.match(/^• /gm)!.length).toBeLessThanOrEqual(MAX_FAILURES_PER_SUITE);
  });
});
