import type { Config } from '../config/schema.js';
import type { Access } from './access.js';

/**
 * Who may do what to one cloud: its own `clouds.<name>` settings, with the global `access` ones
 * as defaults. The one place these defaults are written.
 */
export interface CloudPolicy {
  cloud: string;
  approvers: readonly string[];
  destroyers: readonly string[];
  requiredApprovals: number;
  /** The only channels deploys to it may be requested in; undefined: any. */
  channels?: readonly string[];
  ephemeralOnly: boolean;
}

export type PolicyConfig = Pick<Config, 'access' | 'clouds'>;

export function cloudPolicy(config: PolicyConfig, cloud: string): CloudPolicy {
  const own = config.clouds[cloud];
  const approvers = own?.approvers ?? config.access.approvers;
  return {
    cloud,
    approvers,
    destroyers: own?.destroyers ?? config.access.destroyers ?? approvers,
    requiredApprovals: own?.requiredApprovals ?? config.access.requiredApprovals,
    ...(own?.channels ? { channels: own.channels } : {}),
    ephemeralOnly: own?.ephemeralOnly === true,
  };
}

/** How many approvals each cloud needs, by cloud (the card shows progress against it). */
export function requiredApprovals(config: PolicyConfig): Record<string, number> {
  return Object.fromEntries(Object.keys(config.clouds).map((c) => [c, cloudPolicy(config, c).requiredApprovals]));
}

/** One person's approval of a deploy request. */
export interface ApprovalVote {
  by: string;
  at: number;
}

/** Per cloud: who of the approvals so far count for it, and how many it needs. */
export interface CloudQuorum {
  cloud: string;
  counted: string[];
  needed: number;
}

/**
 * Whether `user`'s approval may count for `cloud`: they are one of its approvers, and not the
 * requester — unless `allowSelfApproval` and the cloud needs one approval only (a second person
 * means a second person).
 */
export async function approvalCounts(config: PolicyConfig, access: Pick<Access, 'allows'>, cloud: string, user: string, requestedBy: string): Promise<boolean> {
  const policy = cloudPolicy(config, cloud);
  if (user === requestedBy && (!config.access.allowSelfApproval || policy.requiredApprovals > 1)) return false;
  return access.allows(policy.approvers, user);
}

/** Per cloud, the distinct approvals that count for it so far, against what it needs. */
export async function tally(config: PolicyConfig, access: Pick<Access, 'allows'>, clouds: readonly string[], votes: readonly ApprovalVote[], requestedBy: string): Promise<CloudQuorum[]> {
  const people = [...new Set(votes.map((v) => v.by))];
  return Promise.all(
    clouds.map(async (cloud) => {
      const counted: string[] = [];
      for (const user of people) if (await approvalCounts(config, access, cloud, user, requestedBy)) counted.push(user);
      return { cloud, counted, needed: cloudPolicy(config, cloud).requiredApprovals };
    }),
  );
}

export function quorumMet(quorum: readonly CloudQuorum[]): boolean {
  return quorum.every((q) => q.counted.length >= q.needed);
}
