import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION } from '../../views/actions.js';
import { blocksText, Harness, cardRunId } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';

/**
 * What a coloured tool prints, as a build step's output: colours, an OSC 8 link as ansible-lint
 * writes one, a carriage-return progress bar, and one verdict per test for the lines report.
 */
const BUILD_SH = [
  '#!/bin/bash',
  "printf '\\033[1;34m==> building\\033[0m\\n'",
  "printf 'see \\033]8;;https://ansible.readthedocs.io/projects/lint/rules/yaml/\\033\\\\yaml[truthy]\\033]8;;\\033\\\\ for details\\n'",
  "for p in 10 40 70 100; do printf '\\rdownloading %3d%%' \"$p\"; done; printf '\\n'",
  "printf '\\033[32mPASS\\033[0m unit one\\n'",
  "printf '\\033[31mFAIL\\033[0m unit two\\n'",
  '',
].join('\n');

/** Every string in a value, however deep: what Slack was sent, field by field. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The file inside an upload: the fake keeps the multipart body, whose framing has its own CRLFs. */
function uploadedFile(raw: Buffer): string {
  const body = raw.toString('utf8');
  const boundary = body.slice(0, body.indexOf('\r\n'));
  const start = body.indexOf('\r\n\r\n') + 4;
  return body.slice(start, body.indexOf(`\r\n${boundary}`, start));
}

function expectPlain(text: string): void {
  expect(text).not.toContain('\x1b');
  expect(text).not.toContain('\r');
}

describe('nothing raw from a terminal reaches Slack', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'build.sh': BUILD_SH }, 'Coloured build');
    sha = await repo.head();
    h = await Harness.start({
      config: {
        repository: repo.path,
        access: { deployers: ['*'], approvers: ['U0APPROVER'] },
        build: { steps: [{ name: 'coloured tests', run: './build.sh', report: { format: 'lines', passPattern: '^PASS ', failPattern: '^FAIL ' } }] },
      },
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('shows colours, links and progress bars as plain text on the card, in the thread, the upload and the stored log', async () => {
    await h.command(`build ${sha}`);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => String(c.body.text).includes(': failed')), 30_000, 'the failed card');
    // The report read the plain lines: exit 0, but one FAIL line, so the step failed.
    expect(blocksText(card.body)).toContain('lines: 1 passed, 1 failed (report shows failures)');
    const thread = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => c.body.thread_ts !== undefined), 20_000, 'the failures reply');
    expect(blocksText(thread.body)).toContain('FAIL unit two');

    const buildId = cardRunId(h.slack.callsOf('chat.postMessage')[0]!.body);
    await h.click(ACTION.logs, `${buildId}|build|run`, 'U0APPROVER', { ts: String(card.body.ts) });
    await h.slack.waitFor(() => h.slack.callsOf('files.completeUploadExternal')[0], 30_000, 'the log upload');
    const upload = [...h.slack.uploads.values()].map(uploadedFile).join('\n');
    const stored = (await h.services.logs.get(buildId, 'build')) ?? '';

    for (const log of [upload, stored]) {
      expect(log).toContain('==> building\nsee yaml[truthy] for details\ndownloading 100%\nPASS unit one\nFAIL unit two\n');
      expect(log).not.toContain('downloading  10%');
      expectPlain(log);
    }
    // Every card, thread reply and ephemeral answer, field by field.
    for (const text of strings(h.slack.calls)) expectPlain(text);
  });
});
