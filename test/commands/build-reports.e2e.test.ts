import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { stepReadableCopy } from '../helpers/step-readable.js';

// Steps run as an unprivileged user: they read the fixtures from a copy they can enter.
const FIXTURES = stepReadableCopy('test/fixtures/reports');

describe('/apollo build with test reports', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'site.yml': '- hosts: all\n' }, 'Playbook');
    sha = await repo.head();
    h = await Harness.start({
      config: {
        repository: repo.path,
        build: {
          steps: [
            { name: 'ansible-lint site.yml', run: 'test -f site.yml' },
            // bats writes TAP on stdout; the report is parsed from it.
            { name: 'bash unit tests', run: 'cat "$FIXTURES/bats-apollo-bootstrap.tap"', env: { FIXTURES }, report: { format: 'tap' } },
          ],
        },
      },
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('fails a step whose TAP report has failures even on exit 0, and lists them in the thread', async () => {
    await h.command(`build ${sha}`);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => String(c.body.text).endsWith(': failed — Playbook')), 30_000, 'the failed card');
    const text = blocksText(card.body);
    expect(text).toContain('✅ ansible-lint site.yml');
    expect(text).toMatch(/❌ bash unit tests {2}_\d+ms_ — 3\/4 passed, 1 failed \(report shows failures\)/);
    const thread = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => c.body.thread_ts !== undefined), 20_000, 'the failures reply');
    expect(blocksText(thread.body)).toContain('*build · bash unit tests*: 3/4 passed, 1 failed');
    expect(blocksText(thread.body)).toContain('bootstrap.bats:28');
  });
});
