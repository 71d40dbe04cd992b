import { chmodSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/config/schema.js';
import { blocksText, Harness } from '../helpers/harness.js';
import { TestRepo } from '../helpers/git-repo.js';
import { eventually, markedAlive, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';
import { ACTION } from '../../views/actions.js';
import { recordFault } from '../helpers/reliability.js';

describe('cancel', () => {
  let h: Harness;
  let worker: WorkerProcess | undefined;
  let sha: string;
  let pids: string;
  let config: ConfigInput;

  beforeAll(async () => {
    pids = mkdtempSync(join(tmpdir(), 'apollo-pids-'));
    chmodSync(pids, 0o777); // steps run as the sandbox's unprivileged user
    const repo = await TestRepo.create({ 'README': 'x\n' }, 'Slow pipeline');
    sha = await repo.head();
    // The step leaves a grandchild that ignores nothing: only killing the whole group stops it.
    const slow = `(exec -a "apollo-mark-$APOLLO_RUN_ID-$APOLLO_CLOUD" sleep 120) & echo $! > "${pids}/$APOLLO_RUN_ID-$APOLLO_CLOUD.pid"; echo started; wait`;
    config = {
      repository: repo.path,
      access: { approvers: ['U0APPROVER'], deployers: ['U0ALICE', 'U0BOB', 'U0CAROL'] },
      build: { steps: [{ name: 'slow build', run: slow }, { name: 'after', run: 'true' }] },
      clouds: { aws: {}, digitalocean: {} },
      deploy: { steps: [{ name: 'slow apply', run: slow }] },
      destroy: { steps: [{ name: 'destroy', run: 'echo "destroyed $APOLLO_CLOUD"' }] },
    };
    // Web in this process, worker in another: cancel must cross the process boundary.
    h = await Harness.start({ config, worker: false, minIntervalMs: 200 });
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await worker?.child.catch(() => undefined);
    await h?.close();
  });

  const pidOf = (name: string) => Number(readFileSync(join(pids, `${name}.pid`), 'utf8'));
  /** Waits until the step named `name` has written its pid, and returns it. */
  const startedStep = async (name: string): Promise<number> => {
    await eventually(() => {
      try {
        return pidOf(name) > 0;
      } catch {
        return false;
      }
    }, 30_000, `step ${name} to start`);
    return pidOf(name);
  };

  it('removes a queued build without running it', async () => {
    await h.command(`build ${sha}`, 'U0ALICE');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage')[0], 20_000, 'the card');
    const runId = /· (b\d+)/.exec(String(card.body.text))![1]!;
    const res = await h.command(`cancel ${runId}`, 'U0ALICE');
    expect(await h.replyTo(res.responseUrl)).toContain(`Cancelling run \`${runId}\``);
    expect(await h.services.buildQueue.getJob(runId)).toBeUndefined();
    const text = await h.slack.waitFor(() => {
      const last = h.slack.callsOf('chat.update').filter((c) => c.body.ts === card.response!.ts).at(-1);
      return last && blocksText(last.body).includes('cancelled by') ? blocksText(last.body) : undefined;
    }, 20_000, 'the cancelled card');
    expect(text).toContain('🚫 cancelled by <@U0ALICE>');
    expect(text).toContain('🚫 slow build');
  });

  it('stops a running build in another process: the whole process group, then the card says who', async () => {
    worker = await spawnWorker(h, config);
    await h.command(`build ${sha}`, 'U0BOB');
    // Not the first test's card (run b1): matched by its run id, never by a substring a short SHA may hold.
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => !/· b1\b/.test(String(c.body.text))), 20_000, 'the card');
    const ts = String(card.response!.ts);
    const runId = /· (b\d+)/.exec(String(card.body.text))![1]!;
    await startedStep(`${runId}-`);
    const grandchild = `${runId}-`;
    expect(markedAlive(grandchild)).toBe(true);
    const stranger = await h.click(ACTION.cancel, runId, 'U0NOBODY', { ts });
    expect(await h.replyTo(stranger.responseUrl)).toContain('Only the requester, a builder or an approver');
    await h.click(ACTION.cancel, runId, 'U0BOB', { ts });
    await eventually(() => !markedAlive(grandchild), 15_000, 'the grandchild to die');
    const text = await h.slack.waitFor(() => {
      const last = h.slack.callsOf('chat.update').filter((c) => c.body.ts === ts).at(-1);
      return last && String(last.body.text).includes(': cancelled') ? blocksText(last.body) : undefined;
    }, 20_000, 'the cancelled card');
    expect(text).toContain('🚫 slow build');
    expect(text).toContain('⏭️ after');
    expect(text).toContain('🚫 cancelled by <@U0BOB>');
  });

  it('cancels a running deploy of two clouds and releases their locks', async () => {
    await h.command(`deploy all ${sha}`, 'U0CAROL');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').find((c) => String(c.body.text).startsWith('Deploy request')), 20_000, 'the approval card');
    const ts = String(card.response!.ts);
    const runId = /(d\d+)/.exec(String(card.body.text))![1]!;
    await h.click(ACTION.approve, runId, 'U0APPROVER', { ts });
    await eventually(async () => (await h.services.locks.state('aws')).run !== undefined && (await h.services.locks.state('digitalocean')).run !== undefined, 30_000, 'both clouds locked');
    await Promise.all([startedStep(`${runId}-aws`), startedStep(`${runId}-digitalocean`)]);
    const res = await h.command(`cancel ${runId}`, 'U0APPROVER');
    expect(await h.replyTo(res.responseUrl)).toContain('Cancelling');
    await eventually(() => !markedAlive(`${runId}-aws`) && !markedAlive(`${runId}-digitalocean`), 15_000, 'both groups to die').catch(() => undefined);
    await eventually(async () => JSON.stringify(await h.services.locks.state('aws')) === '{}' && JSON.stringify(await h.services.locks.state('digitalocean')) === '{}', 15_000, 'locks released').catch(() => undefined);
    const leaks =
      ['aws', 'digitalocean'].filter((c) => markedAlive(`${runId}-${c}`)).length +
      (await Promise.all(['aws', 'digitalocean'].map((c) => h.services.locks.state(c)))).filter((s) => s.run).length;
    recordFault({ suite: 'cancel', fault: 'cancel of a running two-cloud deploy, web and worker in separate processes', tried: 1, lost: 0, duplicates: 0, leaks });
    expect(leaks).toBe(0);
    const text = await h.slack.waitFor(() => {
      const last = h.slack.callsOf('chat.update').filter((c) => c.body.ts === ts).at(-1);
      return last && String(last.body.text).endsWith(': cancelled') ? blocksText(last.body) : undefined;
    }, 20_000, 'the cancelled deploy card');
    expect(text).toContain('🚫 *aws* cancelled');
    expect(text).toContain('🚫 *digitalocean* cancelled');
    expect(text).toContain('🚫 cancelled by <@U0APPROVER>');
    const again = await h.command(`cancel ${runId}`, 'U0APPROVER');
    expect(await h.replyTo(again.responseUrl)).toContain('already cancelled');

    // What the cancelled apply created can still be destroyed.
    await h.destroy(runId, 'U0APPROVER', { ts });
    const destroyed = await h.slack.waitFor(() => {
      const last = h.slack.callsOf('chat.update').filter((c) => c.body.ts === ts).at(-1);
      return last && blocksText(last.body).includes('*destroyed*') ? blocksText(last.body) : undefined;
    }, 30_000, 'the destroyed card');
    expect(destroyed).toMatch(/🧨 Destroy requested by <@U0APPROVER> at (?:\w{3} \d{1,2} \w{3}(?: \d{4})? )?\d\d:\d\d UTC: \*destroyed\*\n✅ \*aws\* passed/);
  });

  it('stops a job whose cancel broadcast never arrived (the flag is polled)', async () => {
    const before = h.slack.callsOf('chat.postMessage').length;
    await h.command(`build ${sha}`, 'U0ALICE');
    const card = await h.slack.waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).startsWith('Build')), 20_000, 'the new card');
    const runId = /· (b\d+)/.exec(String(card.body.text))![1]!;
    await startedStep(`${runId}-`);
    // As if the pub/sub message was lost: only the flag in Redis says "cancelled".
    const step = `${runId}-`;
    expect(markedAlive(step)).toBe(true);
    await h.services.runs.markCancelled(runId, 'U0ALICE');
    await eventually(() => !markedAlive(step), 15_000, 'the step to stop');
    await h.slack.waitFor(() => h.slack.callsOf('chat.update').find((c) => c.body.ts === card.response!.ts && String(c.body.text).includes(': cancelled')), 20_000, 'the cancelled card');
  });
});
