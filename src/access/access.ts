import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/** How long a usergroup's members are cached: short, so removing someone takes effect quickly. */
const USERGROUP_CACHE_SECONDS = 60;

/**
 * Decides at click time whether a Slack user is one of a list of principals: user ids, usergroup
 * ids (S…, resolved with usergroups.users.list) or "*".
 */
export class Access {
  constructor(
    private readonly client: WebClient,
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async allows(principals: readonly string[], userId: string): Promise<boolean> {
    if (principals.includes('*') || principals.includes(userId)) return true;
    for (const group of principals.filter((p) => p.startsWith('S'))) {
      if ((await this.members(group)).includes(userId)) return true;
    }
    return false;
  }

  private async members(usergroup: string): Promise<string[]> {
    const key = this.keys.usergroup(usergroup);
    const cached = await this.redis.get(key);
    if (cached) return JSON.parse(cached) as string[];
    try {
      const result = await this.client.usergroups.users.list({ usergroup });
      const users = result.users ?? [];
      await this.redis.set(key, JSON.stringify(users), 'EX', USERGROUP_CACHE_SECONDS);
      return users;
    } catch {
      return []; // an unknown or unreadable group grants nothing
    }
  }
}
