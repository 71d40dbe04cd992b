import type { ConfigInput } from '../../src/config/schema.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployLifetime, requestDeploy, resolveClouds, type RequestDeployDeps } from '../../src/actions/request-deploy.js';
import { CloudsLockedError } from '../../src/actions/clouds-free.js';
import { BuildRequiredError } from '../../src/actions/deploy-gate.js';
import { LimitReachedError, type LimitReached } from '../../src/access/user-limits.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import { type AccessInput, CHANNEL, fakeAccess, fakeCards, fakeLocks, fakeLogger, fakeExpiry, fakeGreenBuilds, fakeMirror, memoryAudit, memoryRuns, SHA, T0, testConfig } from '../helpers/action-fakes.js';

const DEPLOYER = 'U0DEPLOYER';
const TTL = 20 * 60_000;

function limits(answer: LimitReached | { reservation: string } = { reservation: 'reserved:r1' }) {
  const admitted: string[] = [];
  const tracked: Array<{ user: string; runId: string; reservation?: string }> = [];
  const released: Array<{ user: string; reservation: string }> = [];
  const port: RequestDeployDeps['limits'] = {
    async admitRun(user) {
      admitted.push(user);
      return answer;
    },
    async trackRun(user, runId, reservation) {
      tracked.push({ user, runId, ...(reservation !== undefined ? { reservation } : {}) });
    },
    async releaseRun(user, reservation) {
      released.push({ user, reservation });
    },
  };
  return { port, admitted, tracked, released };
}

function setup(
  options: { access?: AccessInput; clouds?: ConfigInput['clouds']; destroy?: boolean; requireGreenBuild?: boolean; green?: ReturnType<typeof fakeGreenBuilds>; deploy?: boolean; blockers?: Parameters<typeof fakeLocks>[0]; limits?: ReturnType<typeof limits>; postFails?: Error; mirror?: ReturnType<typeof fakeMirror> } = {},
) {
  const runs = memoryRuns();
  const lim = options.limits ?? limits();
  const notifier = fakeCards(options.postFails ? { postFails: options.postFails } : {});
  const audit = memoryAudit();
  const logger = fakeLogger();
  const locks = fakeLocks(options.blockers);
  const opened: Array<{ runId: string; requestedBy: string; ttlMs: number }> = [];
  const expiry = fakeExpiry();
  const planned: Array<{ runId: string; phase: string; clouds: string[] }> = [];
  const deps: RequestDeployDeps = {
    config: testConfig({
      access: options.access ?? { deployers: [DEPLOYER], approvers: ['U0APPROVER'], approvalTtl: '20m' },
      clouds: options.clouds ?? { aws: {}, gcp: {}, azure: {} },
      ...(options.destroy ? { destroy: { steps: [{ name: 'destroy', run: 'terraform destroy' }] } } : {}),
      ...(options.deploy === false
        ? {}
        : {
            deploy: {
              steps: [{ name: 'apply', run: 'terraform apply' }],
              ...(options.requireGreenBuild ? { requireGreenBuild: true } : {}),
              tests: [
                { name: 'serverspec', run: 'rspec' },
                { name: 'bench', run: 'docker-bench' },
              ],
            },
          }),
    }),
    access: fakeAccess(),
    limits: lim.port,
    locks,
    approvals: {
      async open(runId, requestedBy, ttlMs) {
        opened.push({ runId, requestedBy, ttlMs });
      },
    },
    runs,
    mirror: options.mirror ?? fakeMirror(),
    expiry,
    deployFlow: { async add(runId, phase, clouds) { planned.push({ runId, phase, clouds }); } },
    greenBuilds: options.green ?? fakeGreenBuilds(),
    notifier,
    audit,
    logger,
  };
  return { deps, runs, limits: lim, notifier, audit, logger, locks, opened, expiry, planned };
}

async function refusal(promise: Promise<unknown>): Promise<ApolloError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ApolloError);
  return error as ApolloError;
}

