import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';

const ENV = { GIT_AUTHOR_NAME: 'M', GIT_AUTHOR_EMAIL: 'm@example.test', GIT_COMMITTER_NAME: 'M', GIT_COMMITTER_EMAIL: 'm@example.test' };

/** Approval checks again, just before anything runs, that the commit is still reviewed. */
describe('approving a deploy', () => {
  let h: Harness;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await TestRepo.create({ README: 'x\n' }, 'Reviewed');
    h = await Harness.start({
      config: {
        repository: repo.path,
        access: { deployers: ['*'], approvers: ['U0APPROVER'], protectedBranches: ['main'] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'apply', run: 'echo applied' }] },
      },
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a commit force-pushed out of the protected branch since it was requested', async () => {
    const base = await repo.head();
    const later = await repo.commit({ b: '1' }, 'Later, then withdrawn');
    await h.command(`deploy aws ${later}`, 'U0REQUEST');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card');
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    // main no longer contains the requested commit.
    await execa('git', ['reset', '--quiet', '--hard', base], { cwd: repo.path, env: ENV });
    await new Promise((r) => setTimeout(r, 5100)); // past the mirror's fetch freshness
    const click = await h.click(ACTION.approve, runId, 'U0APPROVER', { ts: String(card.response!.ts) });
    expect(await h.replyTo(click.responseUrl)).toMatch(/not on (a protected branch|any branch or tag)/);
    expect((await h.services.runs.get(runId))?.decision).toBeUndefined();
    expect(await h.services.deployFlow.cloudQueue.count()).toBe(0);
  });
});
