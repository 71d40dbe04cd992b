import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestBuild, startBuild, type RequestBuildDeps } from '../../src/actions/request-build.js';
import { LimitReachedError, type LimitReached } from '../../src/access/user-limits.js';
import { buildDedupId } from '../../src/queue/build-queue.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import { type AccessInput, CHANNEL, fakeAccess, fakeCards, fakeLogger, fakeMirror, memoryAudit, memoryRuns, SHA, T0, testConfig } from '../helpers/action-fakes.js';

const BUILDER = 'U0BUILDER';

/** BullMQ's deduplication as the build queue uses it: a second add with a live dedup id returns the first job. */
function buildQueue(options: { fails?: Error; queued?: Record<string, string> } = {}) {
  const byDedup = new Map(Object.entries(options.queued ?? {}));
  const added: Array<{ name: string; data: unknown; jobId: string; dedup: string }> = [];
  const queue = {
    added,
    async add(name: string, data: { runId: string }, opts: { jobId: string; deduplication: { id: string } }) {
      if (options.fails) throw options.fails;
      const existing = byDedup.get(opts.deduplication.id);
      if (existing) return { id: existing };
      byDedup.set(opts.deduplication.id, opts.jobId);
      added.push({ name, data, jobId: opts.jobId, dedup: opts.deduplication.id });
      return { id: opts.jobId };
    },
  };
  // RequestBuildDeps takes the whole BullMQ queue; a build is queued with `add` only.
  return { queue, port: queue as unknown as RequestBuildDeps['buildQueue'] };
}

function limits(answer: LimitReached | { reservation: string } = { reservation: 'reserved:r1' }) {
  const tracked: Array<{ user: string; runId: string; reservation?: string }> = [];
  const released: Array<{ user: string; reservation: string }> = [];
  const port: RequestBuildDeps['limits'] = {
    async admitRun() {
      return answer;
    },
    async trackRun(user, runId, reservation) {
      tracked.push({ user, runId, ...(reservation !== undefined ? { reservation } : {}) });
    },
    async releaseRun(user, reservation) {
      released.push({ user, reservation });
    },
  };
  return { port, tracked, released };
}

function setup(options: { access?: AccessInput; queue?: ReturnType<typeof buildQueue>; limits?: ReturnType<typeof limits>; postFails?: Error; mirror?: ReturnType<typeof fakeMirror> } = {}) {
  const runs = memoryRuns();
  const queue = options.queue ?? buildQueue();
  const lim = options.limits ?? limits();
  const notifier = fakeCards(options.postFails ? { postFails: options.postFails } : {});
  const audit = memoryAudit();
  const logger = fakeLogger();
  const deps: RequestBuildDeps = {
    config: testConfig({
      access: options.access ?? { deployers: ['U0DEPLOYER'], builders: [BUILDER] },
      build: { steps: [{ name: 'install', run: 'npm ci' }, { name: 'test', run: 'npm test' }] },
    }),
    access: fakeAccess(),
    limits: lim.port,
    runs,
    mirror: options.mirror ?? fakeMirror(),
    buildQueue: queue.port,
    notifier,
    audit,
    logger,
  };
  return { deps, runs, queue, limits: lim, notifier, audit, logger };
}

describe('startBuild', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records the run bound to the resolved commit, queues it, audits it and posts its card', async () => {
    const s = setup();
    expect(await startBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).toEqual({ status: 'queued', runId: 'b1', sha: SHA });
    expect(s.runs.stored.get('b1')).toEqual({
      id: 'b1',
      kind: 'build',
      ref: 'main',
      sha: SHA,
      subject: 'Make it so',
      author: 'Jean-Luc',
      requestedBy: BUILDER,
      channel: CHANNEL,
      createdAt: T0,
      laneNames: ['build'],
      branches: ['main'],
      lanes: [
        {
          name: 'build',
          steps: [
            { name: 'install', status: 'queued' },
            { name: 'test', status: 'queued' },
          ],
        },
      ],
    });
    expect(s.queue.queue.added).toEqual([{ name: 'build', data: { runId: 'b1' }, jobId: 'b1', dedup: buildDedupId(CHANNEL, SHA) }]);
    expect(s.audit.entries).toEqual([{ action: 'build.requested', by: BUILDER, runId: 'b1', commit: SHA }]);
    expect(s.notifier.posted).toEqual([{ runId: 'b1', channel: CHANNEL }]);
  });

  it('counts a person’s build against them, taking over their reservation', async () => {
    const s = setup();
    await startBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL, reservation: 'reserved:r9' });
    expect(s.limits.tracked).toEqual([{ user: BUILDER, runId: 'b1', reservation: 'reserved:r9' }]);
  });

  it('a webhook-started build is nobody’s: not counted against anyone', async () => {
    const s = setup();
    expect(await startBuild(s.deps, { ref: 'main', requestedBy: 'github:octocat', channel: CHANNEL })).toMatchObject({ status: 'queued', runId: 'b1' });
    expect(s.limits.tracked).toEqual([]);
    expect(s.audit.entries).toEqual([{ action: 'build.requested', by: 'github:octocat', runId: 'b1', commit: SHA }]);
  });

  it('the same commit already queued from the same channel: the new record is dropped and the queued run named', async () => {
    const s = setup({ queue: buildQueue({ queued: { [buildDedupId(CHANNEL, SHA)]: 'b3' } }) });
    expect(await startBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).toEqual({ status: 'duplicate', runId: 'b3', sha: SHA });
    expect(s.runs.callsOf('delete')).toEqual([['b1']]);
    expect(s.runs.stored.has('b1')).toBe(false);
    expect(s.audit.entries).toEqual([]);
    expect(s.notifier.posted).toEqual([]);
  });

  it('the same commit from another channel is another build', async () => {
    const s = setup({ queue: buildQueue({ queued: { [buildDedupId('C0OTHER', SHA)]: 'b3' } }) });
    expect(await startBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).toMatchObject({ status: 'queued', runId: 'b1' });
  });

  it('the queue failing drops the record and says nothing was queued', async () => {
    const down = new Error('ECONNREFUSED');
    const s = setup({ queue: buildQueue({ fails: down }) });
    const error = await startBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as ApolloError).code).toBe(ErrorCode.QueueUnavailable);
    expect((error as ApolloError).cause).toBe(down);
    expect(s.runs.stored.size).toBe(0);
    expect(s.audit.entries).toEqual([]);
  });

  it('a ref the mirror does not know records nothing', async () => {
    const s = setup();
    await expect(startBuild(s.deps, { ref: 'nope', requestedBy: BUILDER, channel: CHANNEL })).rejects.toThrow('unknown ref nope');
    expect(s.runs.callsOf('nextId')).toEqual([]);
    expect(s.queue.queue.added).toEqual([]);
  });

  it('a card that cannot be posted does not stop the build; the answer says why', async () => {
    const s = setup({ postFails: new Error('not_in_channel') });
    expect(await startBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).toEqual({ status: 'queued', runId: 'b1', sha: SHA, cardError: 'not_in_channel' });
    expect(s.logger.warnings.map((w) => w.msg)).toEqual(['could not post the run card']);
    expect(s.queue.queue.added).toHaveLength(1);
  });
});

