import { ApolloError, ErrorCode } from '../errors.js';
import type { CloudLocks, LockHolder } from '../queue/cloud-locks.js';

/** A cloud someone else holds: views say who and since when. */
export interface CloudBlocker {
  cloud: string;
  kind: 'run' | 'sticky';
  holder: LockHolder;
}

/** The clouds of a deploy are held by someone else; `blockers` says by whom (views word it). */
export class CloudsLockedError extends ApolloError {
  constructor(readonly blockers: CloudBlocker[]) {
    super(ErrorCode.CloudLocked, 'Cannot deploy now:', { details: blockers.map((b) => `${b.cloud} is held (${b.kind} lock)`) });
  }
}

/** Throws CloudsLockedError naming who holds each blocked cloud. */
export async function assertCloudsFree(deps: { locks: Pick<CloudLocks, 'blocker'> }, clouds: string[], user: string, exceptRunId?: string): Promise<void> {
  const blockers: CloudBlocker[] = [];
  for (const cloud of clouds) {
    const blocker = await deps.locks.blocker(cloud, user, exceptRunId);
    if (blocker) blockers.push({ cloud, kind: blocker.kind, holder: blocker.holder });
  }
  if (blockers.length > 0) throw new CloudsLockedError(blockers);
}
