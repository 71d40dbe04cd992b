import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { limitViolations } from '../../views/limits.js';
import { ask, buttons, cardWhere } from '../helpers/deploy-steps.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';

/**
 * `cluster` and `app` (marker files made by their provisioners), and `config`, whose input is read
 * from a file outside the repository: changing that file between the plan and the apply makes the
 * re-plan differ, as a change made behind the bot's back would. State lives outside the checkout.
 */
const MAIN_TF = `
terraform {
  backend "local" {}
}
variable "marker_dir" {
  type = string
}
resource "terraform_data" "cluster" {
  input = var.marker_dir
  provisioner "local-exec" {
    command = "touch \${self.input}/cluster"
  }
}
resource "terraform_data" "app" {
  depends_on = [terraform_data.cluster]
  input      = var.marker_dir
  provisioner "local-exec" {
    command = "touch \${self.input}/app"
  }
}
resource "terraform_data" "config" {
  input = trimspace(file("\${var.marker_dir}/size"))
}
`;

const PLAN = 'terraform init -input=false -no-color -backend-config=path="$TF_STATE" >/dev/null && terraform plan -input=false -no-color -out=tfplan && terraform show -json tfplan > plan.json';

/** deploy.plan with real terraform: the card shows the plan, the approval is bound to it, the apply applies it. */
describe('plan, approve, apply that plan (real terraform)', () => {
  let h: Harness;
  let sha: string;
  let markers: string;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'apollo-plan-'));
    chmodSync(root, 0o777); // terraform runs as the sandbox's unprivileged user
    const cliConfig = join(root, 'empty.tfrc');
    writeFileSync(cliConfig, '');
    markers = join(root, 'prod');
    mkdirSync(markers);
    chmodSync(markers, 0o777);
    writeFileSync(join(markers, 'size'), '1\n');
    const repo = await TestRepo.create({ 'infra/main.tf': MAIN_TF }, 'Infrastructure');
    sha = await repo.head();
    const env = (extra: Record<string, string>) => ({ env: { TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', ...extra } });
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { approvers: [APPROVER] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        // `broken` has no marker_dir: its plan fails.
        clouds: { prod: env({ TF_VAR_marker_dir: markers, TF_STATE: join(root, 'prod.tfstate') }), broken: env({ TF_STATE: join(root, 'broken.tfstate') }) },
        deploy: {
          plan: [{ name: 'terraform plan', cwd: 'infra', run: PLAN, report: { format: 'terraform-plan', path: 'plan.json' } }],
          steps: [{ name: 'terraform apply', cwd: 'infra', run: 'terraform apply -input=false -no-color tfplan', report: { format: 'terraform' } }],
        },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('plans before asking, shows +3 with the resources named, and on approval applies exactly that plan', async () => {
    const { runId, ts } = await ask(h, `deploy prod ${sha}`, REQUESTER);
    const planned = await cardWhere(h, ts, (t) => t.includes('📋 *prod*'), 'the plan on the card', 120_000);
    expect(planned).toContain('`+3 ~0 −0`');
    expect(planned).toContain('+ `terraform_data.cluster`');
    expect(planned).toContain('Waiting for an approver');
    expect(buttons(h.latestCard(ts))).toEqual(['Approve', 'Reject', 'Plan logs: prod']);
    expect(limitViolations(h.latestCard(ts)!.blocks as KnownBlock[])).toEqual([]);
    expect(existsSync(join(markers, 'cluster'))).toBe(false); // a plan changes nothing

    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const done = await cardWhere(h, ts, (t) => t.includes('*passed*') || t.includes('*failed*'), 'the deploy finished', 120_000);
    expect(done).toContain('*passed*');
    expect(done).toMatch(/📋 plans prod `[0-9a-f]{8}`/);
    expect(done).toContain('3 added, 0 changed, 0 destroyed');
    expect(existsSync(join(markers, 'app'))).toBe(true);
  });

  it('a re-plan that differs from the approved plan is refused with the reason, and nothing is applied', async () => {
    writeFileSync(join(markers, 'size'), '2\n');
    const { runId, ts } = await ask(h, `deploy prod ${sha}`, REQUESTER);
    const planned = await cardWhere(h, ts, (t) => t.includes('📋 *prod*'), 'the plan on the card', 120_000);
    expect(planned).toContain('`+0 ~1 −0`');
    // Changed behind the bot's back after the plan was shown.
    writeFileSync(join(markers, 'size'), '3\n');
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const done = await cardWhere(h, ts, (t) => t.includes('*failed*') || t.includes('*passed*'), 'the refused apply', 120_000);
    expect(done).toContain('the re-plan differs from the approved plan');
    const lane = (await h.services.runs.get(runId))!.lanes[0]!;
    expect(lane.steps.map((s) => `${s.name}:${s.status}`)).toEqual(['terraform plan:failed', 'terraform apply:skipped']);
  });

  it('a failed plan shows on the card, and approval is impossible', async () => {
    const { runId, ts } = await ask(h, `deploy broken ${sha}`, REQUESTER);
    const failed = await cardWhere(h, ts, (t) => t.includes('plan failed'), 'the failed plan', 120_000);
    expect(failed).toContain('❌ *broken*: plan failed — terraform plan');
    expect(buttons(h.latestCard(ts))).toEqual(['Reject', 'Plan logs: broken']);
    const click = await h.click(ACTION.approve, runId, APPROVER, { ts });
    expect(await h.replyTo(click.responseUrl)).toContain('The plan failed for *broken*: there is nothing to approve');
    expect((await h.services.runs.get(runId))?.decision).toBeUndefined();
  });
});
