import { SCRIPTS } from '../redis/scripts.js';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import type { Logger } from '../logger.js';
import type { MessageRef, SlackPoster } from '../slack/slack-poster.js';
import type { Message } from '../../views/limits.js';
import { renderNotification } from '../../views/notification.js';
import type { NotificationStore, RunRef } from '../notifications/notification-store.js';

export interface NotificationPublisherOptions {
  /** How long a sender holds a run's lock before another may take over from a stuck one. Default 30 s. */
  lockMs?: number;
  /** The longest Retry-After waited for when Slack rate-limits; a longer one waits for the run's next event. Default 30 s. */
  maxRetryAfterMs?: number;
}

type DrainResult = 'sent' | 'busy' | 'failed';

/**
 * Puts a run's newest state in Slack: the first time as a new message, then as edits of that one.
 *
 * Deliveries of one run may arrive at once, in any process. Whoever takes the run's lock (SET NX)
 * sends, and keeps sending until Slack shows the newest recorded version; the others only record
 * and leave. So the first post happens once, edits never overtake each other, and a state recorded
 * while another sender holds the lock is picked up by that sender or by the check after release.
 */
export class NotificationPublisher {
  private readonly lockMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly store: NotificationStore,
    private readonly slack: SlackPoster,
    private readonly logger: Logger,
    options: NotificationPublisherOptions = {},
  ) {
    this.lockMs = options.lockMs ?? 30_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  }

  /** Sends what is pending for the run; a new message goes to `channel`, an existing one is edited where it is. */
  async publish(ref: RunRef, channel: string): Promise<void> {
    for (;;) {
      if ((await this.drain(ref, channel)) !== 'sent') return;
      // A state recorded after our last check found the lock still taken: nobody else will send it.
      const { version, sent } = await this.store.versions(ref);
      if (version <= sent) return;
    }
  }

  private async drain(ref: RunRef, channel: string): Promise<DrainResult> {
    const lockKey = this.store.key(ref, 'lock');
    const token = randomUUID();
    if ((await this.redis.set(lockKey, token, 'PX', this.lockMs, 'NX')) !== 'OK') return 'busy';
    const keepLock = (extraMs = 0) => this.redis.pexpire(lockKey, this.lockMs + extraMs);
    try {
      for (;;) {
        const { version, sent } = await this.store.versions(ref);
        if (version <= sent) return 'sent';
        const state = await this.store.get(ref);
        if (!state) return 'sent'; // expired: nothing left to show
        await keepLock();
        if (!(await this.send(ref, channel, renderNotification(state), keepLock))) return 'failed';
        await this.store.markSent(ref, version);
      }
    } finally {
      await this.redis.eval(SCRIPTS.releaseIfToken, 1, lockKey, token);
    }
  }

  /** One post or edit; false (logged) when Slack refused it: the run's next event tries again. */
  private async send(ref: RunRef, channel: string, message: Message, keepLock: (extraMs?: number) => Promise<unknown>): Promise<boolean> {
    try {
      const existing = await this.store.message(ref);
      if (existing) {
        const edited = await this.withRetryAfter(() => this.slack.updateMessage(existing, message), keepLock).then(
          () => true,
          (err: unknown) => {
            // Someone deleted the message: the run gets a new one rather than going silent.
            if (err instanceof WebAPIPlatformError && err.data.error === 'message_not_found') return false;
            throw err;
          },
        );
        if (edited) return true;
      }
      const posted: MessageRef = await this.withRetryAfter(() => this.slack.postMessage(channel, message), keepLock);
      await this.store.setMessage(ref, posted);
      return true;
    } catch (err) {
      this.logger.warn({ err, run: ref, channel }, 'could not post or edit a CI notification');
      return false;
    }
  }

  private async withRetryAfter<T>(call: () => Promise<T>, keepLock: (extraMs?: number) => Promise<unknown>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const waitMs = err instanceof WebAPIRateLimitedError ? err.retryAfter * 1000 : Infinity;
        if (attempt >= 3 || waitMs > this.maxRetryAfterMs) throw err;
        await keepLock(waitMs);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }
}