describe('requestBuild', () => {
  it('a builder’s build runs within their limit, on the reservation admitRun gave', async () => {
    const s = setup();
    expect(await requestBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).toMatchObject({ status: 'queued', runId: 'b1' });
    expect(s.limits.tracked).toEqual([{ user: BUILDER, runId: 'b1', reservation: 'reserved:r1' }]);
    expect(s.limits.released).toEqual([]);
  });

  it('someone who is not a builder is refused before anything is reserved or recorded', async () => {
    const s = setup();
    const error = await requestBuild(s.deps, { ref: 'main', requestedBy: 'U0DEPLOYER', channel: CHANNEL }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as ApolloError).code).toBe(ErrorCode.NotAllowed);
    expect(s.runs.calls).toEqual([]);
    expect(s.limits.tracked).toEqual([]);
  });

  it('without access.builders, the deployers may build', async () => {
    const s = setup({ access: { deployers: ['U0DEPLOYER'] } });
    expect(await requestBuild(s.deps, { ref: 'main', requestedBy: 'U0DEPLOYER', channel: CHANNEL })).toMatchObject({ status: 'queued' });
    await expect(requestBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).rejects.toMatchObject({ code: ErrorCode.NotAllowed });
  });

  it('a person at their limit is refused with the limit and their unfinished runs', async () => {
    const reached: LimitReached = { kind: 'queued_runs', limit: 2, runIds: ['b1', 'd2'] };
    const s = setup({ limits: limits(reached) });
    const error = await requestBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LimitReachedError);
    expect((error as LimitReachedError).code).toBe(ErrorCode.RateLimited);
    expect((error as LimitReachedError).limit).toEqual(reached);
    expect(s.runs.calls).toEqual([]);
  });

  it('the reservation is given back when recording fails', async () => {
    const s = setup();
    s.deps.runs = {
      ...s.runs,
      async create() {
        throw new Error('OOM command not allowed');
      },
    };
    await expect(requestBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).rejects.toThrow('OOM command not allowed');
    expect(s.limits.released).toEqual([{ user: BUILDER, reservation: 'reserved:r1' }]);
  });

  it('the reservation is given back when the ref is unknown', async () => {
    const s = setup();
    await expect(requestBuild(s.deps, { ref: 'nope', requestedBy: BUILDER, channel: CHANNEL })).rejects.toThrow('unknown ref nope');
    expect(s.limits.released).toEqual([{ user: BUILDER, reservation: 'reserved:r1' }]);
  });

  it('the reservation is given back when the queue fails', async () => {
    const s = setup({ queue: buildQueue({ fails: new Error('down') }) });
    await expect(requestBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).rejects.toMatchObject({ code: ErrorCode.QueueUnavailable });
    expect(s.limits.released).toEqual([{ user: BUILDER, reservation: 'reserved:r1' }]);
  });

  it('a release that fails does not hide the error that caused it', async () => {
    const s = setup({ queue: buildQueue({ fails: new Error('down') }) });
    s.deps.limits = {
      ...s.limits.port,
      async releaseRun() {
        throw new Error('redis gone too');
      },
    };
    await expect(requestBuild(s.deps, { ref: 'main', requestedBy: BUILDER, channel: CHANNEL })).rejects.toMatchObject({ code: ErrorCode.QueueUnavailable });
  });
});
