import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { ask, cardWhere } from '../helpers/deploy-steps.js';
import { eventually } from '../helpers/worker-process.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const READER = 'U0READER';

/** Per-cloud deploy history, and /apollo rollback through the same approval. */
describe('rollback and per-cloud history', () => {
  let h: Harness;
  let first: string;
  let second: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'README.md': 'v1\n' }, 'Version one');
    first = await repo.head();
    second = await repo.commit({ 'README.md': 'v2\n' }, 'Version two');
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { deployers: [REQUESTER], approvers: [APPROVER] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'apply', run: 'echo "deploying $APOLLO_COMMIT"' }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function deploy(sha: string): Promise<string> {
    const { runId, ts } = await ask(h, `deploy aws ${sha}`, REQUESTER);
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    await cardWhere(h, ts, (t) => t.includes('*passed*'), `deploy of ${sha}`);
    return runId;
  }

  it('history lists each deploy of the cloud with commit, who, outcome and card; rollback asks for the previous commit, with the same approval', async () => {
    const one = await deploy(first);
    const two = await deploy(second);
    // The history is written just after each lane ends: the card may show "passed" a moment before.
    await eventually(async () => (await h.services.cloudState.history('aws')).length >= 2, 30_000, 'both deploys in the history');
    const history = await h.command('history aws', READER);
    const text = await h.replyTo(history.responseUrl);
    expect(text).toContain('*Deploys of aws* (newest first)');
    const lines = text.split('\n').filter((l) => l.includes('· run `'));
    expect(lines[0]).toContain(`\`${second.slice(0, 7)}\` by <@${REQUESTER}> · passed · run \`${two}\``);
    expect(lines[1]).toContain(`\`${first.slice(0, 7)}\` by <@${REQUESTER}> · passed · run \`${one}\``);
    expect(lines[0]).toMatch(/<https:\/\/slack\.example\/archives\/C0APOLLO\/p\d+\|card>/);

    const denied = await h.command('rollback aws', READER);
    expect(await h.replyTo(denied.responseUrl)).toContain('You are not allowed to request deploys');

    const res = await h.command('rollback aws', REQUESTER);
    expect(await h.replyTo(res.responseUrl)).toMatch(new RegExp(`Rollback of \\*aws\\* from \`${second.slice(0, 7)}\` to \`${first.slice(0, 7)}\` requested as \`(d\\d+)\``));
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').filter((c) => String(c.body.text).startsWith('Deploy request')).at(-1), 30_000, 'the rollback card');
    const ts = String(card.response!.ts);
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    expect(await cardWhere(h, ts, (t) => t.includes('↩️ rollback'), 'the rollback note')).toContain(`from \`${second.slice(0, 7)}\``);
    expect((await h.services.runs.get(runId))?.sha).toBe(first);
    await h.click(ACTION.approve, runId, APPROVER, { ts });
    await cardWhere(h, ts, (t) => t.includes('*passed*'), 'the rollback deployed');
    await eventually(async () => (await h.services.cloudState.lastDeploy('aws'))?.sha === first, 30_000, 'the rolled-back commit live');
  });
});