describe('resolveClouds', () => {
  const config = { clouds: { aws: { env: {} }, gcp: { env: {} } } };

  it('"all" is every configured cloud; named clouds are kept once each, in order', () => {
    expect(resolveClouds(config, ['all'])).toEqual(['aws', 'gcp']);
    expect(resolveClouds(config, ['gcp', 'aws', 'gcp'])).toEqual(['gcp', 'aws']);
  });

  it('unknown clouds are refused, each named, with the configured ones listed', () => {
    const error = (() => {
      try {
        resolveClouds(config, ['aws', 'mars', 'venus']);
      } catch (err) {
        return err as ApolloError;
      }
      return undefined;
    })();
    expect(error?.code).toBe(ErrorCode.CloudUnknown);
    expect(error?.message).toBe('Unknown clouds: `mars`, `venus`.');
    expect(error?.details).toEqual(['Configured clouds: `aws`, `gcp` (or `all`).']);
  });
});

describe('requestDeploy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records a deploy bound to the commit, opens its approval request, audits it and posts its card', async () => {
    const s = setup();
    expect(await requestDeploy(s.deps, { clouds: ['aws', 'gcp'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL })).toEqual({ runId: 'd1' });
    const run = s.runs.stored.get('d1');
    expect(run).toMatchObject({ kind: 'deploy', sha: SHA, requestedBy: DEPLOYER, channel: CHANNEL, laneNames: ['aws', 'gcp'], approvalExpiresAt: T0 + TTL });
    expect(run?.tests).toBeUndefined();
    expect(run?.lanes.map((l) => [l.name, l.steps.map((st) => st.name)])).toEqual([
      ['aws', ['apply', 'serverspec', 'bench']],
      ['gcp', ['apply', 'serverspec', 'bench']],
    ]);
    expect(run?.decision).toBeUndefined();
    expect(s.opened).toEqual([{ runId: 'd1', requestedBy: DEPLOYER, ttlMs: TTL }]);
    expect(s.expiry.approvals).toEqual([{ runId: 'd1', at: T0 + TTL }]);
    expect(s.audit.entries).toEqual([{ action: 'deploy.requested', by: DEPLOYER, runId: 'd1', commit: SHA, clouds: ['aws', 'gcp'] }]);
    expect(s.notifier.posted).toEqual([{ runId: 'd1', channel: CHANNEL }]);
    expect(s.limits.tracked).toEqual([{ user: DEPLOYER, runId: 'd1', reservation: 'reserved:r1' }]);
  });

  it('"all" deploys to every configured cloud', async () => {
    const s = setup();
    await requestDeploy(s.deps, { clouds: ['all'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL });
    expect(s.runs.stored.get('d1')?.laneNames).toEqual(['aws', 'gcp', 'azure']);
  });

  it('a chosen test selection is kept on the run; the lanes still list every suite', async () => {
    const s = setup();
    await requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL, tests: ['bench'] });
    expect(s.runs.stored.get('d1')?.tests).toEqual(['bench']);
  });

  it('without a deploy pipeline nothing can be requested', async () => {
    const s = setup({ deploy: false });
    const error = await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
    expect(error.code).toBe(ErrorCode.UsageInvalid);
    expect(s.runs.calls).toEqual([]);
  });

  it('someone who is not a deployer is refused before anything is checked or reserved', async () => {
    const s = setup();
    const error = await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: 'U0APPROVER', channel: CHANNEL }));
    expect(error.code).toBe(ErrorCode.NotAllowed);
    expect(s.locks.asked).toEqual([]);
    expect(s.limits.admitted).toEqual([]);
  });

  it('an unknown cloud is refused', async () => {
    const s = setup();
    const error = await refusal(requestDeploy(s.deps, { clouds: ['mars'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
    expect(error.code).toBe(ErrorCode.CloudUnknown);
    expect(s.limits.admitted).toEqual([]);
  });

  it('an unknown test suite is refused, with the configured suites listed', async () => {
    const s = setup();
    const error = await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL, tests: ['bench', 'fuzz'] }));
    expect(error.code).toBe(ErrorCode.UsageInvalid);
    expect(error.message).toBe('Unknown test suite: fuzz.');
    expect(error.details).toEqual(['Configured suites: serverspec, bench.']);
    expect(s.limits.admitted).toEqual([]);
  });

  it('a cloud someone else holds is refused with who holds it, before a slot is reserved', async () => {
    const holder = { runId: 'd3', owner: 'U0OTHER', since: T0 - 1000 };
    const s = setup({ blockers: { gcp: { kind: 'run', holder } } });
    const error = await refusal(requestDeploy(s.deps, { clouds: ['aws', 'gcp'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
    expect(error).toBeInstanceOf(CloudsLockedError);
    expect(error.code).toBe(ErrorCode.CloudLocked);
    expect((error as CloudsLockedError).blockers).toEqual([{ cloud: 'gcp', kind: 'run', holder }]);
    expect(s.locks.asked).toEqual([
      { cloud: 'aws', user: DEPLOYER },
      { cloud: 'gcp', user: DEPLOYER },
    ]);
    expect(s.limits.admitted).toEqual([]);
    expect(s.runs.calls).toEqual([]);
  });

  it('a person at their limit is refused with LimitReachedError; nothing is recorded', async () => {
    const reached: LimitReached = { kind: 'queued_runs', limit: 1, runIds: ['d4'] };
    const s = setup({ limits: limits(reached) });
    const error = await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
    expect(error).toBeInstanceOf(LimitReachedError);
    expect((error as LimitReachedError).limit).toEqual(reached);
    expect(s.runs.calls).toEqual([]);
    expect(s.opened).toEqual([]);
  });

  it('a commit outside the protected branches is refused and the reservation given back', async () => {
    const s = setup({
      access: { deployers: [DEPLOYER], protectedBranches: ['main', 'release-*'] },
      mirror: fakeMirror({ main: { sha: SHA, branches: ['feature/x', 'release-1/unreviewed'] } }),
    });
    const error = await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
    expect(error.code).toBe(ErrorCode.RefNotReviewed);
    expect(s.limits.released).toEqual([{ user: DEPLOYER, reservation: 'reserved:r1' }]);
    expect(s.runs.stored.size).toBe(0);
    expect(s.opened).toEqual([]);
    expect(s.audit.entries).toEqual([]);
  });

  it('a commit on a protected branch is accepted and keeps the branches it is on', async () => {
    const s = setup({
      access: { deployers: [DEPLOYER], protectedBranches: ['release-*'] },
      mirror: fakeMirror({ main: { sha: SHA, branches: ['feature/x', 'release-2'] } }),
    });
    expect(await requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL })).toEqual({ runId: 'd1' });
    expect(s.runs.stored.get('d1')?.branches).toEqual(['feature/x', 'release-2']);
  });

  it('the reservation is given back when storing the run fails', async () => {
    const s = setup();
    s.deps.runs = {
      ...s.runs,
      async create() {
        throw new Error('READONLY');
      },
    };
    await expect(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL })).rejects.toThrow('READONLY');
    expect(s.limits.released).toEqual([{ user: DEPLOYER, reservation: 'reserved:r1' }]);
    expect(s.opened).toEqual([]);
  });

  it('a card that cannot be posted leaves the request open; the answer says why', async () => {
    const s = setup({ postFails: new Error('channel_not_found') });
    expect(await requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL })).toEqual({ runId: 'd1', cardError: 'channel_not_found' });
    expect(s.opened).toHaveLength(1);
    expect(s.logger.warnings.map((w) => w.msg)).toEqual(['could not post the approval card']);
  });
});

