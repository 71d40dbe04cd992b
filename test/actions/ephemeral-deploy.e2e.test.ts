import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/deploy-card.js';
import { limitViolations } from '../../views/limits.js';
import type { KnownBlock } from '@slack/types';
import { ask, buttons, cardWhere } from '../helpers/deploy-steps.js';
import { eventually } from '../helpers/worker-process.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';

const TERRAFORM = await import('execa').then(({ execa }) => execa('terraform', ['version'], { reject: false }).then((r) => r.exitCode === 0, () => false));

/**
 * Two resources: `cluster` (a marker file, removed by its destroy-time provisioner) and `app`,
 * created after it, whose provisioner can fail (`fail`) or hold the apply (`hold` seconds).
 * State stays in the checkout (terraform's default): only a teardown in the same workspace finds it.
 */
const MAIN_TF = `
variable "marker_dir" {
  type = string
}
variable "fail" {
  type    = bool
  default = false
}
variable "hold" {
  type    = number
  default = 0
}
resource "terraform_data" "cluster" {
  input = var.marker_dir
  provisioner "local-exec" {
    command = "touch \${self.input}/cluster"
  }
  provisioner "local-exec" {
    when    = destroy
    command = "rm -f \${self.input}/cluster"
  }
}
resource "terraform_data" "app" {
  depends_on = [terraform_data.cluster]
  input      = var.marker_dir
  provisioner "local-exec" {
    command = "touch \${self.input}/app-started; sleep \${var.hold}; test \${var.fail} = false"
  }
}
`;

