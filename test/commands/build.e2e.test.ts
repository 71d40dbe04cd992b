import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import type { KnownBlock } from '@slack/types';
import { limitViolations } from '../../views/limits.js';
import { Workspace } from '../../src/pipeline/workspace.js';

const failingScript = `for i in $(seq 1 30); do echo "lint line $i"; done; echo "ERROR: site.yml broken" >&2; exit 3`;

describe('/apollo build, end to end', () => {
  let repo: TestRepo;
  let good: string;
  let bad: string;
  let h: Harness;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'packer/template.json': '{}', 'ok.sh': '#!/bin/bash\necho fine\n' }, 'Add packer template');
    good = await repo.head();
    await repo.branch('release-1');
    bad = await repo.commit({ 'lint.sh': `#!/bin/bash\n${failingScript}\n` }, 'Break the playbook');
    h = await Harness.start({
      config: {
        repository: repo.path,
        build: {
          steps: [
            { name: 'validate packer template', cwd: 'packer', run: 'test -f template.json && echo "validated $APOLLO_COMMIT"' },
            { name: 'ansible-lint site.yml', run: 'if [ -f lint.sh ]; then ./lint.sh; else echo clean; fi' },
            { name: 'bash unit tests', run: 'printf "request:%s|%s|%s|%s\\n" "$APOLLO_COMMIT" "$APOLLO_REF" "$APOLLO_RUN_ID" "$APOLLO_REQUESTED_BY"' },
          ],
        },
      },
      minIntervalMs: 1000,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  /** Jobs in every state: changes only when a job is added. */
  async function totalJobs(): Promise<number> {
    return Object.values(await h.services.buildQueue.getJobCounts()).reduce((a, b) => a + b, 0);
  }

  async function eventuallyLog(runId: string): Promise<string> {
    for (let i = 0; i < 300; i++) {
      const log = await h.services.logs.get(runId, 'build');
      if (log !== undefined) return log;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no stored log for ${runId}`);
  }

  function cardCalls(ts: string) {
    return h.slack.calls.filter((c) => (c.method === 'chat.update' && c.body.ts === ts) || c.method === 'chat.postMessage');
  }

  async function finalCard(ts: string, word: 'passed' | 'failed'): Promise<string> {
    return h.slack.waitFor(() => {
      const updates = h.slack.callsOf('chat.update').filter((c) => c.body.ts === ts);
      const last = updates.at(-1);
      return last && blocksText(last.body).includes(`*${word}*`) ? blocksText(last.body) : undefined;
    }, 60_000, `a ${word} card`);
  }

  it('runs a branch build and edits one card from queued to passed', async () => {
    const res = await h.command('build release-1', 'U0ALICE');
    expect(res.status).toBe(200);
    const posted = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(good.slice(0, 7))), 30_000, 'the run card');
    expect(posted.body.channel).toBe('C0APOLLO');
    const first = blocksText(posted.body);
    expect(first).toContain('Add packer template');
    expect(first).toContain('<@U0ALICE>');
    expect(first).toContain('validate packer template');

    const ts = await h.slack.waitFor(() => h.slack.callsOf('chat.update')[0]?.body.ts as string | undefined, 30_000, 'an update');
    const final = await finalCard(ts, 'passed');
    expect(final).toContain('✅ validate packer template');
    expect(final).toContain('✅ ansible-lint site.yml');
    expect(final).toContain('✅ bash unit tests');
    expect(final).toContain('3/3 steps');
    expect(final).toContain('ref `release-1`');

    // Edits of one card are at least a second apart (coalesced), and the final state was sent.
    const updates = h.slack.callsOf('chat.update').filter((c) => c.body.ts === ts);
    for (let i = 1; i < updates.length; i++) expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(950);
    for (const call of cardCalls(ts)) expect(limitViolations(call.body.blocks as KnownBlock[])).toEqual([]);

    // The steps saw the request only through the environment.
    const runId = /run (b\d+)/.exec(final)![1]!;
    const log = await eventuallyLog(runId);
    expect(log).toContain(`request:${good}|release-1|${runId}|U0ALICE`);
    expect(log).toContain(`validated ${good}`);
    // The workspace is gone (deleted in the background once the job ended); so is the log file, once
    // stored (redacted) in Redis.
    await Workspace.discarded();
    expect(readdirSync(join(h.stateDir, 'workspaces'))).toEqual([]);
    expect(existsSync(join(h.stateDir, 'logs', runId, 'build.log'))).toBe(false);
  });

  it('stops at the failing step, skips the rest and shows the end of its output', async () => {
    await h.command(`build ${bad.slice(0, 10)}`, 'U0BOB');
    const posted = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(bad.slice(0, 7))), 30_000, 'the card');
    const ts = await h.slack.waitFor(
      () => h.slack.callsOf('chat.update').find((c) => String(c.body.text).includes(bad.slice(0, 7)))?.body.ts as string | undefined,
      30_000,
      'an update of the failing card',
    );
    expect(posted).toBeDefined();
    const final = await finalCard(ts, 'failed');
    expect(final).toContain('✅ validate packer template');
    expect(final).toContain('❌ ansible-lint site.yml');
    expect(final).toContain('exit code 3');
    expect(final).toContain('⏭️ bash unit tests');
    expect(final).toContain('Break the playbook');
    // The tail: the last ~20 lines, in a code block.
    expect(final).toContain('ERROR: site.yml broken');
    expect(final).toContain('lint line 30');
    expect(final).toContain('lint line 12');
    expect(final).not.toMatch(/lint line 5\n/);
    expect(final).toContain('```');
  });

  it('answers an unknown ref privately and queues nothing', async () => {
    const before = h.slack.callsOf('chat.postMessage').length;
    const totalBefore = await totalJobs();
    const res = await h.command('build no-such-branch');
    expect(res.status).toBe(200);
    const reply = await h.replyTo(res.responseUrl);
    expect(reply).toContain('`no-such-branch` is not a commit, branch or tag');
    expect(await totalJobs()).toBe(totalBefore);
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(before);
  });

  it('finds a commit pushed after the mirror was made', async () => {
    const fresh = await repo.commit({ 'NEWS': 'new\n' }, 'A later commit');
    await h.command(`build ${fresh}`);
    await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(fresh.slice(0, 7))), 30_000, 'the card');
  });

  it('runs one job when the same commit is submitted twice at once', async () => {
    const sha = await repo.commit({ 'slow.txt': 'x' }, 'Twice');
    const [a, b] = await Promise.all([h.command(`build ${sha}`, 'U0A'), h.command(`build ${sha}`, 'U0B')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const reply = await h.slack.waitFor(() => [...h.repliesTo(a.responseUrl), ...h.repliesTo(b.responseUrl)][0], 30_000, 'the duplicate notice');
    expect(reply).toMatch(/already queued or running in this channel as run `b\d+`/);
    await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).includes(sha.slice(0, 7))), 30_000, 'one card');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).includes(sha.slice(0, 7)))).toHaveLength(1);
  });

  describe('bad input gets a private explanation and no job', () => {
    const cases: [string, RegExp][] = [
      ['build', /which ref/],
      ['build main; rm -rf /', /expected exactly one ref/],
      ['build main;rm', /shell metacharacter|not a commit SHA/],
      ['build $(whoami)', /not a commit SHA or a valid branch\/tag name/],
      ['build `id`', /not a commit SHA or a valid branch\/tag name/],
      ['build ../../etc', /not a commit SHA or a valid branch\/tag name/],
      ['build -rf', /starts with -/],
      [`build ${'a'.repeat(10_000)}`, /longer than/],
      ['frobnicate', /`frobnicate` is not an Apollo command[\s\S]*\/apollo build <ref>/],
    ];
    for (const [text, expected] of cases) {
      it(JSON.stringify(text.slice(0, 40)), async () => {
        const jobsBefore = await totalJobs();
        const res = await h.command(text);
        expect(res.status).toBe(200);
        const body = JSON.parse(res.body) as { response_type: string; text: string };
        expect(body.response_type).toBe('ephemeral');
        expect(body.text).toMatch(expected);
        expect(await totalJobs()).toBe(jobsBefore);
      });
    }

    it('empty text and help list every subcommand', async () => {
      for (const text of ['', 'help']) {
        const res = await h.command(text);
        // Known at once, so answered in the ack itself: nothing goes to the response_url.
        expect(JSON.parse(res.body)).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('/apollo build <ref>') });
        expect(h.slack.callsOf('response_url').filter((c) => res.responseUrl.endsWith(String(c.body.response_url_id)))).toEqual([]);
        const reply = await h.replyTo(res.responseUrl);
        expect(reply).toContain('/apollo build <ref>');
        expect(reply).toContain('/apollo help');
      }
    });

    it('refuses a forged signature with 401 and does nothing', async () => {
      const jobs = async () => Object.values(await h.services.buildQueue.getJobCounts()).reduce((x, y) => x + y, 0);
      const before = await jobs();
      // Its own channel, so that late edits of earlier tests' cards cannot be mistaken for its doing.
      const res = await h.command('build main', 'U0EVE', 'C0FORGED', 'wrong-secret');
      expect(res.status).toBe(401);
      await new Promise((r) => setTimeout(r, 200));
      expect(h.slack.calls.filter((c) => c.body.channel === 'C0FORGED' || c.method === 'users.info' && c.body.user === 'U0EVE')).toEqual([]);
      expect(h.repliesTo(res.responseUrl)).toEqual([]);
      expect(await jobs()).toBe(before);
    });
  });

  it('reports health from Redis', async () => {
    const res = await fetch(`${h.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(existsSync(h.stateDir)).toBe(true);
  });
});
