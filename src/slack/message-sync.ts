import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { SCRIPTS } from '../redis/scripts.js';
import type { Message } from '../../views/limits.js';
import type { MessageRef, SlackPoster } from './slack-poster.js';

/** Where one subject's sync state lives in Redis; the store that owns the subject names them (src/redis/keys.ts). */
export interface MessageSyncKeys {
  /** Counts the subject's changes (by `changed`, or by the subject's own store). */
  version: string;
  /** The version Slack shows. */
  sent: string;
  /** When the message was last posted or edited, in ms since the epoch. */
  edited: string;
  /** Held, with a token, by whoever is sending. */
  lock: string;
}

/** What MessageSync needs to know about one kind of subject: a run's card, a CI run's notification. */
export interface MessageSubject<S> {
  keys(subject: S): MessageSyncKeys;
  /** How long those keys outlive the subject's last change or send. */
  ttlSeconds: number;
  /** The message as the subject stands now; undefined once the subject is gone (nothing left to show). */
  render(subject: S): Promise<Message | undefined>;
  /** Where the subject's message is; undefined until it is first posted. */
  messageRef(subject: S): Promise<MessageRef | undefined>;
  /** Remembers where the subject's message was posted. */
  setMessageRef(subject: S, ref: MessageRef): Promise<void>;
}

export interface MessageSyncDeps<S> {
  redis: Pick<Redis, 'set' | 'get' | 'mget' | 'eval' | 'multi'>;
  slack: Pick<SlackPoster, 'postMessage' | 'updateMessage'>;
  logger: Logger;
  subject: MessageSubject<S>;
}

export interface MessageSyncOptions {
  /** Minimum time between two edits of one message (Slack: chat.update is ~50/min per workspace). Default 1000. */
  minIntervalMs?: number;
  /** How long `flush` keeps trying to deliver the newest state. Default 10 minutes. */
  flushTimeoutMs?: number;
  /**
   * How long a dead sender's lock holds up the next one. It is renewed while held, so only a holder
   * that died (or stalled this long) loses it. Default 10 s.
   */
  lockMs?: number;
  /** The longest Retry-After waited out inside one edit; a longer one ends the attempt, and `flush` or the next change retries. Default 30 s. */
  maxRetryAfterMs?: number;
}

type Failed = {
  outcome: 'failed';
  error: unknown;
  /** Slack's Retry-After, 0 when it gave none. */
  retryAfterMs: number;
  /** A post (first, or replacing a deleted message), already retried until its deadline. */
  posting: boolean;
};

type Attempt =
  /** Slack shows every version counted before the attempt. */
  | { outcome: 'sent' }
  /** Nothing can be sent: the subject is gone, or it has no message and no channel to post one in. */
  | { outcome: 'idle' }
  /** Another sender holds the lock and will send our version too. */
  | { outcome: 'busy' }
  | Failed;

interface HeldLock {
  /** Another sender took the lock over: ours expired while we stalled. */
  readonly lost: boolean;
  release(): Promise<void>;
}

/** Gives up on a first post after this long even when `flushTimeoutMs` is longer: the caller is waiting. */
const POST_TIMEOUT_MS = 120_000;

/**
 * Keeps one Slack message per subject in step with the subject's state, from any number of processes.
 *
 * Every change bumps the subject's version in Redis. Whoever takes the subject's lock sends the newest
 * state, the first time as a post and then as edits spaced by `minIntervalMs`; changes that arrive
 * meanwhile are coalesced into the next edit, and the others only count their change and leave. The
 * lock makes sends of one message sequential, so the first post happens once and Slack never ends on
 * an older state than the last one sent. `flush` waits until the state it saw has been sent: the final
 * state is always delivered.
 */
export class MessageSync<S> {
  private readonly redis: MessageSyncDeps<S>['redis'];
  private readonly slack: MessageSyncDeps<S>['slack'];
  private readonly logger: Logger;
  private readonly subject: MessageSubject<S>;
  private readonly minIntervalMs: number;
  private readonly flushTimeoutMs: number;
  private readonly lockMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(deps: MessageSyncDeps<S>, options: MessageSyncOptions = {}) {
    this.redis = deps.redis;
    this.slack = deps.slack;
    this.logger = deps.logger;
    this.subject = deps.subject;
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 600_000;
    this.lockMs = options.lockMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  }

