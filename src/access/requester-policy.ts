import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../redis/keys.js';

/** How long users.info answers are cached: short, so turning someone into a guest takes effect soon. */
const USER_CACHE_SECONDS = 60;

/** Who sent a slash command or clicked a button, as the (signed) payload says. */
export interface Requester {
  userId: string;
  /** Every team id the payload names (the workspace, the user's own team). */
  teamIds: string[];
  /** Every enterprise (Enterprise Grid org) id the payload names. */
  enterpriseIds: string[];
  channelId: string;
  /** Slack's channel_name for slash commands: `directmessage` and `mpdm-…` mark DMs. */
  channelName?: string;
}

/** Why a request is refused; views turn it into words. */
export type Refusal =
  | { kind: 'foreign_team'; teamId: string }
  | { kind: 'external_user' }
  | { kind: 'guest' }
  | { kind: 'direct_message' }
  | { kind: 'unverifiable' };

/** The fields of users.info this policy reads. */
const UserInfo = z.object({
  id: z.string(),
  team_id: z.string().optional(),
  is_restricted: z.boolean().optional(),
  is_ultra_restricted: z.boolean().optional(),
  is_stranger: z.boolean().optional(),
  deleted: z.boolean().optional(),
  is_bot: z.boolean().optional(),
  enterprise_user: z.object({ enterprise_id: z.string().optional() }).optional(),
});
type UserInfo = z.infer<typeof UserInfo>;

export interface RequesterPolicyDeps {
  client: Pick<WebClient, 'auth' | 'users'>;
  redis: Pick<Redis, 'get' | 'set'>;
  keys: Pick<Keys, 'userInfo'>;
  /** `access.teams`; undefined: the bot's own team (and enterprise), from auth.test. */
  teams?: string[];
}

/**
 * Who may talk to the bot at all, and who may make it act:
 * - requests naming a team or enterprise outside `access.teams` are refused, whatever they ask;
 * - members of other organisations in Slack Connect channels (users.info: another team, or
 *   `is_stranger`) are refused the same way, since their own admins, not ours, vouch for them;
 * - guests (single- and multi-channel) may read (help, status, locks, history) but not act;
 * - in DMs the bot only reads: runs, locks and cancels happen in channels, where the team sees them.
 */
export class RequesterPolicy {
  private ownTeams: Promise<Set<string>> | undefined;

  constructor(private readonly deps: RequesterPolicyDeps) {}

  /** Refusal for any request from outside the allowed teams; undefined when the sender's team is ours. */
  async checkTeam(requester: Requester): Promise<Refusal | undefined> {
    const allowed = await this.allowedTeams();
    if (!allowed) return { kind: 'unverifiable' };
    for (const id of [...requester.teamIds, ...requester.enterpriseIds]) {
      if (!allowed.has(id)) return { kind: 'foreign_team', teamId: id };
    }
    if (requester.teamIds.length === 0 && requester.enterpriseIds.length === 0) return { kind: 'unverifiable' };
    return undefined;
  }

  /** Refusal for a request that would make the bot act (build, deploy, approve, cancel, lock…). */
  async checkActor(requester: Requester): Promise<Refusal | undefined> {
    const team = await this.checkTeam(requester);
    if (team) return team;
    if (isDirectMessage(requester)) return { kind: 'direct_message' };
    const user = await this.userInfo(requester.userId);
    if (!user || user.deleted || user.is_bot) return { kind: 'unverifiable' };
    const allowed = (await this.allowedTeams())!;
    const userTeams = [user.team_id, user.enterprise_user?.enterprise_id].filter((t): t is string => Boolean(t));
    if (user.is_stranger || (userTeams.length > 0 && !userTeams.some((t) => allowed.has(t)))) return { kind: 'external_user' };
    if (user.is_restricted || user.is_ultra_restricted) return { kind: 'guest' };
    return undefined;
  }

  private async allowedTeams(): Promise<Set<string> | undefined> {
    if (this.deps.teams) return new Set(this.deps.teams);
    this.ownTeams ??= this.deps.client.auth.test().then((auth) => {
      const ids = [auth.team_id, auth.enterprise_id].filter((t): t is string => typeof t === 'string' && t !== '');
      if (ids.length === 0) throw new Error('auth.test named no team');
      return new Set(ids);
    });
    try {
      return await this.ownTeams;
    } catch {
      this.ownTeams = undefined; // Slack was unreachable: ask again next time, refuse meanwhile
      return undefined;
    }
  }

  private async userInfo(userId: string): Promise<UserInfo | undefined> {
    const key = this.deps.keys.userInfo(userId);
    const cached = await this.deps.redis.get(key);
    if (cached) return UserInfo.parse(JSON.parse(cached));
    try {
      const result = await this.deps.client.users.info({ user: userId });
      const user = UserInfo.safeParse(result.user);
      if (!user.success) return undefined;
      await this.deps.redis.set(key, JSON.stringify(user.data), 'EX', USER_CACHE_SECONDS);
      return user.data;
    } catch {
      return undefined; // an unknown or unreadable user is trusted with nothing
    }
  }
}

export function isDirectMessage(requester: Pick<Requester, 'channelId' | 'channelName'>): boolean {
  return requester.channelId.startsWith('D') || requester.channelName === 'directmessage' || (requester.channelName?.startsWith('mpdm-') ?? false);
}

function strings(...values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}

/** The requester of a slash command, from its form fields. */
export function commandRequester(command: Record<string, unknown>): Requester {
  return {
    userId: String(command.user_id ?? ''),
    teamIds: strings(command.team_id, command.user_team),
    enterpriseIds: strings(command.enterprise_id),
    channelId: String(command.channel_id ?? ''),
    ...(typeof command.channel_name === 'string' ? { channelName: command.channel_name } : {}),
  };
}

/** The requester of a button click, from its block_actions payload. */
export function actionRequester(body: Record<string, unknown>): Requester {
  const user = (body.user ?? {}) as Record<string, unknown>;
  const team = (body.team ?? {}) as Record<string, unknown> | null;
  const enterprise = (body.enterprise ?? {}) as Record<string, unknown> | null;
  const channel = (body.channel ?? {}) as Record<string, unknown>;
  const container = (body.container ?? {}) as Record<string, unknown>;
  return {
    userId: String(user.id ?? ''),
    teamIds: strings(team?.id, user.team_id),
    enterpriseIds: strings(enterprise?.id, body.enterprise_id),
    channelId: String(channel.id ?? container.channel_id ?? ''),
    ...(typeof channel.name === 'string' ? { channelName: channel.name } : {}),
  };
}
