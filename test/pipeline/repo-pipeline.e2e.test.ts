import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blocksText, Harness, cardRunId } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { ask, cardWhere } from '../helpers/deploy-steps.js';

const DEV = 'U0DEV';
const APPROVER = 'U0APPROVER';

const GOOD = `
# the repository's own pipeline, as wercker.yml was
build:
  steps:
    - name: repo lint
      run: echo "ok 1 - lint"; echo "ok 2 - format"
      report: { format: lines, passPattern: '^ok ', failPattern: '^not ok ' }
deploy:
  steps:
    - name: repo apply
      run: echo "applying from the repository"
destroy:
  steps:
    - name: repo destroy
      run: echo "destroying"
`;

/** A pull request trying to grant itself access and credentials, with a step missing its script. */
const BROKEN = `
access:
  deployers: ['*']
clouds:
  aws: { env: { AWS_SECRET_ACCESS_KEY: { fromEnv: AWS_SECRET_ACCESS_KEY } } }
build:
  steps:
    - name: no script
`;

/**
 * A pull request whose file sets variables that run code in any shell or loader that reads them:
 * they may only ever reach the step user's processes, never a root process of the sandbox.
 */
const HIJACK = `
build:
  steps:
    - name: hijack
      env: { BASH_ENV: ./pwn.sh, LD_PRELOAD: ./nothing.so, PATH: './bin:/usr/bin:/bin' }
      run: echo "step uid=$(id -u)"
`;

describe('a pipeline that lives in the repository (pipeline.fromRepo)', () => {
  let h: Harness;
  let repo: TestRepo;
  let good: string;
  let broken: string;
  let plain: string;
  let hijack: string;

  beforeAll(async () => {
    repo = await TestRepo.create({ 'README.md': 'x\n' }, 'Before the pipeline file');
    plain = await repo.head();
    good = await repo.commit({ '.apollo.yml': GOOD }, 'Add the pipeline file');
    broken = await repo.commit({ '.apollo.yml': BROKEN }, 'Grant myself everything');
    hijack = await repo.commit(
      {
        '.apollo.yml': HIJACK,
        'pwn.sh': 'echo "pwned as uid=$(id -u)"\n',
        // Anything the sandbox's root part would find first on a step-chosen PATH.
        'bin/mount': '#!/bin/sh\necho "fake mount as uid=$(id -u)"\n',
        'bin/setpriv': '#!/bin/sh\necho "fake setpriv as uid=$(id -u)"\n',
      },
      'Hijack the sandbox',
    );
    h = await Harness.start({
      minIntervalMs: 200,
      config: {
        repository: repo.path,
        access: { builders: [DEV], deployers: [DEV], approvers: [APPROVER] },
        pipeline: { fromRepo: '.apollo.yml' },
        build: { steps: [{ name: 'server build', run: 'echo server' }] },
        clouds: { aws: {} },
        deploy: { steps: [{ name: 'server apply', run: 'echo server' }] },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function buildCard(sha: string): Promise<{ ts: string; text: string }> {
    const before = h.slack.callsOf('chat.postMessage').length;
    const res = await h.command(`build ${sha}`, DEV);
    expect(res.status).toBe(200);
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).includes(sha.slice(0, 7))), 30_000, 'the build card');
    const ts = String(card.response!.ts);
    const text = await cardWhere(h, ts, (t) => /\*(passed|failed)\*/.test(t), 'the finished build', 60_000);
    return { ts, text };
  }

  it("runs the commit's own build steps, and the card says where they come from", async () => {
    const { text } = await buildCard(good);
    expect(text).toContain('repo lint');
    expect(text).toContain('lines: 2 passed, 0 failed');
    expect(text).not.toContain('server build');
    expect(text).toContain('📄 steps from `.apollo.yml` in this commit');
    expect(text).toContain('*passed*');
  });

  it('runs the server pipeline for a commit without the file', async () => {
    const { text } = await buildCard(plain);
    expect(text).toContain('server build');
    expect(text).not.toContain('📄');
  });

  it('shows every problem of a broken file by path on the card, refuses what only the server may say, and runs nothing', async () => {
    const { text } = await buildCard(broken);
    expect(text).toContain(`❌ .apollo.yml in ${broken.slice(0, 7)} is invalid:`);
    expect(text).toContain("access: not allowed in a repository pipeline (access, clouds, secrets and limits stay in the server's apollo.yml)");
    expect(text).toContain("clouds: not allowed in a repository pipeline");
    expect(text).toContain('build.steps[0].run: required');
    expect(text).toContain('*failed*');
    const runId = cardRunId(text);
    expect(await h.services.buildQueue.getJob(runId)).toBeUndefined();
  });

  it("asks approval for the commit's own deploy steps, named on the card, and refuses a broken file by path", async () => {
    const { ts } = await ask(h, `deploy aws ${good}`, DEV);
    const card = blocksText(h.latestCard(ts)!);
    expect(card).toContain('📄 steps from `.apollo.yml` in this commit · deploy: repo apply · destroy: repo destroy');

    const res = await h.command(`deploy aws ${broken}`, DEV);
    const reply = await h.replyTo(res.responseUrl);
    expect(reply).toContain(`.apollo.yml in ${broken.slice(0, 7)} is invalid:`);
    expect(reply).toContain('access: not allowed in a repository pipeline');
    expect(reply).toContain('build.steps[0].run: required');
  });

  it("never lets a repository's step environment reach a root process of the sandbox", async () => {
    const { text } = await buildCard(hijack);
    expect(text).toContain('*passed*');
    const runId = cardRunId(text);
    const log = (await h.services.logs.get(runId, 'build'))!;
    // BASH_ENV runs in the step's own shell, as the step user; the fake mount and setpriv never run.
    expect(log).toMatch(/pwned as uid=(?!0\b)\d+/);
    expect(log).toMatch(/step uid=(?!0\b)\d+/);
    expect(log).not.toContain('fake mount');
    expect(log).not.toContain('fake setpriv');
    expect(log).not.toMatch(/uid=0\b/);
  });
});
