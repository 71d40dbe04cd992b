import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { stepReadableCopy } from '../helpers/step-readable.js';
import type { KnownBlock } from '@slack/types';
import { limitViolations } from '../../views/limits.js';
import { ACTION } from '../../views/deploy-card.js';
import { ask as askFor, buttons, cardWhere } from '../helpers/deploy-steps.js';

// Steps run as an unprivileged user: they read the fixtures from a copy they can enter.
const FIXTURES = stepReadableCopy('test/fixtures/reports');
const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const GROUP_MEMBER = 'U0GROUPIE';
const STRANGER = 'U0STRANGER';

function shellConfig(repo: string, target: string): ConfigInput {
  const env = { TARGET_DIR: target, FIXTURES };
  return {
    repository: repo,
    access: { deployers: ['*'], approvers: [APPROVER, 'S0OPS'], allowSelfApproval: false, approvalTtl: '1h' },
    build: { steps: [{ name: 'noop', run: 'true' }] },
    clouds: { aws: { env: { ...env, TF_VAR_region: 'eu-west-1' } }, digitalocean: { env: { ...env, TF_VAR_region: 'lon1' } } },
    deploy: {
      steps: [{ name: 'apply', cwd: 'infra/${cloud}', run: 'cat plan.txt; echo "region=$TF_VAR_region"; touch "$TARGET_DIR/$APOLLO_CLOUD.deployed"; sleep 0.2' }],
      tests: [
        { name: 'serverspec', run: 'mkdir -p reports && cp "$FIXTURES/$(cat serverspec-fixture.txt)" reports/serverspec.json', report: { format: 'rspec-json', path: 'reports/serverspec.json' } },
        { name: 'docker-bench', run: 'cat "$FIXTURES/docker-bench-2015-stubbed-docker.nocolor.out"', report: { format: 'docker-bench', warnThreshold: 52 } },
      ],
    },
    destroy: { steps: [{ name: 'destroy', run: 'rm -f "$TARGET_DIR/$APOLLO_CLOUD.deployed"; echo "destroyed $APOLLO_CLOUD"' }] },
  };
}

async function deployHarness(config: ConfigInput): Promise<Harness> {
  return Harness.start({ config, minIntervalMs: 200, fakeSlack: { usergroups: { S0OPS: [GROUP_MEMBER] } } });
}

/** Sends `/apollo deploy …` (as the requester, unless said otherwise). */
const ask = (h: Harness, text: string, user = REQUESTER) => askFor(h, text, user);

