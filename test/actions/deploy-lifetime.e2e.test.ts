import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { Queue } from 'bullmq';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/deploy-card.js';
import { limitViolations } from '../../views/limits.js';
import { ask, buttons, cardWhere } from '../helpers/deploy-steps.js';
import { eventually } from '../helpers/worker-process.js';
import { EXPIRY_QUEUE } from '../../src/queue/expiry-queue.js';
import { TEST_REDIS_URL } from '../helpers/redis.js';
import { clock } from '../../views/clock.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const OUTSIDER = 'U0OUTSIDER';

describe('deploys with a lifetime (--keep)', () => {
  let h: Harness;
  let sha: string;
  let expiry: Queue;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Something to keep');
    sha = await repo.head();
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { approvers: [APPROVER], deployers: [REQUESTER, APPROVER, OUTSIDER] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: {}, gcp: {} },
        deploy: { steps: [{ name: 'apply', run: 'echo "applied $APOLLO_CLOUD"' }], keepReminder: '1h' },
        destroy: { steps: [{ name: 'destroy', run: 'echo "destroyed $APOLLO_CLOUD"' }] },
      },
    });
    expiry = new Queue(EXPIRY_QUEUE, { connection: { url: TEST_REDIS_URL }, prefix: h.services.keys.bullPrefix });
  });
  afterAll(async () => {
    await expiry?.close();
    await h?.close();
  });

  /** Waits for a timer job to be done and returns what it said it did. */
  async function timerResult(jobId: string): Promise<string> {
    let result: string | undefined;
    await eventually(async () => {
      const job = await expiry.getJob(jobId);
      if ((await job?.getState()) !== 'completed') return false;
      result = job!.returnvalue as string;
      return true;
    }, 60_000, `timer ${jobId}`);
    return result!;
  }

  it('reminds in the thread, is extended, survives a worker restart, and destroys itself at the new end', async () => {
    const { runId, ts } = await ask(h, `deploy aws ${sha} --keep 8s`, REQUESTER);
    expect(await cardWhere(h, ts, (t) => t.includes('Waiting for an approver'), 'the approval card')).toContain('⏲️ kept for 8s after the deploy, then destroyed');
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    const passed = await cardWhere(h, ts, (t) => t.includes('⏲️ destroyed automatically at'), 'the card with its expiry', 60_000);
    expect(passed).toContain('*passed*');
    const firstEnd = (await h.services.runs.get(runId))!.keepUntil!;
    // As the views show it (views/clock.ts: a time of another day carries its date).
    const hhmm = clock(firstEnd).replace(/ UTC$/, '');
    expect(passed).toContain(`⏲️ destroyed automatically at ${hhmm} UTC`);

    const status = await h.command('status', REQUESTER);
    expect(await h.replyTo(status.responseUrl)).toContain(`*aws*: \`${sha.slice(0, 7)}\``);
    expect(h.repliesTo(status.responseUrl)[0]).toContain(`⏲️ destroyed automatically at ${hhmm} UTC`);

    // keepReminder (1h) is capped at half the lifetime: the reminder comes 4 s before the end.
    const reminder = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => c.body.thread_ts === ts && String(c.body.text).includes('destroyed automatically')), 30_000, 'the reminder');
    const text = blocksText(reminder.body);
    expect(text).toContain(`⏲️ <@${REQUESTER}> the deploy of \`${sha.slice(0, 7)}\` to *aws* (run \`${runId}\`) will be destroyed automatically at *${hhmm} UTC*`);
    expect(buttons(reminder.body)).toEqual(['Extend by 8s', 'Destroy now']);
    expect(limitViolations(reminder.body.blocks as KnownBlock[])).toEqual([]);

    const refused = await h.click(ACTION.extend, runId, OUTSIDER, { ts: String(reminder.response!.ts) });
    expect(await h.replyTo(refused.responseUrl)).toContain('Only the requester, the approvers and the destroyers can extend a deploy.');
    const extended = await h.click(ACTION.extend, runId, REQUESTER, { ts: String(reminder.response!.ts) });
    expect(await h.replyTo(extended.responseUrl)).toMatch(/^Extended: it is now destroyed automatically at (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC\.$/);
    const newEnd = (await h.services.runs.get(runId))!.keepUntil!;
    expect(newEnd).toBeGreaterThan(firstEnd);

    // The worker restarts before either end: the timers are in Redis, not in the process.
    await h.restartWorker();

    const destroyed = await cardWhere(h, ts, (t) => /\*(destroyed|destroy failed)\*/.test(t), 'the automatic destroy', 60_000);
    expect(destroyed).toContain('🧨 Destroyed automatically, its lifetime over');
    expect(destroyed).toContain('*destroyed*');
    expect(destroyed).not.toContain('⏲️');
    expect(await timerResult(`${runId}-expire-${firstEnd}`)).toBe('stale: extended');
    expect(await timerResult(`${runId}-expire-${newEnd}`)).toBe('destroying');
    const run = (await h.services.runs.get(runId))!;
    expect(run.destroy!.at).toBeGreaterThanOrEqual(newEnd);
    const after = await h.command('status', REQUESTER);
    expect(await h.replyTo(after.responseUrl)).toContain('*aws*: nothing deployed yet');
    const history = await h.command('history', REQUESTER);
    const lines = await h.replyTo(history.responseUrl);
    expect(lines).toContain(`<@${REQUESTER}> extended the lifetime of \`${runId}\``);
    expect(lines).toContain(`destroyed at the end of its lifetime \`${runId}\``);
  }, 120_000);

  it('a manual destroy and a newer deploy taking the cloud over both turn the timer off', async () => {
    // Long enough that the takeover below happens first, even on a loaded machine.
    const first = await ask(h, `deploy gcp ${sha} --keep 30s`, REQUESTER);
    await h.click(ACTION.approve, first.runId, APPROVER, { ts: first.ts });
    await cardWhere(h, first.ts, (t) => t.includes('⏲️ destroyed automatically at'), 'the first card with its expiry', 60_000);
    const firstEnd = (await h.services.runs.get(first.runId))!.keepUntil!;

    // A newer deploy of gcp (kept too) takes the cloud: the first run's timer is off.
    const second = await ask(h, `deploy gcp ${sha} --keep 6s`, REQUESTER);
    await h.click(ACTION.approve, second.runId, APPROVER, { ts: second.ts });
    await cardWhere(h, second.ts, (t) => t.includes('⏲️ destroyed automatically at'), 'the second card with its expiry', 60_000);
    const secondEnd = (await h.services.runs.get(second.runId))!.keepUntil!;
    expect((await h.services.runs.get(first.runId))!.keepUntil).toBeUndefined();
    expect(await cardWhere(h, first.ts, (t) => !t.includes('⏲️'), 'the first card without an expiry')).toContain('*passed*');

    // The second is destroyed by hand before its end.
    await h.destroy(second.runId, APPROVER, { ts: second.ts });
    await cardWhere(h, second.ts, (t) => t.includes('*destroyed*'), 'the manual destroy');

    expect(await timerResult(`${first.runId}-expire-${firstEnd}`)).toBe('stale: no lifetime any more');
    expect(await timerResult(`${second.runId}-expire-${secondEnd}`)).toBe('stale: already destroyed');
    expect(await timerResult(`${first.runId}-remind-${firstEnd}`)).toMatch(/^stale/);
    expect((await h.services.runs.get(second.runId))!.destroy!.by).toBe(APPROVER);
    expect((await h.services.runs.get(first.runId))!.destroy).toBeUndefined();
  }, 120_000);
});
