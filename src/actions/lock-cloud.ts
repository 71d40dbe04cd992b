import { ApolloError, ErrorCode } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { UserLimits } from '../access/user-limits.js';
import type { CloudLocks, LockHolder } from '../queue/cloud-locks.js';
import { audit } from '../audit/record.js';
import { LimitReachedError } from '../access/user-limits.js';
import type { AuditTrail } from './ports.js';

/** What `/apollo lock` and `/apollo unlock` touch. */
export interface LockCloudDeps extends AuditTrail {
  config: Pick<Config, 'access'>;
  access: Pick<Access, 'allows'>;
  limits: Pick<UserLimits, 'admitLockChange'>;
  locks: Pick<CloudLocks, 'lockSticky' | 'unlockSticky' | 'sticky'>;
}

export type LockOutcome = { kind: 'locked'; cloud: string; reason: string } | { kind: 'already-locked'; cloud: string; holder: LockHolder };
export type UnlockOutcome = { kind: 'unlocked'; cloud: string; was: LockHolder } | { kind: 'not-locked'; cloud: string } | { kind: 'not-owner'; cloud: string; holder: LockHolder };

/** A sticky lock: deploys by anyone but its owner are refused until it is removed. Deployers only. */
export async function lockCloud(deps: LockCloudDeps, cloud: string, user: string, reason: string): Promise<LockOutcome> {
  if (!(await deps.access.allows(deps.config.access.deployers, user))) {
    throw new ApolloError(ErrorCode.NotAllowed, 'Only deployers (`access.deployers`) can lock clouds.');
  }
  const limit = await deps.limits.admitLockChange(user);
  if (limit) throw new LimitReachedError(limit);
  const { ok, holder } = await deps.locks.lockSticky(cloud, user, reason);
  if (!ok) return { kind: 'already-locked', cloud, holder };
  await audit(deps, { action: 'lock.set', by: user, clouds: [cloud], reason });
  return { kind: 'locked', cloud, reason };
}

/** Removes a sticky lock: its owner, or any approver. */
export async function unlockCloud(deps: LockCloudDeps, cloud: string, user: string): Promise<UnlockOutcome> {
  const current = await deps.locks.sticky(cloud);
  if (!current) return { kind: 'not-locked', cloud };
  if (current.owner !== user && !(await deps.access.allows(deps.config.access.approvers, user))) {
    return { kind: 'not-owner', cloud, holder: current };
  }
  const limit = await deps.limits.admitLockChange(user);
  if (limit) throw new LimitReachedError(limit);
  if (!(await deps.locks.unlockSticky(cloud, current))) return { kind: 'not-locked', cloud };
  await audit(deps, { action: 'lock.removed', by: user, clouds: [cloud], reason: current.reason ? `was locked by ${current.owner}: ${current.reason}` : `was locked by ${current.owner}` });
  return { kind: 'unlocked', cloud, was: current };
}