describe('deploy with approval (shell steps)', () => {
  let h: Harness;
  let repo: TestRepo;
  let sha: string;
  let failing: string;
  let target: string;

  beforeAll(async () => {
    target = mkdtempSync(join(tmpdir(), 'apollo-target-'));
    chmodSync(target, 0o777); // steps run as the sandbox's unprivileged user
    // The commit decides what serverspec reports: this one passes, `failing` has two failures.
    repo = await TestRepo.create({ 'infra/aws/plan.txt': 'plan aws\n', 'infra/digitalocean/plan.txt': 'plan do\n', 'serverspec-fixture.txt': 'serverspec-rspec-pass.json' }, 'Add marathon serverspec');
    sha = await repo.head();
    failing = await repo.commit({ 'serverspec-fixture.txt': 'serverspec-rspec.json' }, 'Break marathon');
    await repo.commit({ 'serverspec-fixture.txt': 'serverspec-rspec-pass.json' }, 'Fix marathon');
    h = await deployHarness(shellConfig(repo.path, target));
  });
  afterAll(async () => {
    await h?.close();
  });

  it('posts an approval card with who, clouds, commit and buttons', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha.slice(0, 7)}`);
    const body = h.latestCard(ts)!;
    const text = blocksText(body);
    expect(text).toContain(`<@${REQUESTER}> asks to deploy \`${sha.slice(0, 7)}\``);
    expect(text).toContain('*aws*');
    expect(text).toContain('Add marathon serverspec');
    expect(text).toContain('Ada Lovelace');
    expect(text).toContain('Waiting for an approver');
    expect(buttons(body)).toEqual(['Approve', 'Reject']);
    expect(limitViolations(body.blocks as KnownBlock[])).toEqual([]);
    // Leave nothing running for the next test.
    await h.click(ACTION.reject, runId, APPROVER, { ts });
    await cardWhere(h, ts, (t) => t.includes('Rejected by'), 'rejected');
  });

  it('refuses self-approval and non-approvers privately, changing nothing', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`, APPROVER);
    const self = await h.click(ACTION.approve, runId, APPROVER, { ts });
    expect(await h.replyTo(self.responseUrl)).toContain('cannot approve your own deploy');
    const stranger = await h.click(ACTION.approve, runId, STRANGER, { ts });
    expect(await h.replyTo(stranger.responseUrl)).toContain('Only approvers');
    const strangerReject = await h.click(ACTION.reject, runId, STRANGER, { ts });
    expect(await h.replyTo(strangerReject.responseUrl)).toContain('Only approvers');
    expect(buttons(h.latestCard(ts))).toEqual(['Approve', 'Reject']);
    expect((await h.services.runs.get(runId))!.decision).toBeUndefined();
    await h.click(ACTION.reject, runId, GROUP_MEMBER, { ts });
    await cardWhere(h, ts, (t) => t.includes('Rejected by'), 'rejected');
  });

  it('rejects: the card is stamped and nothing runs', async () => {
    const { runId, ts } = await ask(h, `deploy digitalocean ${sha}`);
    await h.click(ACTION.reject, runId, APPROVER, { ts });
    const text = await cardWhere(h, ts, (t) => t.includes('Rejected by'), 'the rejected stamp');
    expect(text).toMatch(new RegExp(`🚫 Rejected by <@${APPROVER}> at \\d\\d:\\d\\d UTC`));
    expect(buttons(h.latestCard(ts))).toEqual([]);
    const again = await h.click(ACTION.approve, runId, APPROVER, { ts });
    expect(await h.replyTo(again.responseUrl)).toContain('already rejected');
    expect(existsSync(join(target, 'digitalocean.deployed'))).toBe(false);
  });

  it('lets a usergroup member approve; five concurrent clicks start exactly one deploy', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`);
    const clicks = await Promise.all([GROUP_MEMBER, GROUP_MEMBER, APPROVER, GROUP_MEMBER, APPROVER].map((u) => h.click(ACTION.approve, runId, u, { ts })));
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    const final = await cardWhere(h, ts, (t) => t.includes('*passed*'), 'the passed deploy card');
    expect(final).toMatch(/✅ Approved by <@U0(GROUPIE|APPROVER)> at (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC/);
    expect(final).toContain('✅ *aws* passed');
    const run = (await h.services.runs.get(runId))!;
    expect(run.lanes[0]!.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'passed']);
    expect(final).toContain('serverspec: 6/6 passed');
    // Four of the five clicks were told it was already approved.
    const replies = await h.slack.waitFor(() => {
      const r = clicks.flatMap((c) => h.repliesTo(c.responseUrl));
      return r.length >= 4 ? r : undefined;
    }, 10_000, 'four refusals');
    expect(replies.filter((r) => r.includes('already approved'))).toHaveLength(4);
    const jobs = await h.services.deployFlow.cloudQueue.getJobCounts();
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('shows test summaries per cloud and fails the cloud when a suite fails', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${failing}`);
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const final = await cardWhere(h, ts, (t) => /\*(passed|failed)\*/.test(t), 'a final card');
    // serverspec-rspec.json holds 8 examples, 2 failing; the 2015 docker-bench log has 23 WARN lines.
    expect(final).toContain('serverspec: 6/8 passed, 2 failed');
    expect(final).toContain('docker-bench: 23 WARN lines ≤ 52 ✅');
    expect(final).toContain('❌ *aws* failed — serverspec (report shows failures)');
    expect(final).toContain('*failed*');
    // The first failures go into the card's thread, not the card.
    const thread = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => c.body.thread_ts === ts), 20_000, 'the failures reply');
    const threadText = blocksText(thread.body);
    expect(threadText).toContain('*aws · serverspec*: 6/8 passed, 2 failed');
    expect(threadText).toContain('base_spec.rb:23');
    expect(threadText).toContain('base_spec.rb:27');
  });

  it('deploys all clouds in parallel into one card, then Logs and Destroy', async () => {
    const { runId, ts } = await ask(h, `deploy all ${sha} --tests docker-bench`);
    expect(blocksText(h.latestCard(ts)!)).toContain('tests: docker-bench · skipped: serverspec');
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const final = await cardWhere(h, ts, (t) => t.includes('*passed*'), 'the passed card');
    expect(final).toContain('✅ *aws* passed');
    expect(final).toContain('✅ *digitalocean* passed');
    expect(final).toContain('⏭️ serverspec: skipped (not selected)');
    expect(existsSync(join(target, 'aws.deployed'))).toBe(true);
    expect(existsSync(join(target, 'digitalocean.deployed'))).toBe(true);
    const run = (await h.services.runs.get(runId))!;
    const [aws, dio] = run.lanes;
    // Parallel: each cloud started before the other finished.
    expect(aws!.startedAt!).toBeLessThan(dio!.finishedAt!);
    expect(dio!.startedAt!).toBeLessThan(aws!.finishedAt!);
    expect(buttons(h.latestCard(ts))).toEqual(['Destroy', 'Redeploy', 'Logs: aws', 'Logs: digitalocean']);
    for (const call of h.slack.calls.filter((c) => c.body.ts === ts)) expect(limitViolations(call.body.blocks as KnownBlock[])).toEqual([]);

    // Logs: the cloud's full log goes into the card's thread.
    await h.click(ACTION.logs, `${runId}|aws|run`, STRANGER, { ts });
    const complete = await h.slack.waitFor(() => h.slack.callsOf('files.completeUploadExternal').at(-1), 20_000, 'the log upload');
    expect(complete.body.thread_ts).toBe(ts);
    const uploaded = [...h.slack.uploads.values()].map((b) => b.toString('utf8')).find((t) => t.includes('plan aws'));
    expect(uploaded).toContain('region=eu-west-1');

    // Destroy: only destroyers, through the modal (the cloud names typed), once.
    const denied = await h.click(ACTION.destroy, runId, STRANGER, { ts });
    expect(await h.replyTo(denied.responseUrl)).toContain('Only destroyers');
    const wrong = await h.destroy(runId, APPROVER, { ts, typed: 'aws' });
    expect(wrong.answer).toContain('not the names of the clouds this destroys: type aws, digitalocean');
    expect((await h.services.runs.get(runId))?.destroy).toBeUndefined();
    const [first, second] = await Promise.all([h.destroy(runId, APPROVER, { ts }), h.destroy(runId, GROUP_MEMBER, { ts })]);
    expect([first.answer, second.answer].join(' ')).toContain('already started');
    const destroyed = await cardWhere(h, ts, (t) => t.includes('*destroyed*'), 'the destroyed card');
    expect(destroyed).toMatch(/🧨 Destroy requested by <@U0(APPROVER|GROUPIE)> at (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC: \*destroyed\*/);
    expect(existsSync(join(target, 'aws.deployed'))).toBe(false);
    expect(existsSync(join(target, 'digitalocean.deployed'))).toBe(false);
    expect(buttons(h.latestCard(ts))).not.toContain('Destroy');
    expect(await h.services.locks.state('aws')).toEqual({});
  });

  it('an old card’s Destroy never touches a newer deploy of the same cloud', async () => {
    const older = await ask(h, `deploy aws ${sha} --no-tests`);
    await h.click(ACTION.approve, older.runId, APPROVER, { ts: older.ts });
    await cardWhere(h, older.ts, (t) => t.includes('*passed*'), 'the older deploy');
    const newer = await ask(h, `deploy aws ${sha} --no-tests`);
    await h.click(ACTION.approve, newer.runId, APPROVER, { ts: newer.ts });
    await cardWhere(h, newer.ts, (t) => t.includes('*passed*'), 'the newer deploy');
    const stale = await h.click(ACTION.destroy, older.runId, APPROVER, { ts: older.ts });
    expect(await h.replyTo(stale.responseUrl)).toContain(`Nothing of ${older.runId} is left to destroy: *aws* (now run \`${newer.runId}\`)`);
    expect(existsSync(join(target, 'aws.deployed'))).toBe(true);
    await h.destroy(newer.runId, APPROVER, { ts: newer.ts });
    await cardWhere(h, newer.ts, (t) => t.includes('*destroyed*'), 'the newer deploy destroyed');
    expect(existsSync(join(target, 'aws.deployed'))).toBe(false);
  });

  it('says when a card expired and its buttons only say so', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`);
    await h.services.redis.pexpire(h.services.keys.deployRequest(runId), 1);
    await new Promise((r) => setTimeout(r, 50));
    const click = await h.click(ACTION.approve, runId, APPROVER, { ts });
    expect(await h.replyTo(click.responseUrl)).toMatch(/expired at (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC/);
    const text = await cardWhere(h, ts, (t) => t.includes('Expired at'), 'the expired card');
    expect(text).toContain('nothing was deployed');
    expect(buttons(h.latestCard(ts))).toEqual([]);
  });

  it('refuses a deploy to a cloud another run holds, naming who and since when', async () => {
    await h.services.locks.acquireRun('digitalocean', { runId: 'd999', owner: 'U0OTHER' });
    try {
      const res = await h.command(`deploy digitalocean ${sha}`);
      const reply = await h.replyTo(res.responseUrl);
      expect(reply).toMatch(/\*digitalocean\* is in use by run `d999` \(<@U0OTHER>\) since (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC/);
    } finally {
      await h.services.locks.releaseRun('digitalocean', 'd999');
    }
  });

  it('sticky locks block everyone but their owner, and show in /apollo locks', async () => {
    const lock = await h.command('lock aws load test until 5pm', 'U0OWNER');
    expect(await h.replyTo(lock.responseUrl)).toContain('*aws* is locked by you: load test until 5pm');
    const locks = await h.command('locks');
    expect(await h.replyTo(locks.responseUrl)).toMatch(/\*aws\* is locked by <@U0OWNER> since (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC: load test until 5pm/);
    const other = await h.command(`deploy aws ${sha}`, 'U0SOMEONE');
    expect(await h.replyTo(other.responseUrl)).toContain('*aws* is locked by <@U0OWNER>');
    const notMine = await h.command('unlock aws', 'U0SOMEONE');
    expect(await h.replyTo(notMine.responseUrl)).toContain('Only its owner or an approver');
    const { runId, ts } = await ask(h, `deploy aws ${sha} --no-tests`, 'U0OWNER');
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const final = await cardWhere(h, ts, (t) => t.includes('*passed*'), 'the owner’s deploy');
    expect(final).toContain('tests: none (--no-tests)');
    const unlock = await h.command('unlock aws', 'U0OWNER');
    expect(await h.replyTo(unlock.responseUrl)).toContain(':unlock: *aws* is unlocked');
  });

  it('lists runs and what each cloud runs in /apollo status', async () => {
    const pending = await ask(h, `deploy digitalocean ${sha}`);
    const res = await h.command('status');
    const reply = await h.replyTo(res.responseUrl);
    expect(reply).toContain(`\`${pending.runId}\` deploy to digitalocean of \`${sha.slice(0, 7)}\` by <@${REQUESTER}>: waiting for approval`);
    expect(reply).toMatch(new RegExp(`\\*aws\\*: \`${sha.slice(0, 7)}\` \\(${sha}\\) deployed by <@U0OWNER>`));
    // digitalocean's last deploy was destroyed: nothing of it is reported as running there.
    expect(reply).toContain('*digitalocean*: nothing deployed yet');
    await h.click(ACTION.reject, pending.runId, APPROVER, { ts: pending.ts });
  });

  it('keeps an audit trail shown by /apollo history', async () => {
    const all = await h.replyTo((await h.command('history')).responseUrl);
    expect(all).toContain('*History* (newest first)');
    for (const verb of ['asked to deploy', 'approved deploy', 'rejected deploy', 'destroyed', 'locked', 'unlocked', 'saw expire deploy request']) expect(all).toContain(verb);
    const aws = await h.replyTo((await h.command('history aws')).responseUrl);
    expect(aws).toMatch(/<@U0OWNER> unlocked \*aws\*/);
    expect(aws).toMatch(/<@U0OWNER> locked \*aws\* — load test until 5pm/);
    expect(aws).toContain('to *aws*, *digitalocean*'); // deploy all is about aws too
    expect(aws).not.toMatch(/to \*digitalocean\*(\n|$)/); // digitalocean-only entries are not
    const entries = await h.services.audit.latest(100);
    const approvals = entries.filter((e) => e.action === 'deploy.approved');
    // One entry per approved deploy, whatever the number of clicks.
    expect(new Set(approvals.map((e) => e.runId)).size).toBe(approvals.length);
    const bad = await h.command('history gcp');
    expect(JSON.parse(bad.body).text).toContain('Unknown cloud `gcp`');
  });

  it('answers unknown clouds and unknown test suites privately', async () => {
    const res = await h.command(`deploy gcp ${sha}`);
    const body = JSON.parse(res.body) as { text: string };
    expect(body.text).toContain('Unknown cloud: `gcp`');
    expect(body.text).toContain('Configured clouds: `aws`, `digitalocean`');
    const suites = await h.command(`deploy digitalocean ${sha} --tests serverspec,lynis`);
    const reply = await h.replyTo(suites.responseUrl);
    expect(reply).toContain('Unknown test suite: lynis.');
    expect(reply).toContain('Configured suites: serverspec, docker-bench.');
  });

  it('Redeploy asks again for the same commit and clouds, requested by whoever clicked', async () => {
    const first = await ask(h, `deploy digitalocean ${sha} --no-tests`);
    await h.click(ACTION.approve, first.runId, APPROVER, { ts: first.ts });
    await cardWhere(h, first.ts, (t) => t.includes('*passed*'), 'the first deploy');
    const before = h.slack.callsOf('chat.postMessage').length;
    const click = await h.click(ACTION.redeploy, first.runId, 'U0AGAIN', { ts: first.ts });
    expect(await h.replyTo(click.responseUrl)).toMatch(/New deploy request `d\d+` posted; it needs an approval/);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).startsWith('Deploy request')), 20_000, 'the new approval card');
    const text = blocksText(card.body);
    expect(text).toContain(`<@U0AGAIN> asks to deploy \`${sha.slice(0, 7)}\``);
    expect(text).toContain('*digitalocean*');
    expect(text).toContain('tests: none (--no-tests)');
    expect(buttons(card.body)).toEqual(['Approve', 'Reject']);
  });
});

