import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';

describe('runs started outside the team channel', () => {
  let h: Harness;
  let repo: TestRepo;

  beforeAll(async () => {
    repo = await TestRepo.create({ README: 'x\n' }, 'Verdict');
    h = await Harness.start({ config: { repository: repo.path, channel: 'C0TEAM', build: { steps: [{ name: 'check', run: 'true' }] } }, minIntervalMs: 200 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('post their final verdict in `channel` once; runs in the channel do not', async () => {
    const fromDm = await repo.commit({ a: '1' }, 'From another channel');
    await h.command(`build ${fromDm}`, 'U0DMUSER', 'C0ELSEWHERE');
    const verdict = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => c.body.channel === 'C0TEAM'), 30_000, 'the verdict in the team channel');
    const text = blocksText(verdict.body);
    expect(text).toMatch(new RegExp(`✅ Build \`b\\d+\` of \`${fromDm.slice(0, 7)}\` \\*passed\\* in \\d+ms — requested by <@U0DMUSER>`));
    expect(text).toContain('started in <#C0ELSEWHERE>');
    expect(h.slack.callsOf('chat.postMessage').filter((c) => c.body.channel === 'C0ELSEWHERE')).toHaveLength(1);

    const inChannel = await repo.commit({ b: '2' }, 'In the channel');
    await h.command(`build ${inChannel}`, 'U0DMUSER', 'C0TEAM');
    await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => String(c.body.text).includes(inChannel.slice(0, 7)) && String(c.body.text).includes(': passed')), 30_000, 'the channel build');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.callsOf('chat.postMessage').filter((c) => c.body.channel === 'C0TEAM')).toHaveLength(2); // the verdict + the channel build's own card
  });
});
