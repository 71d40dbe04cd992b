import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { ask, buttons, cardWhere } from '../helpers/deploy-steps.js';
import { eventually } from '../helpers/worker-process.js';
import { ciFixture, sendCi } from '../webhooks/webhook-client.js';

const REQUESTER = 'U0REQUESTER';
const APPROVER = 'U0APPROVER';
const CI_SECRET = 'ci-secret';

/** deploy.requireGreenBuild: refused with "Build it now", let through by a passed build or CI, forced by approvers only. */
describe('the green-build gate', () => {
  let h: Harness;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Gate me');
    h = await Harness.start({
      minIntervalMs: 200,
      webhooks: { ci: CI_SECRET },
      config: {
        repository: repo.path,
        channel: 'C0APOLLO',
        access: { deployers: [REQUESTER, APPROVER], approvers: [APPROVER] },
        build: { steps: [{ name: 'compile', run: 'true' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'apply', run: 'echo applied' }], requireGreenBuild: true },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses an unbuilt commit with a Build it now button that builds it; then the deploy is asked', async () => {
    const sha = await repo.commit({ a: '1' }, 'Unbuilt');
    const res = await h.command(`deploy aws ${sha}`, REQUESTER);
    const reply = await h.slack.waitFor(() => h.replyBodies(res.responseUrl)[0], 30_000, 'the refusal');
    expect(String(reply.text)).toContain('has no passed build: `deploy.requireGreenBuild` is on');
    expect(buttons(reply)).toEqual(['Build it now']);
    expect(await h.services.runs.recentIds(10)).toEqual([]);

    const click = await h.click(ACTION.buildNow, sha, REQUESTER);
    expect(await h.replyTo(click.responseUrl)).toMatch(/Build `b\d+` of `[0-9a-f]{7}` started/);
    await eventually(async () => (await h.services.greenBuilds.green(sha)) !== undefined, 60_000, 'the build to pass');

    const { ts } = await ask(h, `deploy aws ${sha}`, REQUESTER);
    expect(await cardWhere(h, ts, (t) => t.includes('Waiting for an approver'), 'the approval card')).not.toContain('forced');
  });

  it('a passed CI notification for the commit lets it through', async () => {
    const sha = await repo.commit({ b: '1' }, 'Built by CI');
    const event = { ...ciFixture('failed.json'), id: undefined, status: 'passed', commit: sha, runId: '9001', tests: undefined };
    const answer = await sendCi(h.baseUrl, event, { secret: CI_SECRET, delivery: 'gate-9001' });
    expect(answer.status).toBe(202);
    await ask(h, `deploy aws ${sha}`, REQUESTER);
  });

  it('--force is refused to a non-approver, and allowed to an approver: audited and shown on the card', async () => {
    const sha = await repo.commit({ c: '1' }, 'Forced');
    const denied = await h.command(`deploy aws ${sha} --force`, REQUESTER);
    expect(await h.replyTo(denied.responseUrl)).toContain('Only approvers may use `--force`');
    const { runId, ts } = await ask(h, `deploy aws ${sha} --force`, APPROVER);
    const card = h.latestCard(ts)!;
    expect(blocksText(card)).toContain(`forced by <@${APPROVER}> with \`--force\``);
    const history = await h.command('history', REQUESTER);
    expect(await h.replyTo(history.responseUrl)).toContain(`forced past the green-build gate \`${runId}\``);
  });
});
