import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KnownBlock } from '@slack/types';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { limitViolations } from '../../views/limits.js';

const REQUESTER = 'U0REQUESTER';
const OUTSIDER = 'U0OUTSIDER';

/** `/apollo deploy` without arguments: a form whose submission asks as the command does. */
describe('the deploy form', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Asked through a form');
    sha = await repo.head();
    h = await Harness.start({
      worker: false,
      config: {
        repository: repo.path,
        access: { deployers: [REQUESTER], approvers: ['U0APPROVER'] },
        build: { steps: [{ name: 'noop', run: 'true' }] },
        clouds: { aws: {}, gcp: {} },
        deploy: { steps: [{ name: 'apply', run: 'true' }], tests: [{ name: 'smoke', run: 'true' }, { name: 'bench', run: 'true' }] },
        destroy: { steps: [{ name: 'destroy', run: 'true' }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function openForm(user: string): Promise<{ callback_id: string; private_metadata: string; blocks: KnownBlock[] }> {
    const before = h.slack.callsOf('views.open').length;
    await h.command('deploy', user);
    const call = await h.slack.waitFor(() => h.slack.callsOf('views.open')[before], 30_000, 'the deploy form');
    return (typeof call.body.view === 'string' ? JSON.parse(call.body.view) : call.body.view) as { callback_id: string; private_metadata: string; blocks: KnownBlock[] };
  }

  const values = (clouds: string[], ref: string, extra: Record<string, unknown> = {}) => ({
    clouds: { clouds: { selected_options: clouds.map((value) => ({ value })) } },
    ref: { ref: { value: ref } },
    tests: { tests: { selected_options: [{ value: 'smoke' }] } },
    lifetime: { lifetime: { selected_option: { value: 'ephemeral' } } },
    keep: { keep: { value: null } },
    reason: { reason: { value: 'hotfix for <!here>' } },
    ...extra,
  });

  it('opens a form with the clouds, suites and lifetimes; submitting it posts the same approval card as the command', async () => {
    const form = await openForm(REQUESTER);
    expect(form.callback_id).toBe('deploy_request');
    expect(limitViolations(form.blocks)).toEqual([]);
    expect(JSON.stringify(form.blocks)).toContain('"value":"gcp"');
    const before = h.slack.callsOf('chat.postMessage').length;
    const res = await h.submitView(form, values(['aws'], sha) , REQUESTER);
    expect(res.body).toBe('');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card');
    const text = blocksText(card.body);
    expect(text).toContain('💬 hotfix for &lt;!here&gt;');
    expect(text).toContain('tests: smoke · skipped: bench');
    expect(text).toContain('🧹 ephemeral');
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    expect(await h.services.runs.get(runId)).toMatchObject({ laneNames: ['aws'], tests: ['smoke'], ephemeral: true, reason: 'hotfix for <!here>', requestedBy: REQUESTER });
  });

  it('says what is wrong in the form: no cloud, a bad ref, a keep without a lifetime', async () => {
    const form = await openForm(REQUESTER);
    const res = await h.submitView(form, values([], 'bad ref;rm', { lifetime: { lifetime: { selected_option: { value: 'keep' } } } }) , REQUESTER);
    const answer = JSON.parse(res.body) as { response_action: string; errors: Record<string, string> };
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors).sort()).toEqual(['clouds', 'keep', 'ref']);
  });

  it('refuses someone who may not request deploys: no form for them, and a submitted one is refused in the form', async () => {
    const res = await h.command('deploy', OUTSIDER);
    expect(await h.replyTo(res.responseUrl)).toContain('You are not allowed to request deploys');
    const form = await openForm(REQUESTER);
    const before = await h.services.runs.recentIds(100);
    const submitted = await h.submitView(form, values(['aws'], sha) , OUTSIDER);
    expect(JSON.parse(submitted.body)).toMatchObject({ response_action: 'errors', errors: { clouds: expect.stringContaining('not allowed to request deploys') } });
    expect(await h.services.runs.recentIds(100)).toEqual(before);
  });
});
