import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/** Slack retries an event for up to an hour or so; its id is remembered a day. */
const EVENT_TTL_SECONDS = 24 * 3600;

/**
 * Events API deliveries handled, by Slack's event_id: Slack sends an event again (with
 * `X-Slack-Retry-Num`) when the answer was slow or lost, and a retry must not do the work twice.
 * The only owner of these keys.
 */
export class SlackEvents {
  constructor(
    private readonly redis: Pick<Redis, 'set'>,
    private readonly keys: Pick<Keys, 'slackEventSeen'>,
  ) {}

  /** True the first time an event id is seen. */
  async first(eventId: string): Promise<boolean> {
    return (await this.redis.set(this.keys.slackEventSeen(eventId), '1', 'EX', EVENT_TTL_SECONDS, 'NX')) === 'OK';
  }
}
