import { createHash } from 'node:crypto';
import { unparsed, type TestSummary } from './summary.js';

/** What one resource of a plan does. */
export type PlanAction = 'create' | 'update' | 'delete' | 'replace';

export interface PlannedResource {
  address: string;
  action: PlanAction;
}

/**
 * What a `terraform plan` would change, as counted by terraform (`+3 ~1 −0`), the resources by
 * name (at most MAX_PLANNED_RESOURCES kept), and a digest of the plan: the approval is bound to it,
 * and the re-plan before the apply must have the same.
 */
export interface PlanDetails {
  format: 'terraform-plan';
  add: number;
  change: number;
  destroy: number;
  resources: PlannedResource[];
  /** How many resources the plan has in all (`resources` may be capped). */
  resourceCount: number;
  /** sha256 of the plan's changes (never of anything that varies between identical plans). */
  digest: string;
}

export const MAX_PLANNED_RESOURCES = 50;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function summary(details: Omit<PlanDetails, 'format' | 'resources'> & { resources: PlannedResource[] }): TestSummary {
  return {
    format: 'terraform-plan',
    verdict: 'passed',
    passed: 0,
    failed: 0,
    skipped: 0,
    errors: 0,
    total: 0,
    failures: [],
    notes: [],
    details: { format: 'terraform-plan', ...details, resources: details.resources.slice(0, MAX_PLANNED_RESOURCES) },
  };
}

function actionOf(actions: string[]): PlanAction | undefined {
  const has = (a: string) => actions.includes(a);
  if (has('create') && has('delete')) return 'replace';
  if (has('create')) return 'create';
  if (has('delete')) return 'delete';
  if (has('update')) return 'update';
  return undefined; // no-op, read
}

interface JsonChange {
  address?: unknown;
  change?: { actions?: unknown; before?: unknown; after?: unknown; after_unknown?: unknown };
}

/** `terraform show -json tfplan`: its resource_changes, in full for the digest. */
function parsePlanJson(input: string): TestSummary {
  let plan: { resource_changes?: JsonChange[]; errored?: boolean; format_version?: unknown };
  try {
    plan = JSON.parse(input) as typeof plan;
  } catch {
    return unparsed('terraform-plan', 'not JSON from `terraform show -json`');
  }
  if (typeof plan !== 'object' || plan === null || plan.format_version === undefined) return unparsed('terraform-plan', 'not a plan from `terraform show -json`');
  if (plan.errored === true) return { ...unparsed('terraform-plan', 'terraform says the plan errored'), verdict: 'failed' };
  const changes = (plan.resource_changes ?? [])
    .map((c) => ({ address: String(c.address), actions: Array.isArray(c.change?.actions) ? (c.change.actions as string[]) : [], before: c.change?.before ?? null, after: c.change?.after ?? null, afterUnknown: c.change?.after_unknown ?? null }))
    .filter((c) => actionOf(c.actions) !== undefined)
    .sort((a, b) => a.address.localeCompare(b.address));
  const resources = changes.map((c) => ({ address: c.address, action: actionOf(c.actions)! }));
  const count = (...actions: PlanAction[]) => resources.filter((r) => actions.includes(r.action)).length;
  return summary({ add: count('create', 'replace'), change: count('update'), destroy: count('delete', 'replace'), resources, resourceCount: resources.length, digest: sha256(JSON.stringify(changes)) });
}

const HEADER = /^\s*# (\S+) (?:will be (created|updated in-place|destroyed|read during apply)|must be (replaced))/;
const TOTALS = /^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./m;
const NO_CHANGES = /^No changes\. /m;

/** `terraform plan` as it prints (with -no-color, or colours that terminalText took away). */
function parsePlanText(input: string): TestSummary {
  if (NO_CHANGES.test(input)) return summary({ add: 0, change: 0, destroy: 0, resources: [], resourceCount: 0, digest: sha256('no changes') });
  const totals = TOTALS.exec(input);
  if (!totals) return unparsed('terraform-plan', 'no "Plan: N to add, N to change, N to destroy." line: not a finished terraform plan');
  const start = input.indexOf('Terraform will perform the following actions:');
  const body = input.slice(start < 0 ? 0 : start, totals.index + totals[0].length);
  const resources: PlannedResource[] = [];
  for (const line of body.split('\n')) {
    const m = HEADER.exec(line);
    if (!m) continue;
    const word = m[2] ?? m[3];
    const action: PlanAction | undefined = word === 'created' ? 'create' : word === 'updated in-place' ? 'update' : word === 'destroyed' ? 'delete' : word === 'replaced' ? 'replace' : undefined;
    if (action) resources.push({ address: m[1]!, action });
  }
  return summary({ add: Number(totals[1]), change: Number(totals[2]), destroy: Number(totals[3]), resources, resourceCount: resources.length, digest: sha256(body.trim()) });
}

/**
 * A terraform plan: `terraform show -json <planfile>` (preferred: every value goes into the digest)
 * or `terraform plan`'s own text. Refreshing lines and timestamps stay out of the digest, so two
 * plans of the same changes have the same one.
 */
export function parseTerraformPlan(input: string): TestSummary {
  const trimmed = input.trim();
  return trimmed.startsWith('{') ? parsePlanJson(trimmed) : parsePlanText(input);
}
