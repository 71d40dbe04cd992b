import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { buttons, cardWhere } from '../helpers/deploy-steps.js';

const REQUESTER = 'U0REQUESTER';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const PROD_CHANNEL = 'C0PROD';

/** clouds.<name> policy through signed requests: channels, two approvers, its own destroyers. */
describe('per-cloud policy', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Two people');
    sha = await repo.head();
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { deployers: [REQUESTER], approvers: [ALICE, BOB, REQUESTER], allowSelfApproval: true },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { prod: { requiredApprovals: 2, channels: [PROD_CHANNEL], destroyers: [BOB] }, dev: {} },
        deploy: { steps: [{ name: 'apply', run: 'echo applied' }] },
        destroy: { steps: [{ name: 'destroy', run: 'echo destroyed' }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('prod takes requests only in its channel', async () => {
    const res = await h.command(`deploy prod ${sha}`, REQUESTER);
    const reply = await h.replyTo(res.responseUrl);
    expect(reply).toContain('Deploys to `prod` may not be requested in this channel.');
    expect(reply).toContain(`<#${PROD_CHANNEL}>`);
  });

  it('needs two different approvers, never the requester; the card shows who approved so far; its own destroyers destroy it', async () => {
    const before = h.slack.callsOf('chat.postMessage').length;
    await h.command(`deploy prod ${sha}`, REQUESTER, PROD_CHANNEL);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card');
    const ts = String(card.response!.ts);
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    const opts = { ts, channel: PROD_CHANNEL };

    const self = await h.click(ACTION.approve, runId, REQUESTER, opts);
    expect(await h.replyTo(self.responseUrl)).toContain('You cannot approve your own deploy');

    const first = await h.click(ACTION.approve, runId, ALICE, opts);
    expect(await h.replyTo(first.responseUrl)).toContain('Your approval is counted. Still needed: *prod* 1 more (1/2)');
    await cardWhere(h, ts, (t) => t.includes(`approved so far by <@${ALICE}>`), 'the card with the first approval');
    expect(buttons(h.latestCard(ts))).toEqual(['Approve', 'Reject']);

    const again = await h.click(ACTION.approve, runId, ALICE, opts);
    expect(await h.replyTo(again.responseUrl)).toContain('You have already approved this request');
    expect(await h.services.deployFlow.cloudQueue.count()).toBe(0);

    await h.click(ACTION.approve, runId, BOB, opts);
    const done = await cardWhere(h, ts, (t) => t.includes('*passed*'), 'the deploy passed');
    expect(done).toContain(`Approved by <@${ALICE}>, <@${BOB}>`);

    const notHers = await h.click(ACTION.destroy, runId, ALICE, opts);
    expect(await h.replyTo(notHers.responseUrl)).toContain('Only destroyers of *prod*');
    await h.destroy(runId, BOB, opts);
    await cardWhere(h, ts, (t) => t.includes('*destroyed*'), 'destroyed by its destroyer');
  });
});