describe('deployLifetime', () => {
  const config = (deploy: Record<string, unknown> = {}, destroy = true) =>
    testConfig({ clouds: { aws: {} }, deploy: { steps: [{ name: 'apply', run: 'true' }], ...deploy }, ...(destroy ? { destroy: { steps: [{ name: 'destroy', run: 'true' }] } } : {}) });

  it("takes the request's flag over the config's default", () => {
    expect(deployLifetime(config(), {})).toEqual({});
    expect(deployLifetime(config({ ephemeral: true }), {})).toEqual({ ephemeral: true });
    expect(deployLifetime(config({ keep: '4h' }), {})).toEqual({ keepMs: 4 * 3_600_000 });
    expect(deployLifetime(config({ ephemeral: true }), { keepMs: 60_000 })).toEqual({ keepMs: 60_000 });
    expect(deployLifetime(config({ keep: '4h' }), { ephemeral: true })).toEqual({ ephemeral: true });
  });

  it('refuses a lifetime without a destroy pipeline, past maxKeep, or too short to be reminded of', () => {
    expect(() => deployLifetime(config({}, false), { ephemeral: true })).toThrow(/needs a destroy pipeline/);
    expect(() => deployLifetime(config({ maxKeep: '1d' }), { keepMs: 2 * 86_400_000 })).toThrow(/at most 1 days|at most 24h/);
    expect(() => deployLifetime(config(), { keepMs: 1000 })).toThrow(/at least 5s/);
  });

  describe('per-cloud policy', () => {
    it('a cloud with channels takes requests only there, naming them; nothing is recorded or reserved', async () => {
      const s = setup({ clouds: { aws: { channels: ['C0PROD'] }, gcp: {} } });
      const error = await refusal(requestDeploy(s.deps, { clouds: ['aws', 'gcp'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
      expect(error.code).toBe(ErrorCode.NotAllowed);
      expect(error.message).toBe('Deploys to `aws` may not be requested in this channel.');
      expect(error.details).toEqual(['`aws`: <#C0PROD> (`clouds.aws.channels`).']);
      expect(s.runs.stored.size).toBe(0);
      expect(s.limits.admitted).toEqual([]);
      expect(await requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: 'C0PROD' })).toEqual({ runId: 'd1' });
    });

    it('an ephemeralOnly cloud refuses a deploy that would stay, and takes an ephemeral one', async () => {
      const s = setup({ clouds: { aws: { ephemeralOnly: true }, gcp: {} }, destroy: true });
      const kept = await refusal(requestDeploy(s.deps, { clouds: ['all'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL, keepMs: 3_600_000 }));
      expect(kept.message).toBe('`aws` takes only ephemeral deploys: add `--ephemeral`.');
      await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
      expect(s.runs.stored.size).toBe(0);
      expect(await requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL, ephemeral: true })).toEqual({ runId: 'd1' });
      expect(s.runs.stored.get('d1')?.ephemeral).toBe(true);
    });
  });

  describe('the green-build gate (deploy.requireGreenBuild)', () => {
    it('refuses a commit nobody built green, naming the commit; nothing is recorded and the slot is given back', async () => {
      const s = setup({ requireGreenBuild: true });
      const error = await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL }));
      expect(error).toBeInstanceOf(BuildRequiredError);
      expect(error).toMatchObject({ code: ErrorCode.BuildRequired, sha: SHA, ref: 'main' });
      expect(s.runs.stored.size).toBe(0);
      expect(s.limits.released).toEqual([{ user: DEPLOYER, reservation: 'reserved:r1' }]);
    });

    it('lets a green commit through, unmarked', async () => {
      const s = setup({ requireGreenBuild: true, green: fakeGreenBuilds([SHA]) });
      expect(await requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL })).toEqual({ runId: 'd1' });
      expect(s.runs.stored.get('d1')?.forced).toBeUndefined();
    });

    it('--force by someone who approves no deploys is refused before anything is reserved', async () => {
      const s = setup({ requireGreenBuild: true });
      const error = await refusal(requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL, force: true }));
      expect(error.code).toBe(ErrorCode.NotAllowed);
      expect(error.message).toContain('Only approvers may use `--force`');
      expect(s.limits.admitted).toEqual([]);
      expect(s.runs.stored.size).toBe(0);
    });

    it('--force by an approver of every cloud records the deploy marked forced, and audits it', async () => {
      const s = setup({ requireGreenBuild: true, access: { deployers: [DEPLOYER], approvers: [DEPLOYER] } });
      expect(await requestDeploy(s.deps, { clouds: ['aws'], ref: 'main', requestedBy: DEPLOYER, channel: CHANNEL, force: true })).toEqual({ runId: 'd1' });
      expect(s.runs.stored.get('d1')?.forced).toBe(true);
      expect(s.audit.entries.map((e) => e.action)).toEqual(['deploy.requested', 'deploy.forced']);
    });
  });
});
