import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { Harness, cardRunId } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { assertNoCanary, canaryScript, CANARIES, CONFIGURED_SECRET } from '../helpers/canaries.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';
import { ACTION } from '../../views/actions.js';
import { recordFault } from '../helpers/reliability.js';

const CLOUD_SECRET = 'canary-cloud-secret-b41d2e';

/**
 * Every credential shape a step might print, from a failing build and a failing deploy, with the
 * web and the worker in separate processes: the web process does not know the worker's secrets, so
 * what it uploads must already have been redacted where the output was produced.
 */
describe('no secret reaches Slack (canary)', () => {
  let h: Harness;
  let worker: WorkerProcess;
  let sha: string;

  beforeAll(async () => {
    const repo = await TestRepo.create({ 'leak.sh': `#!/bin/bash\necho "cloud secret: $CLOUD_SECRET"\n${canaryScript()}exit 1\n` }, 'Leaky step');
    sha = await repo.head();
    const config: ConfigInput = {
      repository: repo.path,
      // The worker's own variable; the web process below never has it.
      secrets: ['APOLLO_CANARY_SECRET'],
      access: { deployers: ['*'], approvers: ['U0APPROVER'] },
      build: { steps: [{ name: 'leak', run: './leak.sh' }] },
      clouds: { aws: { env: { CLOUD_SECRET: { value: CLOUD_SECRET, secret: true } } } },
      deploy: { steps: [{ name: 'leak', run: './leak.sh' }] },
    };
    expect(process.env.APOLLO_CANARY_SECRET).toBeUndefined();
    h = await Harness.start({ config, worker: false, minIntervalMs: 200 });
    worker = await spawnWorker(h, config, { APOLLO_CANARY_SECRET: CONFIGURED_SECRET });
  });

  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.child.catch(() => undefined);
    await h?.close();
  });

  it('prints every kind of secret from a failing build and deploy; cards, threads, uploads and stored logs show none', async () => {
    await h.command(`build ${sha}`);
    await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => String(c.body.text).includes(': failed')), 60_000, 'the failed build card');

    const res = await h.command(`deploy aws ${sha}`, 'U0REQUEST');
    expect(res.status).toBe(200);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card');
    const ts = String(card.response!.ts);
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    await h.click(ACTION.approve, runId, 'U0APPROVER', { ts });
    await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => c.body.ts === ts && String(c.body.text).endsWith(': failed')), 60_000, 'the failed deploy card');
    const buildId = cardRunId(h.slack.callsOf('chat.postMessage')[0]!.body);
    await h.click(ACTION.logs, `${runId}|aws|run`, 'U0APPROVER', { ts });
    await h.slack.waitFor(() => h.slack.callsOf('files.completeUploadExternal')[0], 30_000, 'the log upload');

    const uploads = [...h.slack.uploads.values()].map((b) => b.toString('utf8')).join('\n');
    const stored = [await h.services.logs.get(buildId, 'build'), await h.services.logs.get(runId, 'aws')].join('\n');
    const everything = `${JSON.stringify(h.slack.calls)}\n${uploads}\n${stored}`;
    // The canaries really were printed and uploaded (redacted)...
    expect(uploads).toContain('Using AWS access key [REDACTED] for profile ci');
    expect(uploads).toContain('cloud secret: [REDACTED]');
    expect(stored).toContain('deploy credential in use: [REDACTED]');
    // ...and none is left anywhere, nor the configured and cloud secrets.
    const leaked = [...assertNoCanary(everything), ...[CONFIGURED_SECRET, CLOUD_SECRET].filter((s) => everything.includes(s))];
    recordFault({
      suite: 'redaction',
      fault: `canary secrets in ${CANARIES.length} shapes printed by failing steps (worker in its own process), posted on cards, in threads, uploaded logs and stored logs`,
      tried: CANARIES.length + 1,
      lost: 0,
      duplicates: 0,
      leaks: leaked.length,
    });
    expect(leaked).toEqual([]);
    // Nothing unredacted stays on the worker's disk either: log files go once stored.
    const logs = join(worker.stateDir, 'logs');
    expect(existsSync(logs) ? readdirSync(logs).flatMap((d) => readdirSync(join(logs, d))) : []).toEqual([]);
  });
});