  /** Counts a change of the subject; returns the version that includes it. */
  async changed(subject: S): Promise<number> {
    const key = this.subject.keys(subject).version;
    const [[error, version]] = (await this.redis.multi().incr(key).expire(key, this.subject.ttlSeconds).exec()) as [[Error | null, number]];
    if (error) throw error;
    return version;
  }

  /**
   * Posts the subject's first message in `channel`, then catches up with the changes made meanwhile.
   * A message is worth waiting for (a run without its card could never show its verdict): rate
   * limits and Slack errors are retried, answers that will not change (channel_not_found…) are thrown.
   * Undefined when the subject is gone.
   */
  async post(subject: S, channel: string): Promise<MessageRef | undefined> {
    await this.flush(subject, channel);
    return this.subject.messageRef(subject);
  }

  /** Asks for the message to show the subject's current state; returns at once. */
  refresh(subject: S): void {
    void this.changed(subject)
      .then(() => this.attempt(subject))
      .catch((err: unknown) => this.logger.warn({ err, subject }, 'message refresh failed'));
  }

  /**
   * Sends what is pending unless another sender is at it: one attempt, whose failure is logged and
   * left to the next change or a flush. With a `channel`, a subject without a message (or whose
   * message was deleted) gets one there.
   */
  async publish(subject: S, channel?: string): Promise<void> {
    await this.attempt(subject, channel);
  }

  /**
   * Resolves once the subject's state as it is now has been sent, or at once when it has no message
   * and no `channel` to post one in (whoever posts it sends the state as it is then). Gives up, logged,
   * after `flushTimeoutMs`; throws when Slack would not take a post.
   */
  async flush(subject: S, channel?: string): Promise<void> {
    const wanted = await this.changed(subject);
    const keys = this.subject.keys(subject);
    const deadline = Date.now() + this.flushTimeoutMs;
    let delay = 100;
    while (Date.now() < deadline) {
      if (!channel && !(await this.subject.messageRef(subject))) return;
      if (Number((await this.redis.get(keys.sent)) ?? 0) >= wanted) return;
      const attempt = await this.attempt(subject, channel);
      if (attempt.outcome === 'sent' || attempt.outcome === 'idle') return;
      if (attempt.outcome === 'failed' && attempt.posting) throw attempt.error;
      // Slack's Retry-After when it limited us, otherwise a growing backoff (also while another sends).
      await sleep(Math.max(delay, attempt.outcome === 'failed' ? attempt.retryAfterMs : 0));
      delay = Math.min(delay * 2, 5000);
    }
    this.logger.error({ subject }, 'gave up delivering the newest state of a message');
  }

  private async attempt(subject: S, channel?: string): Promise<Attempt> {
    const keys = this.subject.keys(subject);
    for (;;) {
      const attempt = await this.drain(subject, keys, channel);
      if (attempt.outcome === 'failed') {
        this.logger.warn({ err: attempt.error, subject, channel }, 'could not post or edit a message; the next change or a flush tries again');
      }
      if (attempt.outcome !== 'sent') return attempt;
      // A change counted after our last check, while we still held the lock, found it taken: nobody else will send it.
      const [version, sent] = await this.redis.mget(keys.version, keys.sent);
      if (Number(version ?? 0) <= Number(sent ?? 0)) return attempt;
    }
  }

  /** Sends pending versions while holding the subject's lock, until Slack shows the newest one. */
  private async drain(subject: S, keys: MessageSyncKeys, channel: string | undefined): Promise<Attempt> {
    const lock = await this.acquire(keys.lock);
    if (!lock) return { outcome: 'busy' };
    try {
      for (;;) {
        const [version, sent, edited] = await this.redis.mget(keys.version, keys.sent, keys.edited);
        if (Number(version ?? 0) <= Number(sent ?? 0)) return { outcome: 'sent' };
        const ref = await this.subject.messageRef(subject);
        if (!ref && !channel) return { outcome: 'idle' };
        if (ref) {
          const wait = Number(edited ?? 0) + this.minIntervalMs - Date.now();
          if (wait > 0) await sleep(wait);
        }
        if (lock.lost) return { outcome: 'busy' };
        // Read the version before rendering: everything counted up to it is in what we send.
        const target = Number((await this.redis.get(keys.version)) ?? 0);
        const message = await this.subject.render(subject);
        if (!message) return { outcome: 'idle' };
        let failed = ref ? await this.edit(ref, message) : undefined;
        // Someone deleted the message: the subject gets a new one rather than going silent.
        if (channel && (!ref || (failed && platformError(failed.error) === 'message_not_found'))) {
          failed = await this.postNew(subject, channel, message);
        }
        if (failed) return failed;
        const ttl = this.subject.ttlSeconds;
        await this.redis.multi().set(keys.sent, String(target), 'EX', ttl).set(keys.edited, String(Date.now()), 'EX', ttl).exec();
      }
    } finally {
      await lock.release();
    }
  }

