import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, cardRunId } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';

const SENSITIVE = 'FakeTfSensitiveDbPass0x9';

/**
 * A value terraform marks sensitive is learned by the worker from the output it parses; every
 * later text of the lane — the card, the stored log, and the failures posted in the thread —
 * hides it, although no configured secret names it.
 */
describe('secrets a run learns', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    const outputs = JSON.stringify({ db_password: { sensitive: true, type: 'string', value: SENSITIVE } }, null, 2);
    const tap = ['TAP version 13', '1..2', 'ok 1 - database reachable', `not ok 2 - login as admin`, `  ---`, `  message: could not log in with ${SENSITIVE}`, `  ...`].join('\n');
    const repo = await TestRepo.create({ 'outputs.json': `${outputs}\n`, 'login.tap': `${tap}\n` }, 'Outputs then a failing suite');
    sha = await repo.head();
    h = await Harness.start({
      config: {
        repository: repo.path,
        build: {
          steps: [
            { name: 'terraform output', run: 'cat outputs.json', report: { format: 'terraform' } },
            { name: 'login tests', run: 'cat login.tap', report: { format: 'tap' } },
          ],
        },
      },
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps a sensitive terraform output out of the card, the log and the failures thread', async () => {
    await h.command(`build ${sha}`);
    const thread = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => c.body.thread_ts !== undefined), 60_000, 'the failures thread');
    const runId = cardRunId(h.slack.callsOf('chat.postMessage')[0]!.body);
    let log: string | undefined;
    for (let i = 0; i < 100 && log === undefined; i++) {
      log = await h.services.logs.get(runId, 'build');
      if (log === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(JSON.stringify(thread.body)).toContain('login as admin');
    const everything = `${JSON.stringify(h.slack.calls)}\n${log ?? ''}`;
    expect(everything).not.toContain(SENSITIVE);
  });
});
