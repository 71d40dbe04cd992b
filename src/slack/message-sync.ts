import { createHash, randomUUID } from 'node:crypto';
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
  /**
   * When the message was last posted or edited (ms since the epoch), what kind of send that was, and
   * a digest of what Slack shows: `<ms> <post|edit> <digest>`.
   */
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
  /**
   * Minimum time between two edits of one message (Slack: chat.update is ~50/min per workspace).
   * The first post does not count: the first edit may follow it at once. Default 1000.
   */
  minIntervalMs?: number;
  /**
   * The quiet time an edit waits for, so that the changes of one moment (a step's result, then its
   * lane's end a few ms later) go out as one edit: each change seen restarts it, up to
   * `maxDebounceMs`. `flush` and `settle` skip it (they send the state as it is). Default 100.
   */
  debounceMs?: number;
  /** The longest an edit is held back by the debounce once it may be sent. Default 4 × `debounceMs`. */
  maxDebounceMs?: number;
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

/** What the last send left in Slack, as kept in the subject's `edited` key. */
interface LastSend {
  at: number;
  kind: 'post' | 'edit' | undefined;
  digest: string | undefined;
}

/** In this process: whether someone asked for the subject's state to go out now, and who sleeps on it. */
interface Urgency {
  now: boolean;
  wake?: () => void;
}

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
  private readonly debounceMs: number;
  private readonly maxDebounceMs: number;
  /** By lock key: subjects whose state was asked for now (flush, settle) in this process. */
  private readonly urgent = new Map<string, Urgency>();
  /** Background deliveries of final states (`settle`), awaited by `idle`. */
  private readonly settling = new Set<Promise<unknown>>();
  /** By lock key: where this process posted a subject's message, for a `post` waiting to say it. */
  private readonly postedHere = new Map<string, MessageRef | undefined>();

  constructor(deps: MessageSyncDeps<S>, options: MessageSyncOptions = {}) {
    this.redis = deps.redis;
    this.slack = deps.slack;
    this.logger = deps.logger;
    this.subject = deps.subject;
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 600_000;
    this.lockMs = options.lockMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.debounceMs = Math.max(0, options.debounceMs ?? 100);
    this.maxDebounceMs = Math.max(this.debounceMs, options.maxDebounceMs ?? this.debounceMs * 4);
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
    const lock = this.subject.keys(subject).lock;
    this.postedHere.set(lock, undefined);
    try {
      await this.flush(subject, channel);
      // Posted by this process just now: no need to read back where.
      return this.postedHere.get(lock) ?? (await this.subject.messageRef(subject));
    } finally {
      this.postedHere.delete(lock);
    }
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
   * and no `channel` to post one in (whoever posts it sends the state as it is then): true then.
   * Gives up, logged, after `flushTimeoutMs` (false); throws when Slack would not take a post.
   * The state goes out without the debounce: it is what the caller wants shown now.
   */
  async flush(subject: S, channel?: string): Promise<boolean> {
    const wanted = await this.changed(subject);
    const keys = this.subject.keys(subject);
    this.hurry(keys.lock);
    try {
      return await this.deliver(subject, keys, wanted, channel);
    } finally {
      // Nobody of this process sleeps on it any more: forget it (a drain here keeps its own reference).
      if (!this.urgent.get(keys.lock)?.wake) this.urgent.delete(keys.lock);
    }
  }

  private async deliver(subject: S, keys: MessageSyncKeys, wanted: number, channel: string | undefined): Promise<boolean> {
    const deadline = Date.now() + this.flushTimeoutMs;
    let delay = 100;
    for (let tries = 0; Date.now() < deadline; tries++) {
      if (!channel && !(await this.subject.messageRef(subject))) return true;
      // The first try goes straight to the attempt: the version was bumped a moment ago, so it is
      // almost never sent yet, and the attempt checks that again under the lock anyway.
      if (tries > 0 && Number((await this.redis.get(keys.sent)) ?? 0) >= wanted) return true;
      const attempt = await this.attempt(subject, channel);
      if (attempt.outcome === 'sent' || attempt.outcome === 'idle') return true;
      if (attempt.outcome === 'failed' && attempt.posting) throw attempt.error;
      // Slack's Retry-After when it limited us, otherwise a growing backoff (also while another sends).
      await sleep(Math.max(delay, attempt.outcome === 'failed' ? attempt.retryAfterMs : 0));
      delay = Math.min(delay * 2, 5000);
    }
    this.logger.error({ subject }, 'gave up delivering the newest state of a message');
    return false;
  }

  /**
   * Delivers the subject's state as it is now in the background (a `flush` nobody waits for): a job
   * whose work is done ends, and whoever holds the message sends its final state. `idle` waits for
   * every delivery started here. Resolves with the flush (true once delivered), never rejects.
   */
  settle(subject: S): Promise<boolean> {
    const delivery = this.flush(subject).catch((err: unknown) => {
      this.logger.warn({ err, subject }, 'could not deliver the final state of a message');
      return false;
    });
    this.track(delivery);
    return delivery;
  }

  /** Counts a background delivery for `idle`. */
  protected track(delivery: Promise<unknown>): void {
    this.settling.add(delivery);
    void delivery.finally(() => this.settling.delete(delivery));
  }

  /** Resolves once every delivery `settle` started in this process has ended (shutdown waits for it). */
  async idle(): Promise<void> {
    while (this.settling.size > 0) await Promise.all([...this.settling]);
  }

  /** The subject's state is wanted now: a sender of this process waiting out the debounce stops waiting. */
  private hurry(lockKey: string): void {
    const urgency = this.urgent.get(lockKey) ?? { now: false };
    urgency.now = true;
    this.urgent.set(lockKey, urgency);
    urgency.wake?.();
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
      let read = await this.redis.mget(keys.version, keys.sent, keys.edited);
      for (;;) {
        const [version, sent, edited] = read;
        if (Number(version ?? 0) <= Number(sent ?? 0)) return { outcome: 'sent' };
        const ref = await this.subject.messageRef(subject);
        if (!ref && !channel) return { outcome: 'idle' };
        const last = parseLastSend(edited ?? null);
        if (ref) await this.quietMoment(keys, Number(version ?? 0), last.kind === 'edit' ? last.at + this.minIntervalMs : 0);
        if (lock.lost) return { outcome: 'busy' };
        // Read the version before rendering: everything counted up to it is in what we send. A first
        // post waited for nothing since the version was read above.
        const target = ref ? Number((await this.redis.get(keys.version)) ?? 0) : Number(version ?? 0);
        const urgency = this.urgent.get(keys.lock);
        if (urgency) urgency.now = false;
        const message = await this.subject.render(subject);
        if (!message) return { outcome: 'idle' };
        const digest = digestOf(message);
        const ttl = this.subject.ttlSeconds;
        if (ref && digest === last.digest) {
          // Slack shows this already (a change that changed nothing on the message): no edit.
          read = await this.recorded(keys, this.redis.multi().set(keys.sent, String(target), 'EX', ttl));
          continue;
        }
        let failed = ref ? await this.edit(ref, message) : undefined;
        let kind: 'post' | 'edit' = 'edit';
        // Someone deleted the message: the subject gets a new one rather than going silent.
        if (channel && (!ref || (failed && platformError(failed.error) === 'message_not_found'))) {
          failed = await this.postNew(subject, channel, message);
          kind = 'post';
        }
        if (failed) return failed;
        read = await this.recorded(keys, this.redis.multi().set(keys.sent, String(target), 'EX', ttl).set(keys.edited, `${Date.now()} ${kind} ${digest}`, 'EX', ttl));
      }
    } finally {
      if (this.urgent.get(keys.lock)?.now === false) this.urgent.delete(keys.lock);
      await lock.release();
    }
  }

  /**
   * Waits until an edit may go: `notBefore` (the interval since the last edit), then until no change
   * arrived for `debounceMs` (at most `maxDebounceMs` past `notBefore`), unless the state is wanted now.
   */
  private async quietMoment(keys: MessageSyncKeys, seen: number, notBefore: number): Promise<void> {
    const urgency = this.urgent.get(keys.lock) ?? { now: false };
    this.urgent.set(keys.lock, urgency);
    const cap = Math.max(Date.now(), notBefore) + this.maxDebounceMs;
    let last = seen;
    try {
      for (;;) {
        const now = Date.now();
        const quiet = urgency.now ? 0 : Math.min(this.debounceMs, cap - now);
        const wait = Math.max(notBefore - now, quiet);
        if (wait <= 0) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          urgency.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        urgency.wake = undefined;
        if (Date.now() < notBefore) continue;
        if (urgency.now) return;
        const version = Number((await this.redis.get(keys.version)) ?? 0);
        if (version === last) return;
        last = version;
      }
    } finally {
      urgency.wake = undefined;
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
    const lock = this.subject.keys(subject).lock;
    if (this.postedHere.has(lock)) this.postedHere.set(lock, posted);
    return undefined;
  }

  /** Writes what a send left (`writes`) and, in the same round trip, reads the state the next loop starts from. */
  private async recorded(keys: MessageSyncKeys, writes: ReturnType<MessageSyncDeps<S>['redis']['multi']>): Promise<(string | null)[]> {
    const results = await writes.mget(keys.version, keys.sent, keys.edited).exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('the transaction was discarded');
    return results.at(-1)![1] as (string | null)[];
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

function parseLastSend(raw: string | null): LastSend {
  // Written as `<ms> <kind> <digest>`; an older process wrote only `<ms>` (an edit, no digest).
  const [at = '0', kind, digest] = (raw ?? '0').split(' ');
  return { at: Number(at) || 0, kind: kind === 'post' ? 'post' : raw ? 'edit' : undefined, digest };
}

/** What a message looks like, in a few bytes: two sends with one digest show the same thing. */
function digestOf(message: Message): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 22);
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