describe.skipIf(!TERRAFORM)('ephemeral deploys with real terraform (skipped: terraform is not on the PATH)', () => {
  let h: Harness;
  let sha: string;
  const markers: Record<string, string> = {};

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'apollo-ephemeral-'));
    chmodSync(root, 0o777);
    const cliConfig = join(root, 'empty.tfrc');
    writeFileSync(cliConfig, '');
    for (const cloud of ['ok', 'broken', 'slow']) {
      markers[cloud] = join(root, cloud);
      mkdirSync(markers[cloud]);
      chmodSync(markers[cloud], 0o777); // terraform runs as the sandbox's unprivileged user
    }
    const repo = await TestRepo.create({ 'infra/main.tf': MAIN_TF }, 'Infrastructure');
    sha = await repo.head();
    const env = (cloud: string, extra: Record<string, string> = {}) => ({ env: { TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', TF_VAR_marker_dir: markers[cloud]!, ...extra } });
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { approvers: [APPROVER] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { ok: env('ok'), broken: env('broken', { TF_VAR_fail: 'true' }), slow: env('slow', { TF_VAR_hold: '120' }) },
        deploy: {
          steps: [{ name: 'terraform apply', cwd: 'infra', run: 'terraform init -input=false -no-color >/dev/null && terraform apply -input=false -auto-approve -no-color', report: { format: 'terraform' } }],
          tests: [{ name: 'smoke', run: 'test -f "$TF_VAR_marker_dir/cluster" && echo "PASS cluster is up" || echo "FAIL cluster is down"', report: { format: 'lines', passPattern: '^PASS ', failPattern: '^FAIL ' } }],
        },
        destroy: { steps: [{ name: 'terraform destroy', cwd: 'infra', run: 'terraform destroy -input=false -auto-approve -no-color', report: { format: 'terraform' } }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('deploys, tests and tears down in the same workspace; nothing is left and nothing needs a Destroy', async () => {
    const { runId, ts } = await ask(h, `deploy ok ${sha} --ephemeral`, REQUESTER);
    const asked = await cardWhere(h, ts, (t) => t.includes('Waiting for an approver'), 'the approval card');
    expect(asked).toContain('🧹 ephemeral: each cloud is torn down after its tests');
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const final = await cardWhere(h, ts, (t) => /\*(passed|failed|cancelled)\*/.test(t), 'the finished card', 120_000);
    expect(final).toContain('✅ *ok* passed');
    expect(final).toContain('✅ deploy: passed');
    expect(final).toContain('✅ smoke: lines: 1 passed, 0 failed');
    expect(final).toContain('🧹 teardown: ✅ torn down · terraform destroy: 0 added, 0 changed, 2 destroyed');
    expect(final).toContain('🧹 teardown: ✅ torn down');
    expect(final).toContain('*passed*');
    expect(existsSync(join(markers.ok!, 'cluster'))).toBe(false);
    expect(existsSync(join(markers.ok!, 'app-started'))).toBe(true);
    const card = h.latestCard(ts)!;
    expect(buttons(card)).not.toContain('Destroy');
    expect(limitViolations(card.blocks as KnownBlock[])).toEqual([]);

    const status = await h.command('status', REQUESTER);
    const text = await h.replyTo(status.responseUrl);
    expect(text).toContain('*ok*: nothing deployed yet');
    expect(text).not.toContain('needs cleanup');
  }, 180_000);

  it('tears down after a failed apply, and the verdict is failed', async () => {
    const { runId, ts } = await ask(h, `deploy broken ${sha} --ephemeral`, REQUESTER);
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const final = await cardWhere(h, ts, (t) => /\*(passed|failed|cancelled)\*/.test(t), 'the finished card', 120_000);
    expect(final).toContain('❌ *broken* failed — terraform apply (exit code 1)');
    expect(final).toContain('❌ deploy: failed at terraform apply');
    expect(final).not.toContain('smoke:'); // no suite runs on a failed deploy
    expect(final).toContain('🧹 teardown: ✅ torn down');
    expect(final).toContain('*failed*');
    // The half-made environment is gone: the resource the apply did create was destroyed.
    expect(existsSync(join(markers.broken!, 'app-started'))).toBe(true);
    expect(existsSync(join(markers.broken!, 'cluster'))).toBe(false);
  }, 180_000);

  it('tears down after a cancel, while the apply was still running', async () => {
    const { runId, ts } = await ask(h, `deploy slow ${sha} --ephemeral`, REQUESTER);
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    await eventually(() => existsSync(join(markers.slow!, 'app-started')), 120_000, 'the apply to be holding').catch((err: unknown) => {
      throw new Error(`${String(err)}\n${blocksText(h.latestCard(ts) ?? {})}`);
    });
    const click = await h.click(ACTION.cancel, runId, REQUESTER, { ts });
    expect(await h.replyTo(click.responseUrl)).toMatch(/cancel/i);
    const final = await cardWhere(h, ts, (t) => t.includes('1/1 clouds done'), 'the finished card', 120_000);
    expect(final).toContain('*cancelled*');
    expect(final).toContain('🚫 *slow* cancelled');
    expect(final).toContain('🚫 deploy: cancelled at terraform apply');
    expect(final).toContain('🧹 teardown: ✅ torn down');
    expect(existsSync(join(markers.slow!, 'cluster'))).toBe(false);
    expect(buttons(h.latestCard(ts))).not.toContain('Destroy');
  }, 180_000);
});

describe('an ephemeral teardown that fails', () => {
  let h: Harness;
  let sha: string;
  let allow: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apollo-cleanup-'));
    chmodSync(dir, 0o777);
    allow = join(dir, 'allow-destroy');
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Something to deploy');
    sha = await repo.head();
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { approvers: [APPROVER] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: { env: { ALLOW: allow } }, gcp: { env: { ALLOW: allow } } },
        deploy: { steps: [{ name: 'apply', run: 'echo applied' }], ephemeral: true },
        destroy: { steps: [{ name: 'destroy', run: 'test -f "$ALLOW" || { echo "the API said no"; exit 3; }' }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('leaves the cloud marked "needs cleanup" in /apollo status, whose Destroy button cleans it up', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`, REQUESTER); // deploy.ephemeral: true is the default
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const final = await cardWhere(h, ts, (t) => /\*(passed|failed|cancelled)\*/.test(t), 'the finished card', 60_000);
    expect(final).toContain('✅ deploy: passed');
    expect(final).toContain('🧹 teardown: ❌ failed at destroy (exit code 3) · ⚠️ *needs cleanup*: click Destroy');
    expect(final).toContain('*failed*');
    expect(buttons(h.latestCard(ts))).toContain('Destroy');

    const status = await h.command('status', REQUESTER);
    await h.replyTo(status.responseUrl);
    const reply = h.replyBodies(status.responseUrl)[0]!;
    const text = blocksText(reply);
    expect(text).toContain(`⚠️ *aws*: *needs cleanup* — the teardown of run \`${runId}\``);
    expect(text).toContain('*gcp*: nothing deployed yet');
    expect(text).toContain('Destroy it from its card in <#C0APOLLO>');
    expect(buttons(reply)).toEqual([`Destroy aws (${runId})`]);
    // Asked in another channel, where the button could not act: the line points at the card instead.
    const elsewhere = await h.command('status', REQUESTER, 'C0ELSEWHERE');
    await h.replyTo(elsewhere.responseUrl);
    expect(blocksText(h.replyBodies(elsewhere.responseUrl)[0]!)).toContain('*needs cleanup*');
    expect(buttons(h.replyBodies(elsewhere.responseUrl)[0])).toEqual([]);
    expect(limitViolations(reply.blocks as KnownBlock[])).toEqual([]);

    // Someone who may not destroy is refused, and nothing runs.
    const refused = await h.click(ACTION.destroy, runId, REQUESTER, { ts: '9.9' });
    expect(await h.replyTo(refused.responseUrl)).toMatch(/not allowed|destroyers/i);

    writeFileSync(allow, '');
    // Clicked on the status message (not the card): the card follows the destroy.
    await h.destroy(runId, APPROVER, { ts: '9.9' });
    const destroyed = await cardWhere(h, ts, (t) => /\*(destroyed|destroy failed)\*/.test(t), 'the destroyed card', 60_000);
    expect(destroyed).toContain('*destroyed*');
    const after = await h.command('status', REQUESTER);
    const afterText = await h.replyTo(after.responseUrl);
    expect(afterText).not.toContain('needs cleanup');
    expect(afterText).toContain('*aws*: nothing deployed yet');
  }, 120_000);
});

describe('an ephemeral deploy stopped by a worker shutdown', () => {
  let h: Harness;
  let sha: string;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apollo-shutdown-'));
    chmodSync(dir, 0o777);
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Something slow to deploy');
    sha = await repo.head();
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { approvers: [APPROVER] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: { env: { DIR: dir } } },
        deploy: { steps: [{ name: 'apply', run: 'touch "$DIR/applying"; sleep 120' }], ephemeral: true },
        destroy: { steps: [{ name: 'destroy', run: 'touch "$DIR/torn-down"; echo torn down' }] },
        worker: { shutdownGrace: '1s' },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('still tears down: the deploy step is interrupted after the grace period, the teardown gets one of its own', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`, REQUESTER);
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    await eventually(() => existsSync(join(dir, 'applying')), 60_000, 'the apply to run');
    await h.worker!.close();
    const lane = (await h.services.runs.get(runId))!.lanes[0]!;
    expect(lane.steps.map((s) => [s.name, s.status])).toEqual([
      ['apply', 'interrupted'],
      ['destroy', 'passed'],
    ]);
    expect(existsSync(join(dir, 'torn-down'))).toBe(true);
    expect(await h.services.cloudState.current('aws')).toBeUndefined();
    await h.restartWorker();
  }, 120_000);
});
