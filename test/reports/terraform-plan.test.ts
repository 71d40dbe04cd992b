import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../src/reports/index.js';
import type { PlanDetails } from '../../src/reports/terraform-plan.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url), 'utf8');
const details = (text: string) => parseReport('terraform-plan', text).details as PlanDetails;

/**
 * Real terraform 1.x output: a create, a replacement and a destroy of terraform_data resources. The
 * JSON fixture leaves out `configuration` (not read; its `provider_config_key` reads as a secret to
 * the redactor, and fixtures must pass it unchanged).
 */
describe('terraform-plan report', () => {
  it('reads `terraform plan` text: counts as terraform says them, resources by name, destroys included', () => {
    const summary = parseReport('terraform-plan', fixture('terraform-plan.stdout'));
    expect(summary.verdict).toBe('passed');
    const d = summary.details as PlanDetails;
    expect([d.add, d.change, d.destroy]).toEqual([2, 0, 2]);
    expect(d.resources).toEqual([
      { address: 'terraform_data.cache', action: 'create' },
      { address: 'terraform_data.db', action: 'replace' },
      { address: 'terraform_data.web', action: 'delete' },
    ]);
    expect(d.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads `terraform show -json`: the same counts and resources', () => {
    const d = details(fixture('terraform-plan.json'));
    expect([d.add, d.change, d.destroy]).toEqual([2, 0, 2]);
    expect(d.resources.map((r) => `${r.action} ${r.address}`)).toEqual(['create terraform_data.cache', 'replace terraform_data.db', 'delete terraform_data.web']);
  });

  it('the digest ignores what varies between identical plans (refresh lines, timestamps) and changes with the plan', () => {
    const text = fixture('terraform-plan.stdout');
    const refreshedElsewhere = text.replace(/\[id=[^\]]+\]/g, '[id=other]');
    expect(details(refreshedElsewhere).digest).toBe(details(text).digest);
    expect(details(text.replace('input  = "x"', 'input  = "y"')).digest).not.toBe(details(text).digest);
    const json = JSON.parse(fixture('terraform-plan.json')) as Record<string, unknown>;
    expect(details(JSON.stringify({ ...json, timestamp: '2030-01-01T00:00:00Z' })).digest).toBe(details(fixture('terraform-plan.json')).digest);
  });

  it('a plan that did not finish is unparsed, never guessed', () => {
    expect(parseReport('terraform-plan', 'Error: Invalid reference\n').verdict).toBe('unparsed');
    expect(parseReport('terraform-plan', '{"nope": 1}').verdict).toBe('unparsed');
  });

  it('no changes is a plan too', () => {
    const d = details('No changes. Your infrastructure matches the configuration.\n');
    expect([d.add, d.change, d.destroy, d.resources.length]).toEqual([0, 0, 0, 0]);
  });
});
