import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { recordFault } from '../helpers/reliability.js';
import { eventually } from '../helpers/worker-process.js';

describe('Slack down or limiting', () => {
  let h: Harness;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await TestRepo.create({ README: 'x\n' }, 'Slack outage');
    h = await Harness.start({
      config: { repository: repo.path, build: { steps: [{ name: 'one', run: 'sleep 0.3' }, { name: 'two', run: 'sleep 0.3' }] } },
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('429s with Retry-After and 5xx on chat.update never fail the run, and the final state arrives', async () => {
    const sha = await repo.commit({ a: '1' }, 'Limited');
    // Every edit fails for a while: rate limited twice, then Slack errors (each 5xx is retried by the client too).
    h.slack.failNext('chat.update', { status: 429, headers: { 'retry-after': '1' } }, 2);
    h.slack.failNext('chat.update', { status: 503 }, 6);
    await h.command(`build ${sha}`);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(sha.slice(0, 7))), 20_000, 'the card');
    const final = await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => c.body.ts === card.response!.ts && String(c.body.text).includes(': passed')), 60_000, 'the final state');
    expect(blocksText(final.body)).toContain('✅ two');
    expect(h.slack.calls.filter((c) => c.method === 'chat.update!429')).toHaveLength(2);
    expect(h.slack.calls.filter((c) => c.method === 'chat.update!503')).toHaveLength(6);
    // The job itself succeeded: Slack trouble is never a build failure.
    const runId = /· (b\d+)/.exec(String(card.body.text))![1]!;
    await eventually(async () => (await h.services.buildQueue.getJob(runId))?.returnvalue === 'passed', 10_000, 'the job to complete as passed');
    const injected = h.slack.calls.filter((c) => c.method === 'chat.update!429' || c.method === 'chat.update!503').length;
    recordFault({ suite: 'slack', fault: 'chat.update answered 429 (Retry-After) ×2 and 503 ×6', tried: injected, lost: final ? 0 : 1, duplicates: 0, leaks: 0 });
  });

  it('a card that could not be posted at first is posted once Slack answers', async () => {
    const sha = await repo.commit({ b: '2' }, 'Post later');
    h.slack.failNext('chat.postMessage', { status: 429, headers: { 'retry-after': '1' } }, 1);
    h.slack.failNext('chat.postMessage', { status: 500 }, 3);
    await h.command(`build ${sha}`);
    const final = await h.slack.waitFor(() => {
      const posted = h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(sha.slice(0, 7)));
      if (!posted) return undefined;
      return h.slack.callsOf('chat.update').find((c) => c.body.ts === posted.response!.ts && String(c.body.text).includes(': passed'));
    }, 60_000, 'the card and its final state');
    const cards = h.slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).includes(sha.slice(0, 7))).length;
    const injected = h.slack.calls.filter((c) => c.method === 'chat.postMessage!429' || c.method === 'chat.postMessage!500').length;
    recordFault({ suite: 'slack', fault: 'chat.postMessage answered 429 then 500 ×3 for a new card', tried: injected, lost: final ? 0 : 1, duplicates: cards - 1, leaks: 0 });
    expect(final).toBeDefined();
    expect(cards).toBe(1);
  });
});
