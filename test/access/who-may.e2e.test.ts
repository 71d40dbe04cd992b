import { recordFault } from '../helpers/reliability.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, cardRunId, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';

const BUILDER = 'U0BUILDER';
const DEPLOYER = 'U0DEPLOYER';
const APPROVER = 'U0APPROVER';
const OUTSIDER = 'U0OUTSIDER';
const GUEST = 'U0GUEST';
const CONNECT = 'U0CONNECT';

/**
 * Who may do what, tried as an attacker would: every refusal is a private answer, and nothing is
 * queued, posted or changed.
 */
describe('who may do what', () => {
  let repo: TestRepo;
  let sha: string;
  let h: Harness;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'README': 'apollo\n' }, 'Seed commit');
    sha = await repo.head();
    h = await Harness.start({
      config: {
        repository: repo.path,
        access: { builders: [BUILDER, 'S0BUILDERS', 'U0GREEDY'], deployers: [DEPLOYER], approvers: [APPROVER], limits: { queuedRunsPerUser: 1, lockChangesPerHour: 2 } },
        build: { steps: [{ name: 'wait', run: 'sleep 1' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'apply', run: 'true' }] },
      },
      fakeSlack: {
        usergroups: { S0BUILDERS: [GUEST, CONNECT] },
        users: { [GUEST]: { is_restricted: true }, [CONNECT]: { team_id: 'T0OTHERORG', is_stranger: true } },
      },
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  function runCards(): number {
    return h.slack.callsOf('chat.postMessage').filter((c) => /Build|Deploy request/.test(String(c.body.text))).length;
  }

  async function refusedReply(res: { status: number; body: string; responseUrl: string }): Promise<string> {
    expect(res.status).toBe(200);
    // Refusals before the ack come back in the ack body; later ones as an ephemeral reply.
    if (res.body) return (JSON.parse(res.body) as { text: string }).text;
    return h.replyTo(res.responseUrl);
  }

  it('refuses /apollo build to people who are not builders, and queues nothing', async () => {
    const before = runCards();
    const reply = await refusedReply(await h.command(`build ${sha}`, OUTSIDER));
    expect(reply).toContain('not allowed to run builds');
    expect(reply).toContain('access.builders');
    // Deployers are not builders when builders are named.
    expect(await refusedReply(await h.command(`build ${sha}`, DEPLOYER))).toContain('not allowed to run builds');
    expect(runCards()).toBe(before);
    expect(await h.services.buildQueue.count()).toBe(0);
  });

  it('refuses every request from another team or enterprise, even help', async () => {
    const spellings: Record<string, string>[] = [{ team_id: 'T0EVIL' }, { enterprise_id: 'E0EVIL' }, { team_id: 'T0APOLLO', user_team: 'T0EVIL' }];
    for (const fields of spellings) {
      const before = runCards();
      const build = await refusedReply(await h.command(`build ${sha}`, BUILDER, 'C0APOLLO', undefined, fields));
      expect(build).toContain('only takes requests from its own workspace');
      const help = await refusedReply(await h.command('help', BUILDER, 'C0APOLLO', undefined, fields));
      expect(help).toContain('only takes requests from its own workspace');
      expect(runCards()).toBe(before);
    }
  });

  it('lets guests and Slack Connect users read but not act, even when a usergroup names them', async () => {
    const before = runCards();
    expect(await refusedReply(await h.command(`build ${sha}`, GUEST))).toContain('Guests can read');
    expect(await refusedReply(await h.command(`build ${sha}`, CONNECT))).toContain('other organisations');
    expect(runCards()).toBe(before);
    const status = await h.command('status', GUEST);
    expect(await h.replyTo(status.responseUrl)).not.toContain(':no_entry:');
  });

  it('answers help and status in a DM but runs nothing from one', async () => {
    const before = runCards();
    expect(await refusedReply(await h.command(`build ${sha}`, BUILDER, 'D0DIRECT', undefined, { channel_name: 'directmessage' }))).toContain('happen in a channel');
    expect(await refusedReply(await h.command('lock aws maintenance', DEPLOYER, 'D0DIRECT'))).toContain('happen in a channel');
    expect(runCards()).toBe(before);
    const help = await h.command('help', BUILDER, 'D0DIRECT');
    expect(await h.replyTo(help.responseUrl)).toContain('/apollo build');
  });

  it('checks each button against the clicker and the run’s own channel', async () => {
    const res = await h.command(`build ${sha}`, BUILDER);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(sha.slice(0, 7)) && c.body.channel === 'C0APOLLO'), 30_000, 'the build card');
    expect(res.status).toBe(200);
    const runId = cardRunId(card.body);
    expect(runId).toMatch(/^b\d+$/);
    const ts = String(card.response!.ts);

    // Someone who is neither requester, builder nor approver may not cancel it.
    const outsider = await h.click(ACTION.cancel, runId, OUTSIDER, { ts });
    expect(await h.replyTo(outsider.responseUrl)).toContain('Only the requester, a builder or an approver');
    // The right person, but the click names the run from another channel's message.
    const elsewhere = await h.click(ACTION.cancel, runId, APPROVER, { channel: 'C0ELSEWHERE', ts });
    expect(await h.replyTo(elsewhere.responseUrl)).toContain('another channel');
    // A guest is refused before anything is looked up.
    const guest = await h.click(ACTION.cancel, runId, GUEST, { ts });
    expect(await h.replyTo(guest.responseUrl)).toContain('Guests can read');

    const final = await h.slack.waitFor(() => {
      const body = h.latestCard(ts);
      return body && /\*(passed|failed|cancelled)\*/.test(blocksText(body)) ? blocksText(body) : undefined;
    }, 60_000, 'the final card');
    expect(final).toContain('*passed*');
    expect(final).not.toContain('cancelled');

    // Logs of a build: builders and approvers, from its channel.
    const logs = await h.click(ACTION.logs, `${runId}|build|run`, OUTSIDER, { ts });
    expect(await h.replyTo(logs.responseUrl)).toContain('Only builders and approvers can read run logs');
    expect(h.slack.callsOf('files.completeUploadExternal')).toHaveLength(0);
  });

  it('limits how many runs one person has unfinished, and how often they change locks', async () => {
    const before = h.slack.callsOf('chat.postMessage').length;
    const next = await repo.commit({ 'NEWS': 'limits\n' }, 'Another commit');
    const first = await h.command(`build ${next}`, BUILDER);
    await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).startsWith('Build')), 10_000, 'the first card').catch((err: unknown) => {
      throw new Error(`${String(err)} replies: ${h.repliesTo(first.responseUrl).join(' | ')}`);
    });
    const second = await refusedReply(await h.command(`build ${next}`, BUILDER, 'C0OTHER'));
    expect(second).toContain('queuedRunsPerUser');

    // Many at once cannot all pass the count: the slot is reserved atomically.
    const burst: string[] = [];
    for (let i = 0; i < 6; i++) burst.push(await repo.commit({ [`burst-${i}`]: 'x' }, `Burst ${i}`));
    const cardsBefore = runCards();
    await Promise.all(burst.map((commit, i) => h.command(`build ${commit}`, 'U0GREEDY', `C0BURST${i}`)));
    await new Promise((r) => setTimeout(r, 3000));
    expect(runCards() - cardsBefore).toBeLessThanOrEqual(1);

    const replies: string[] = [];
    for (const text of ['lock aws one', 'unlock aws', 'lock aws three']) {
      const res = await h.command(text, DEPLOYER);
      replies.push(await h.replyTo(res.responseUrl));
    }
    expect(replies[0]).toContain('is locked by you');
    expect(replies[1]).toContain('is unlocked');
    expect(replies[2]).toContain('lockChangesPerHour');
    expect(await h.services.locks.sticky('aws')).toBeUndefined();
    recordFault({
      suite: 'access',
      fault: 'requests by outsiders, other teams and enterprises, guests, Slack Connect users, from DMs, buttons from another channel, and past per-person limits',
      tried: 17,
      lost: 0,
      duplicates: 0,
      leaks: 0,
      note: 'every one refused privately; nothing queued or changed',
    });
  });
});
