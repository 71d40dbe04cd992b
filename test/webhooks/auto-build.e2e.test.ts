import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { fixture, sendGitHub, sleep, type Payload } from './webhook-client.js';

const SECRET = 'gh-secret';

describe('builds from GitHub push and pull_request webhooks', () => {
  let repo: TestRepo;
  let h: Harness;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'site.yml': '- hosts: all\n' }, 'Initial playbook');
    h = await Harness.start({
      config: {
        // The bot builds from a local mirror of Capgemini/Apollo: the webhooks name it on GitHub.
        repository: repo.path,
        channel: 'C0BUILDS',
        build: { steps: [{ name: 'ansible-lint site.yml', run: 'test -f site.yml && echo "linted $APOLLO_COMMIT for $APOLLO_REQUESTED_BY"' }] },
        notifications: {
          routes: [{ channel: 'C0PRS', branches: ['docker-bench-threshold'], events: ['build'] }],
          autoBuild: { pushes: true, repository: 'Capgemini/Apollo' },
        },
      },
      webhooks: { github: SECRET },
      minIntervalMs: 200,
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  const send = (event: string, payload: Payload, delivery = randomUUID()) => sendGitHub(h.baseUrl, event, payload, { secret: SECRET, delivery });

  async function jobs(): Promise<number> {
    return Object.values(await h.services.buildQueue.getJobCounts()).reduce((a, b) => a + b, 0);
  }

  async function settled(): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const counts = await h.services.buildQueue.getJobCounts('active', 'wait', 'delayed', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) return;
      await sleep(100);
    }
    throw new Error('builds never settled');
  }

  function cards(sha: string) {
    return h.slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).includes(sha.slice(0, 7)));
  }

  async function finalCard(sha: string): Promise<string> {
    return h.slack.waitFor(
      () => {
        const last = h.slack.calls.filter((c) => c.method.startsWith('chat.') && String(c.body.text).includes(sha.slice(0, 7))).at(-1);
        return last && blocksText(last.body).includes('*passed*') ? blocksText(last.body) : undefined;
      },
      60_000,
      `the passed card of ${sha.slice(0, 7)}`,
    );
  }

  it('builds the head commit of an opened pull request; the run card is the only message', async () => {
    const sha = await repo.commit({ 'bench.yml': 'warnThreshold: 70\n' }, 'Raise the docker-bench WARN threshold to 70');
    const pr = fixture('pull_request.opened.json');
    pr.pull_request.head.sha = sha;
    const res = await send('pull_request', pr);
    expect(res).toEqual({ status: 202, body: { ok: true, result: 'build_requested', sha, channel: 'C0PRS' } });
    const card = await h.slack.waitFor(() => cards(sha)[0], 30_000, 'the run card');
    expect(card.body.channel).toBe('C0PRS');
    expect(blocksText(card.body)).toContain('requested by github:grace-dev');
    const final = await finalCard(sha);
    expect(final).toContain('✅ ansible-lint site.yml');
    expect(final).toContain('Raise the docker-bench WARN threshold to 70');
    await sleep(300);
    expect(cards(sha)).toHaveLength(1);
    expect(h.slack.callsOf('chat.postMessage').filter((c) => c.body.channel === 'C0PRS')).toHaveLength(1);
  });

  it('builds a push once, however often GitHub delivers it', async () => {
    const sha = await repo.commit({ 'roles/marathon/tasks/main.yml': '- name: marathon\n' }, 'Add the marathon role');
    const push = fixture('push.json');
    push.after = sha;
    push.head_commit.id = sha;
    const delivery = randomUUID();
    const before = await jobs();
    const [first, again] = [await send('push', push, delivery), await send('push', push, delivery)];
    expect(first).toMatchObject({ status: 202, body: { result: 'build_requested', sha, channel: 'C0BUILDS' } });
    expect(again).toEqual({ status: 200, body: { ok: true, result: 'duplicate' } });
    const final = await finalCard(sha);
    expect(final).toContain('requested by github:ada-ops');
    expect(await jobs()).toBe(before + 1);
    expect(cards(sha)).toHaveLength(1);
  });

  it('queues nothing for a push that deletes a branch, or for a fork’s pull request', async () => {
    // Counts are read state by state: let the earlier builds settle, or one moving between states is missed.
    await settled();
    const before = await jobs();
    const calls = h.slack.calls.length;
    const deleted = await send('push', fixture('push.delete-branch.json'));
    expect(deleted).toMatchObject({ status: 200, body: { result: 'ignored', message: 'the push deletes a branch' } });
    const fork = fixture('pull_request.opened.json');
    fork.pull_request.head.sha = await repo.head();
    fork.pull_request.head.repo.full_name = 'mallory/Apollo';
    expect(await send('pull_request', fork)).toMatchObject({ status: 200, body: { result: 'ignored' } });
    const elsewhere = fixture('push.json');
    elsewhere.repository.full_name = 'Capgemini/Apollo-docs';
    expect(await send('push', elsewhere)).toMatchObject({ status: 200, body: { result: 'ignored', message: 'Capgemini/Apollo-docs is not the configured repository' } });
    await sleep(500);
    expect(await jobs()).toBe(before);
    expect(h.slack.calls.length).toBe(calls);
  });

  it('lets GitHub redeliver a push whose commit could not be built', async () => {
    const missing = 'f'.repeat(40);
    const push = fixture('push.json');
    push.after = missing;
    const delivery = randomUUID();
    const before = await jobs();
    expect((await send('push', push, delivery)).body.result).toBe('build_requested');
    // The commit is unknown even after a fetch: nothing is queued, and the delivery is released.
    let redelivered = await send('push', push, delivery);
    for (let i = 0; i < 50 && redelivered.body.result === 'duplicate'; i++) {
      await sleep(100);
      redelivered = await send('push', push, delivery);
    }
    expect(redelivered.body.result).toBe('build_requested');
    await sleep(500);
    expect(await jobs()).toBe(before);
    expect(cards(missing)).toEqual([]);
  });
});
