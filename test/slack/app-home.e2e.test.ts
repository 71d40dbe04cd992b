import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { limitViolations } from '../../views/limits.js';
import { ask } from '../helpers/deploy-steps.js';

const REQUESTER = 'U0REQUESTER';
const ALICE = 'U0ALICE';
const BOB = 'U0BOB';

type View = { type: string; blocks: KnownBlock[] };

/** app_home_opened → views.publish: every cloud, this person's approvals to give, their runs. */
describe('the App Home', () => {
  let h: Harness;
  let sha: string;
  let seq = 0;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Home');
    sha = await repo.head();
    h = await Harness.start({
      worker: false,
      config: {
        repository: repo.path,
        channel: 'C0APOLLO',
        access: { deployers: [REQUESTER], approvers: [ALICE] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: {}, gcp: { approvers: [BOB] } },
        deploy: { steps: [{ name: 'apply', run: 'true' }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function openHome(user: string, eventId = `Ev${++seq}`, headers: Record<string, string> = {}): Promise<View> {
    const before = h.slack.callsOf('views.publish').length;
    const res = await h.event({ type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home' }, eventId, headers);
    expect(res.status).toBe(200);
    const call = await h.slack.waitFor(() => h.slack.callsOf('views.publish').slice(before).find((c) => c.body.user_id === user), 30_000, `the App Home of ${user}`);
    return (typeof call.body.view === 'string' ? JSON.parse(call.body.view) : call.body.view) as View;
  }
  const text = (view: View) => JSON.stringify(view.blocks);
  const approveButtons = (view: View) => view.blocks.filter((b) => b.type === 'actions' && (b.block_id ?? '').startsWith('home-approval:')).map((b) => b.block_id!.slice('home-approval:'.length));

  it('shows every cloud, only the requests this person may approve, and their own runs; a retried event is not handled twice', async () => {
    const aws = await ask(h, `deploy aws ${sha}`, REQUESTER);
    const gcp = await ask(h, `deploy gcp ${sha}`, REQUESTER);
    await h.command('lock gcp load test', REQUESTER);

    const alice = await openHome(ALICE, 'EvAlice');
    expect(alice.type).toBe('home');
    expect(limitViolations(alice.blocks)).toEqual([]);
    expect(approveButtons(alice)).toEqual([aws.runId]);
    expect(text(alice)).toContain('*gcp* · nothing deployed · 🔒 locked by <@U0REQUESTER>: load test');
    expect(text(alice)).toContain('Request a deploy');

    expect(approveButtons(await openHome(BOB))).toEqual([gcp.runId]);
    const mine = await openHome(REQUESTER);
    expect(approveButtons(mine)).toEqual([]);
    expect(text(mine)).toContain(`\`${aws.runId}\` deploy to aws`);
    expect(text(mine)).toContain(`\`${gcp.runId}\` deploy to gcp`);

    // Slack retries the same event (a new signature, so the replay guard lets it through): nothing is published twice.
    const published = h.slack.callsOf('views.publish').length;
    const retry = await h.event({ type: 'app_home_opened', user: ALICE, channel: 'D0HOME', tab: 'home' }, 'EvAlice', { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }, { authorizations: [{ team_id: 'T0APOLLO', is_bot: true }] });
    expect(retry.status).toBe(200);
    await openHome(BOB); // a later event is handled: the retry before it was answered and dropped
    expect(h.slack.callsOf('views.publish').slice(published).map((c) => c.body.user_id)).toEqual([BOB]);
  });

  it('approves from the App Home, and its Request a deploy button opens the deploy form', async () => {
    const { runId } = await ask(h, `deploy aws ${sha}`, REQUESTER);
    const home = await openHome(ALICE);
    expect(approveButtons(home)).toContain(runId);
    await h.click(ACTION.approve, runId, ALICE, { payload: homeClick(ACTION.approve, runId, ALICE) });
    await expect.poll(async () => (await h.services.runs.get(runId))?.decision?.state, { timeout: 10_000 }).toBe('approved');
    expect(approveButtons(await openHome(ALICE))).not.toContain(runId);

    const before = h.slack.callsOf('views.open').length;
    await h.click(ACTION.deployForm, 'home', REQUESTER, { payload: homeClick(ACTION.deployForm, 'home', REQUESTER) });
    const form = await h.slack.waitFor(() => h.slack.callsOf('views.open')[before], 10_000, 'the deploy form');
    expect(String(typeof form.body.view === 'string' ? form.body.view : JSON.stringify(form.body.view))).toContain('deploy_request');

    // Someone who may not deploy gets no form, and is told in their messages with the app.
    await h.click(ACTION.deployForm, 'home', BOB, { payload: homeClick(ACTION.deployForm, 'home', BOB) });
    await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => c.body.channel === BOB && String(c.body.text).includes('not allowed to request deploys')), 10_000, 'the refusal');
    expect(h.slack.callsOf('views.open').length).toBe(before + 1);
  });
});

/** A click on the App Home, as Slack sends it: from a view, with no channel and no response_url. */
function homeClick(actionId: string, value: string, user: string): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0APOLLO' },
    api_app_id: 'A0APOLLO',
    token: 'legacy',
    container: { type: 'view', view_id: 'V0HOME' },
    trigger_id: `${Date.now()}.home`,
    team: { id: 'T0APOLLO', domain: 'apollo' },
    view: { id: 'V0HOME', type: 'home' },
    actions: [{ action_id: actionId, block_id: 'home', value, type: 'button', action_ts: String(Date.now() / 1000) }],
  };
}
