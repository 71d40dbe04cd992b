import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/pipeline/workspace.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { ACTION } from '../../views/deploy-card.js';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { eventually } from '../helpers/worker-process.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const OWNER = 'U0OWNER';

/**
 * A lane the worker refuses (its cloud got locked after the deploy was approved) is stored as data
 * and worded by the card: the lock's owner is a mention, its reason escaped once.
 */
describe('a lane the worker refuses', () => {
  let h: Harness;
  let repo: TestRepo;
  let sha: string;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Lock refusal');
    sha = await repo.head();
    const config: ConfigInput = {
      repository: repo.path,
      access: { deployers: ['*'], approvers: [APPROVER], allowSelfApproval: false, approvalTtl: '1h' },
      build: { steps: [{ name: 'noop', run: 'true' }] },
      clouds: { aws: {} },
      deploy: { steps: [{ name: 'apply', run: 'true' }] },
    };
    // No worker yet: the approved job waits in the queue while the cloud gets locked.
    h = await Harness.start({ config, minIntervalMs: 200, worker: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows who locked the cloud as a mention on the deploy card, not as escaped text', async () => {
    const res = await h.command(`deploy aws ${sha}`, REQUESTER);
    expect(res.status).toBe(200);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card');
    const runId = /Deploy request (d\d+)/.exec(String(card.body.text))![1]!;
    const ts = String(card.response!.ts);

    // Approval checks the locks, and passes: the cloud is free.
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    await eventually(async () => (await h.services.deployFlow.cloudQueue.getJobCounts('waiting', 'prioritized')).waiting! > 0, 20_000, 'the approved cloud job to be queued');
    // Then someone locks the cloud before a worker takes the job.
    const reason = 'load test <!here> & soak';
    expect((await h.services.locks.lockSticky('aws', OWNER, reason)).ok).toBe(true);
    await h.startWorker();

    const text = await h.slack.waitFor(() => {
      const body = h.latestCard(ts);
      const all = body ? `${String(body.text)}\n${blocksText(body)}` : '';
      return all.includes('*failed*') ? all : undefined;
    }, 30_000, 'the refused deploy card');
    expect(text).toContain('❌ *aws* failed');
    expect(text).toMatch(/\*aws\* is locked by <@U0OWNER> since (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC: load test &lt;!here&gt; &amp; soak/);
    expect(text).not.toContain('&lt;@');
    expect(text).not.toContain('&amp;lt;');
    const lane = (await h.services.runs.get(runId))!.lanes[0]!;
    expect(lane.blocked).toMatchObject({ kind: 'locked', lock: 'sticky', cloud: 'aws', by: OWNER, reason });
    expect(lane.error).toBeUndefined();
    // Refused before taking the cloud: no run lock is left behind.
    expect((await h.services.locks.state('aws')).run).toBeUndefined();
  });
});

/**
 * A build cancelled after a worker could no longer take its job back (the cancel raced the job's
 * start): the worker reads the cancel before the first step, the card says cancelled, and the
 * checkout it had begun meanwhile is removed.
 */
describe('a lane cancelled as its job starts', () => {
  let h: Harness;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Cancel race');
    const config: ConfigInput = {
      repository: repo.path,
      access: { deployers: ['*'], approvers: [APPROVER], allowSelfApproval: false, approvalTtl: '1h' },
      build: { steps: [{ name: 'never', run: 'touch "$HOME/ran"; exit 1' }] },
    };
    h = await Harness.start({ config, minIntervalMs: 200, worker: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows cancelled, runs no step and leaves no checkout behind', async () => {
    const res = await h.command(`build ${await repo.head()}`, REQUESTER);
    expect(res.status).toBe(200);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => / · b\d+/.test(String(c.body.text))), 30_000, 'the build card');
    const runId = / · (b\d+)/.exec(String(card.body.text))![1]!;
    // The cancel flag is set, but the queued job stays (as when a worker had just taken it).
    expect(await h.services.runs.markCancelled(runId, REQUESTER)).toBe(true);
    await h.startWorker();

    const text = await h.slack.waitFor(() => {
      const body = h.latestCard(String(card.response!.ts));
      const all = body ? `${String(body.text)}\n${blocksText(body)}` : '';
      return all.includes('cancelled') ? all : undefined;
    }, 30_000, 'the cancelled card');
    expect(text).toContain(`<@${REQUESTER}>`);
    const lane = (await h.services.runs.get(runId))!.lanes[0]!;
    expect(lane.steps[0]!.status).toBe('cancelled');
    await Workspace.discarded();
    expect(readdirSync(join(h.stateDir, 'workspaces'))).toEqual([]);
  });
});