  private async edit(ref: MessageRef, message: Message): Promise<Failed | undefined> {
    try {
      await this.withShortRetryAfter(() => this.slack.updateMessage(ref, message));
      return undefined;
    } catch (error) {
      return { outcome: 'failed', error, retryAfterMs: retryAfterMs(error), posting: false };
    }
  }

  private async postNew(subject: S, channel: string, message: Message): Promise<Failed | undefined> {
    let posted: MessageRef;
    try {
      posted = await this.postWithRetry(channel, message);
    } catch (error) {
      return { outcome: 'failed', error, retryAfterMs: retryAfterMs(error), posting: true };
    }
    await this.subject.setMessageRef(subject, posted);
    return undefined;
  }

  /** Waits out a short Retry-After in place (the lock is held meanwhile); anything else is the caller's. */
  private async withShortRetryAfter<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const waitMs = retryAfterMs(err);
        if (!isRateLimited(err) || attempt >= 3 || waitMs > this.maxRetryAfterMs) throw err;
        await sleep(waitMs);
      }
    }
  }

  /** Retries rate limits (after Retry-After) and Slack errors with backoff; gives up on answers that will not change. */
  private async postWithRetry(channel: string, message: Message): Promise<MessageRef> {
    let delay = 500;
    const deadline = Date.now() + Math.min(this.flushTimeoutMs, POST_TIMEOUT_MS);
    for (;;) {
      try {
        return await this.slack.postMessage(channel, message);
      } catch (err) {
        if (platformError(err) !== undefined || Date.now() > deadline) throw err;
        await sleep(Math.max(delay, retryAfterMs(err)));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private async acquire(key: string): Promise<HeldLock | undefined> {
    const token = randomUUID();
    if ((await this.redis.set(key, token, 'PX', this.lockMs, 'NX')) !== 'OK') return undefined;
    let lost = false;
    let renewing: Promise<unknown> | undefined;
    // Renewed while held: a Slack call can outlast the expiry (client timeout and retries), and a
    // second sender must not start then. A holder that dies stops renewing and is taken over.
    const timer = setInterval(() => {
      renewing ??= this.redis
        .eval(SCRIPTS.renewIfToken, 1, key, token, String(this.lockMs))
        .then(
          (renewed) => {
            if (Number(renewed) === 0) lost = true;
          },
          () => undefined, // Redis away: the lock expires unless a later renewal gets through
        )
        .finally(() => (renewing = undefined));
    }, Math.max(10, Math.floor(this.lockMs / 3)));
    timer.unref();
    return {
      get lost() {
        return lost;
      },
      release: async () => {
        clearInterval(timer);
        await this.redis.eval(SCRIPTS.releaseIfToken, 1, key, token);
      },
    };
  }
}

/** The `error` of a Slack API answer that was not ok (`message_not_found`, `channel_not_found`…); undefined for other failures. */
function platformError(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } };
  return e.code === ErrorCode.PlatformError ? (e.data?.error ?? '') : undefined;
}

function isRateLimited(err: unknown): boolean {
  return (err as { code?: string }).code === ErrorCode.RateLimitedError;
}

/** Slack's Retry-After (seconds) of a rate-limited call, in ms; 0 for other errors. */
function retryAfterMs(err: unknown): number {
  const seconds = (err as { retryAfter?: number }).retryAfter;
  return typeof seconds === 'number' && seconds > 0 ? Math.min(seconds, 120) * 1000 : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
