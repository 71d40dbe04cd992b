import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ACTION } from '../../views/actions.js';
import { recordFault } from '../helpers/reliability.js';

const CANARIES = {
  configSecret: 'canary-config-secret-7f3a9c',
  cloudSecret: 'canary-cloud-secret-b41d2e',
  awsId: 'AKIACANARY0123456789',
  awsSecret: 'Zx8/Canary+SecretKeyValue0123456789abcdE',
  slackToken: 'xoxb-000000000000-111111111111-CanaryTokenValue',
  pemBody: 'MIICanaryPrivateKeyBodyLine',
  password: 'canary-hunter2',
};

describe('no secret reaches Slack (canary)', () => {
  let h: Harness;
  let sha: string;

  beforeAll(async () => {
    process.env.APOLLO_CANARY_TOKEN = CANARIES.configSecret;
    const repo = await TestRepo.create({ 'leak.sh': `#!/bin/bash
echo "config secret: $APOLLO_CANARY_TOKEN"
echo "cloud secret: $CLOUD_SECRET"
echo "aws: ${CANARIES.awsId} ${CANARIES.awsSecret}"
echo "slack: ${CANARIES.slackToken}"
printf -- '-----BEGIN RSA PRIVATE KEY-----\\n${CANARIES.pemBody}\\n-----END RSA PRIVATE KEY-----\\n'
echo "db password=${CANARIES.password}"
exit 1
` }, 'Leaky step');
    sha = await repo.head();
    h = await Harness.start({
      config: {
        repository: repo.path,
        secrets: ['APOLLO_CANARY_TOKEN'],
        access: { approvers: ['U0APPROVER'] },
        build: { steps: [{ name: 'leak', run: './leak.sh' }] },
        clouds: { aws: { env: { CLOUD_SECRET: { value: CANARIES.cloudSecret, secret: true } } } },
        deploy: { steps: [{ name: 'leak', run: './leak.sh' }] },
      },
      minIntervalMs: 200,
    });
  });
  afterAll(async () => {
    await h?.close();
    delete process.env.APOLLO_CANARY_TOKEN;
  });

  it('prints every kind of secret from a failing build and deploy, then uploads the log', async () => {
    await h.command(`build ${sha}`);
    await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => String(c.body.text).includes(': failed')), 30_000, 'the failed build card');

    const res = await h.command(`deploy aws ${sha}`, 'U0REQUEST');
    expect(res.status).toBe(200);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card');
    const ts = String(card.response!.ts);
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    await h.click(ACTION.approve, runId, 'U0APPROVER', { ts });
    await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => c.body.ts === ts && String(c.body.text).endsWith(': failed')), 30_000, 'the failed deploy card');
    await h.click(ACTION.logs, `${runId}|aws|run`, 'U0APPROVER', { ts });
    await h.slack.waitFor(() => h.slack.callsOf('files.completeUploadExternal')[0], 20_000, 'the log upload');

    const everything = JSON.stringify(h.slack.calls) + [...h.slack.uploads.values()].map((b) => b.toString('utf8')).join('\n');
    // The canary really was printed and posted (in redacted form)...
    expect(everything).toContain('config secret: [REDACTED]');
    expect(everything).toContain('cloud secret: [REDACTED]');
    // ...and no secret left.
    const leaked = Object.entries(CANARIES).filter(([, value]) => everything.includes(value)).map(([name]) => name);
    recordFault({ suite: 'redaction', fault: 'canary secrets printed by failing steps, posted on cards, in threads and uploaded logs', tried: Object.keys(CANARIES).length, lost: 0, duplicates: 0, leaks: leaked.length });
    expect(leaked).toEqual([]);
  });
});
