import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { ask, buttons, cardWhere } from '../helpers/deploy-steps.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const TTL_MS = 3000;

/** At `access.approvalTtl` the card loses its buttons without a click, from a durable delayed job. */
describe('approval expiry', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Waiting for nobody');
    sha = await repo.head();
    h = await Harness.start({
      worker: false,
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { deployers: [REQUESTER], approvers: [APPROVER], approvalTtl: `${TTL_MS}ms` },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'apply', run: 'echo applied' }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function statusText(): Promise<string> {
    const res = await h.command('status', REQUESTER);
    return h.replyTo(res.responseUrl);
  }

  it('a request that expired while no worker ran is expired by the first worker up, and status stops listing it at once', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`, REQUESTER);
    expect(await statusText()).toContain(`\`${runId}\` deploy to aws`);
    expect(buttons(h.latestCard(ts))).toEqual(['Approve', 'Reject']);
    await new Promise((r) => setTimeout(r, TTL_MS + 200));
    // Past its time, nothing lists it any more, even before its timer has run.
    expect(await statusText()).not.toContain(`\`${runId}\``);
    await h.startWorker();
    const text = await cardWhere(h, ts, (t) => t.includes('Expired at'), 'the card expired by its timer');
    expect(text).toContain('nothing was deployed');
    expect(buttons(h.latestCard(ts))).toEqual([]);
    expect((await h.services.runs.get(runId))?.decision?.state).toBe('expired');
    const history = await h.command('history', REQUESTER);
    expect(await h.replyTo(history.responseUrl)).toMatch(/expired/i);
  });

  it('with the worker up, the card loses its buttons at its time without a click, and a late click is refused', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`, REQUESTER);
    await cardWhere(h, ts, (t) => t.includes('Expired at'), 'the card expired by its timer', 30_000);
    expect(buttons(h.latestCard(ts))).toEqual([]);
    const click = await h.click(ACTION.approve, runId, APPROVER, { ts });
    expect(await h.replyTo(click.responseUrl)).toMatch(/already expired/);
    expect(await h.services.deployFlow.cloudQueue.count()).toBe(0);
  });
});
