import { describe, expect, it } from 'vitest';
import { lockCloud, unlockCloud, type LockCloudDeps } from '../../src/actions/lock-cloud.js';
import { LimitReachedError, type LimitReached } from '../../src/access/user-limits.js';
import type { LockHolder } from '../../src/queue/cloud-locks.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import { fakeAccess, fakeLogger, memoryAudit, T0, testConfig } from '../helpers/action-fakes.js';

const DEPLOYER = 'U0DEPLOYER';
const OTHER = 'U0OTHERDEPLOYER';
const APPROVER = 'U0APPROVER';

/** Sticky locks by cloud, first set wins, as CloudLocks does with SET NX. */
function stickyLocks(initial: Record<string, LockHolder> = {}) {
  const held = new Map(Object.entries(initial));
  const removed: string[] = [];
  const port: LockCloudDeps['locks'] = {
    async lockSticky(cloud, owner, reason) {
      const current = held.get(cloud);
      if (current) return { ok: false, holder: current };
      const holder = { owner, reason, since: T0 };
      held.set(cloud, holder);
      return { ok: true, holder };
    },
    async unlockSticky(cloud, expected) {
      // Like the store: only the lock that was checked is removed.
      if (held.get(cloud) !== expected) return false;
      held.delete(cloud);
      removed.push(cloud);
      return true;
    },
    async sticky(cloud) {
      return held.get(cloud);
    },
  };
  return { port, held, removed };
}

function setup(options: { locks?: Record<string, LockHolder>; limit?: LimitReached } = {}) {
  const locks = stickyLocks(options.locks);
  const counted: string[] = [];
  const audit = memoryAudit();
  const deps: LockCloudDeps = {
    config: testConfig({ access: { deployers: [DEPLOYER, OTHER], approvers: [APPROVER] } }),
    access: fakeAccess(),
    limits: {
      async admitLockChange(user) {
        counted.push(user);
        return options.limit;
      },
    },
    locks: locks.port,
    audit,
    logger: fakeLogger(),
  };
  return { deps, locks, counted, audit };
}

const lockChanges: LimitReached = { kind: 'lock_changes', limit: 20, retryAt: T0 + 3_600_000 };

describe('lockCloud', () => {
  it('a deployer locks a free cloud with a reason; counted and audited', async () => {
    const s = setup();
    expect(await lockCloud(s.deps, 'aws', DEPLOYER, 'demo at 3pm')).toEqual({ kind: 'locked', cloud: 'aws', reason: 'demo at 3pm' });
    expect(s.locks.held.get('aws')).toEqual({ owner: DEPLOYER, reason: 'demo at 3pm', since: T0 });
    expect(s.counted).toEqual([DEPLOYER]);
    expect(s.audit.entries).toEqual([{ action: 'lock.set', by: DEPLOYER, clouds: ['aws'], reason: 'demo at 3pm' }]);
  });

  it('a cloud locked already keeps its lock; the answer says whose', async () => {
    const holder = { owner: OTHER, reason: 'migration', since: T0 - 1000 };
    const s = setup({ locks: { aws: holder } });
    expect(await lockCloud(s.deps, 'aws', DEPLOYER, 'mine now')).toEqual({ kind: 'already-locked', cloud: 'aws', holder });
    expect(s.locks.held.get('aws')).toEqual(holder);
    expect(s.audit.entries).toEqual([]);
  });

  it('someone who is not a deployer may not lock, and is not counted', async () => {
    const s = setup();
    const error = await lockCloud(s.deps, 'aws', APPROVER, 'x').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApolloError);
    expect((error as ApolloError).code).toBe(ErrorCode.NotAllowed);
    expect(s.counted).toEqual([]);
    expect(s.locks.held.size).toBe(0);
  });

  it('a deployer past their hourly lock changes is refused with the limit', async () => {
    const s = setup({ limit: lockChanges });
    const error = await lockCloud(s.deps, 'aws', DEPLOYER, 'x').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LimitReachedError);
    expect((error as LimitReachedError).limit).toEqual(lockChanges);
    expect(s.locks.held.size).toBe(0);
    expect(s.audit.entries).toEqual([]);
  });
});

describe('unlockCloud', () => {
  const holder = { owner: DEPLOYER, reason: 'demo', since: T0 - 1000 };

  it('the owner removes their lock; the audit says whose lock it was and why', async () => {
    const s = setup({ locks: { aws: holder } });
    expect(await unlockCloud(s.deps, 'aws', DEPLOYER)).toEqual({ kind: 'unlocked', cloud: 'aws', was: holder });
    expect(s.locks.held.has('aws')).toBe(false);
    expect(s.counted).toEqual([DEPLOYER]);
    expect(s.audit.entries).toEqual([{ action: 'lock.removed', by: DEPLOYER, clouds: ['aws'], reason: `was locked by ${DEPLOYER}: demo` }]);
  });

  it('an approver removes anyone’s lock', async () => {
    const s = setup({ locks: { aws: holder } });
    expect(await unlockCloud(s.deps, 'aws', APPROVER)).toEqual({ kind: 'unlocked', cloud: 'aws', was: holder });
    expect(s.audit.entries.map((e) => [e.action, e.by])).toEqual([['lock.removed', APPROVER]]);
  });

  it('another deployer may not remove it, and is not counted', async () => {
    const s = setup({ locks: { aws: holder } });
    expect(await unlockCloud(s.deps, 'aws', OTHER)).toEqual({ kind: 'not-owner', cloud: 'aws', holder });
    expect(s.locks.held.get('aws')).toEqual(holder);
    expect(s.counted).toEqual([]);
    expect(s.audit.entries).toEqual([]);
  });

  it('a cloud that is not locked says so, without counting a change', async () => {
    const s = setup();
    expect(await unlockCloud(s.deps, 'aws', DEPLOYER)).toEqual({ kind: 'not-locked', cloud: 'aws' });
    expect(s.counted).toEqual([]);
    expect(s.locks.removed).toEqual([]);
  });

  it('a lock set without a reason is still audited with its owner', async () => {
    const s = setup({ locks: { aws: { owner: DEPLOYER, since: T0 } } });
    await unlockCloud(s.deps, 'aws', DEPLOYER);
    expect(s.audit.entries[0]?.reason).toBe(`was locked by ${DEPLOYER}`);
  });

  it('past the hourly limit the lock stays', async () => {
    const s = setup({ locks: { aws: holder }, limit: lockChanges });
    await expect(unlockCloud(s.deps, 'aws', DEPLOYER)).rejects.toBeInstanceOf(LimitReachedError);
    expect(s.locks.held.get('aws')).toEqual(holder);
    expect(s.locks.removed).toEqual([]);
  });
});
