import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { ask, cardWhere } from '../helpers/deploy-steps.js';

const REQUESTER = 'U0REQUESTER';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';
const TTL_MS = 4000;

/** Destroy through a modal (type the cloud names), with destroy.requiredApprovals: 2. */
describe('the destroy modal and a second destroyer', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Destroy me twice');
    sha = await repo.head();
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { deployers: [REQUESTER], approvers: [ALICE, BOB], approvalTtl: `${TTL_MS}ms` },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'apply', run: 'echo applied' }] },
        destroy: { steps: [{ name: 'destroy', run: 'echo destroyed' }], requiredApprovals: 2 },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('lists the clouds, refuses a wrong name, waits for a second destroyer (never the same one), and says when a request expired', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`, REQUESTER);
    await h.click(ACTION.approve, runId, ALICE, { ts });
    await cardWhere(h, ts, (t) => t.includes('*passed*'), 'the deploy passed');

    const wrong = await h.destroy(runId, ALICE, { ts, typed: 'gcp' });
    expect(JSON.stringify(wrong.modal)).toContain('🧨 *aws*: deployed at');
    expect(wrong.answer).toContain('not the name of the cloud this destroys: type aws');
    expect((await h.services.runs.get(runId))?.destroyVotes).toBeUndefined();

    const first = await h.destroy(runId, ALICE, { ts });
    expect(first.answer).toBe('');
    await h.slack.waitFor(() => h.slack.callsOf('chat.postEphemeral').find((c) => String(c.body.text).includes('1 of 2 destroyers')), 10_000, 'the first confirmation answer');
    await cardWhere(h, ts, (t) => t.includes(`destroy confirmed by <@${ALICE}>: waiting for 1 more destroyer`), 'the card waiting for a second destroyer');
    const again = await h.destroy(runId, ALICE, { ts });
    expect(JSON.stringify(again.modal)).toContain('Confirmed so far by');
    expect(again.answer).toContain('You have already confirmed this destroy');
    expect((await h.services.runs.get(runId))?.destroy).toBeUndefined();

    // Alice's request expires; Bob's confirmation is then a first one again.
    await new Promise((r) => setTimeout(r, TTL_MS + 200));
    const late = await h.destroy(runId, BOB, { ts });
    expect(JSON.stringify(late.modal)).toContain('expired at');
    await h.slack.waitFor(() => h.slack.callsOf('chat.postEphemeral').find((c) => String(c.body.text).includes('expired at') && String(c.body.text).includes('yours counts as the first')), 10_000, 'the expiry said');
    expect((await h.services.runs.get(runId))?.destroy).toBeUndefined();

    await h.destroy(runId, ALICE, { ts });
    const destroyed = await cardWhere(h, ts, (t) => t.includes('*destroyed*'), 'destroyed by two people');
    expect(destroyed).toContain(`Destroy requested by <@${ALICE}> with <@${BOB}>`);
  });
});
