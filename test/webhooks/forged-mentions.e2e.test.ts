import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackCall } from '../../src/slack/playground/fake-slack.js';
import { Harness } from '../helpers/harness.js';
import { attachmentOf, ciFixture, fixture, messageText, sendCi, sendGitHub, sleep, type Payload } from './webhook-client.js';

/*
 * Whoever can open a pull request writes the commit message, the branch and workflow names and
 * their own login. Sent through the real receiver, none of it may reach Slack as a ping or a link:
 * not in the blocks, not in the attachment, not in the notification text.
 */
const GH_SECRET = 'gh-forged-secret';
const CI_SECRET = 'ci-forged-secret';

const MESSAGE = 'fix <!here> <@U0VICTIM1> <https://evil.example|click me> <!subteam^S0OPS>\n\n<!channel> in the body too';
const BRANCH = 'feature/<!channel>';
const WORKFLOW = 'CI <@U0VICTIM2>';
const ACTOR = 'U0VICTIM3';

const FORBIDDEN = ['<!here>', '<!channel>', '<!everyone>', '<@U0VICTIM', '<!subteam', '<https://evil'];

function newRunId(): number {
  return randomInt(1_000_000, 2 ** 47);
}

function fakeSha(): string {
  return Array.from({ length: 40 }, () => '0123456789abcdef'[randomInt(16)]).join('');
}

/** A recorded workflow_run, rewritten the way a hostile pull request could. */
function hostileRun(stage: 'in_progress' | 'completed.success' | 'completed.failure', id: number, sha: string): Payload {
  const payload = fixture(`workflow_run.${stage}.json`);
  const wr = payload.workflow_run;
  wr.id = id;
  wr.html_url = `https://github.com/Capgemini/Apollo/actions/runs/${id}`;
  wr.head_sha = sha;
  wr.head_branch = BRANCH;
  wr.name = WORKFLOW;
  payload.workflow.name = WORKFLOW;
  wr.actor.login = ACTOR;
  payload.sender.login = ACTOR;
  wr.head_commit.id = sha;
  wr.head_commit.message = MESSAGE;
  wr.head_commit.author.name = '<!everyone> Mallory';
  return payload;
}

describe('forged mentions and links from webhooks', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start({
      config: { repository: 'https://github.com/Capgemini/Apollo.git', channel: 'C0FORGED', build: { steps: [{ name: 'noop', run: 'true' }] } },
      webhooks: { github: GH_SECRET, ci: CI_SECRET },
      worker: false,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  function callsFor(marker: string, method?: string): SlackCall[] {
    return h.slack.calls.filter((c) => (!method || c.method === method) && messageText(c).includes(marker));
  }

  function expectNothingForged(calls: SlackCall[]): void {
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      const body = JSON.stringify(call.body);
      for (const bad of FORBIDDEN) expect(body, `${call.method} carries ${bad}`).not.toContain(bad);
      // Escaped once: people read `<!here>`, not `&lt;!here&gt;`.
      expect(body).not.toMatch(/&amp;(lt|gt|amp);/);
    }
  }

  it('a hostile workflow_run is posted and edited with every name as text, and nobody is pinged', async () => {
    const sha = fakeSha();
    const previous = newRunId();
    expect((await sendGitHub(h.baseUrl, 'workflow_run', hostileRun('completed.success', previous, fakeSha()), { secret: GH_SECRET })).status).toBe(202);
    await h.slack.waitFor(() => callsFor(`/actions/runs/${previous}|`, 'chat.postMessage')[0], 15_000, 'the passing run');

    const id = newRunId();
    const marker = `/actions/runs/${id}|`;
    expect((await sendGitHub(h.baseUrl, 'workflow_run', hostileRun('in_progress', id, sha), { secret: GH_SECRET })).status).toBe(202);
    await h.slack.waitFor(() => callsFor(marker, 'chat.postMessage')[0], 15_000, 'the running message');
    const failed = await sendGitHub(h.baseUrl, 'workflow_run', hostileRun('completed.failure', id, sha), { secret: GH_SECRET });
    expect(failed).toMatchObject({ status: 202, body: { transition: 'broken' } });
    const edited = await h.slack.waitFor(() => callsFor(marker, 'chat.update').find((c) => messageText(c).includes('failed')), 15_000, 'the failed edit');
    await sleep(300);

    expectNothingForged(h.slack.calls);

    // People still read what was written, once escaped (mrkdwn) or as is (plain text).
    const text = messageText(edited);
    expect(text).toContain('fix &lt;!here&gt; &lt;@U0VICTIM1&gt; &lt;https://evil.example|click me&gt; &lt;!subteam^S0OPS&gt;');
    expect(text).toContain(`cc ${ACTOR}`);
    expect(text).toContain(`by ${ACTOR}`);
    expect(text).toContain('|feature/&lt;!channel&gt;>');
    expect(text).not.toContain('<@');
    const heading = (edited.body.blocks as { text: { type: string; text: string } }[])[0]!.text;
    expect(heading.type).toBe('plain_text');
    expect(heading.text.replaceAll('\u2060', '')).toBe(`❌ ${WORKFLOW} #562 failed · Capgemini/Apollo`);
    expect(String(edited.body.text)).toContain('CI &lt;@U0VICTIM2&gt; #562 failed on feature/&lt;!channel&gt;');
    expect(attachmentOf(edited).color).toBe('danger');
  });

  it('a hostile generic CI event pings only its slackUser', async () => {
    const runId = `forged-${Date.now()}`;
    const event = {
      ...ciFixture('failed.json'),
      id: undefined,
      runId,
      pipeline: 'deploy <!here> <@U0VICTIM4>',
      repo: 'evil|<https://evil.example|repo>',
      branch: BRANCH,
      message: MESSAGE,
      author: 'U0VICTIM5',
      slackUser: 'U0ONCALL',
      url: `https://ci.example/run/${runId}|<!here> x`,
    };
    expect((await sendCi(h.baseUrl, event, { secret: CI_SECRET })).status).toBe(202);
    const posted = await h.slack.waitFor(
      () => h.slack.callsOf('chat.postMessage').find((c) => messageText(c).includes(`/run/${runId}%7C`)),
      15_000,
      'the CI message',
    );
    expectNothingForged([posted]);
    expect(JSON.stringify(posted.body).match(/<@[^>]*>/g)).toEqual(['<@U0ONCALL>']);
    expect(messageText(posted)).toContain('by U0VICTIM5');
  });
});