const TERRAFORM = await import('execa').then(({ execa }) => execa('terraform', ['version'], { reject: false }).then((r) => r.exitCode === 0, () => false));

describe.skipIf(!TERRAFORM)('deploy all and destroy with real terraform (skipped: terraform is not on the PATH)', () => {
  let h: Harness;
  let sha: string;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'apollo-tfstate-'));
    chmodSync(stateDir, 0o777); // terraform runs as the sandbox's unprivileged user: its state dir must be writable to it
    const cliConfig = join(stateDir, 'empty.tfrc');
    writeFileSync(cliConfig, '');
    const main = (cloud: string) => `terraform {\n  backend "local" {}\n}\nvariable "region" {\n  type = string\n}\nresource "terraform_data" "cluster" {\n  input = "${cloud}-\${var.region}"\n  provisioner "local-exec" {\n    command = "echo provisioning \${self.input}"\n  }\n}\noutput "cluster" {\n  value = terraform_data.cluster.output\n}\n`;
    const repo = await TestRepo.create({ 'terraform/aws/main.tf': main('aws'), 'terraform/digitalocean/main.tf': main('do') }, 'Terraform for both clouds');
    sha = await repo.head();
    const env = { TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: '1', TF_STATE_DIR: stateDir };
    const init = 'terraform init -input=false -no-color -backend-config="path=$TF_STATE_DIR/$APOLLO_CLOUD.tfstate" >/dev/null';
    h = await deployHarness({
      repository: repo.path,
      access: { approvers: [APPROVER] },
      build: { steps: [{ name: 'noop', run: 'true' }] },
      clouds: { aws: { env: { ...env, TF_VAR_region: 'eu-west-1' } }, digitalocean: { env: { ...env, TF_VAR_region: 'lon1' } } },
      deploy: { steps: [{ name: 'terraform apply', cwd: 'terraform/${cloud}', run: `${init} && terraform apply -input=false -auto-approve -no-color`, report: { format: 'terraform' } }] },
      destroy: { steps: [{ name: 'terraform destroy', cwd: 'terraform/${cloud}', run: `${init} && terraform destroy -input=false -auto-approve -no-color`, report: { format: 'terraform' } }] },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('applies both clouds in parallel, reports the resources, and destroys them from a fresh workspace', async () => {
    const { runId, ts } = await ask(h, `deploy all ${sha}`);
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const final = await cardWhere(h, ts, (t) => /\*(passed|failed)\*/.test(t), 'the terraform deploy card', 120_000);
    expect(final).toContain('✅ *aws* passed');
    expect(final).toContain('✅ *digitalocean* passed');
    expect(final).toContain('terraform apply: 1 added, 0 changed, 0 destroyed');
    expect(existsSync(join(stateDir, 'aws.tfstate'))).toBe(true);

    await h.destroy(runId, APPROVER, { ts });
    const destroyed = await cardWhere(h, ts, (t) => /\*(destroyed|destroy failed)\*/.test(t), 'the destroyed card', 120_000);
    expect(destroyed).toContain('*destroyed*');
    expect(destroyed).toContain('terraform destroy: 0 added, 0 changed, 1 destroyed');
  }, 180_000);
});
