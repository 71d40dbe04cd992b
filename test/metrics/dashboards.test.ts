import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry, startProcessMetrics } from '../../src/metrics/metrics.js';

/** Every metric name a PromQL expression uses (apollo_*, process_*, nodejs_*), histogram suffixes removed. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:apollo|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''));
}

describe('the example dashboard and alerts', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    startProcessMetrics('test');
    exported = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  });

  it('the Grafana dashboard names only metrics the bot exports', () => {
    const dashboard = JSON.parse(readFileSync('docs/grafana/apollo-dashboard.json', 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr)));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
  });

  it('the alerts name only exported metrics, and cover failed deploys and stuck queues', () => {
    const rules = (parse(readFileSync('docs/prometheus/alerts.yml', 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['ApolloDeployFailed', 'ApolloQueueStuck']));
    expect(rules.flatMap((r) => metricNames(r.expr)).filter((n) => !exported.has(n))).toEqual([]);
  });
});
