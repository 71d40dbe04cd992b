import { SCRIPTS } from '../redis/scripts.js';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { Keys } from '../redis/keys.js';
import type { RunStore } from '../runs/run-store.js';
import { renderCard, type CardOptions } from '../../views/card.js';
import type { Message } from '../../views/limits.js';
import type { SlackPoster } from './slack-poster.js';

export interface CardNotifierOptions {
  /** Minimum time between two edits of one card (Slack: chat.update is ~50/min per workspace). Default 1000. */
  minIntervalMs?: number;
  /** How long `flush` keeps trying to deliver a card's final state. Default 10 minutes. */
  flushTimeoutMs?: number;
  /** What the views need from the config (is a destroy pipeline configured, which suites exist). */
  card?: CardOptions;
}

/**
 * How long a card's edit lock outlives a holder that died (it is renewed before every send). Short,
 * so a killed worker holds up the next edit of its cards by seconds, not half a minute.
 */
const LOCK_MS = 10_000;
const KEY_TTL_SECONDS = 24 * 3600;

/**
 * Keeps each run's card in step with its state, from any number of processes.
 *
 * Every change bumps a version in Redis. Whoever holds the card's lock sends the newest state,
 * waiting so that one card is edited at most once per `minIntervalMs`; changes that arrive meanwhile
 * are coalesced into the next edit. The lock makes edits of one card sequential, so Slack never ends
 * on an older state than the last one sent. `flush` waits until the state it saw has been sent: the
 * final state is always delivered.
 */
export class CardNotifier {
  private readonly minIntervalMs: number;
  private readonly flushTimeoutMs: number;
  private readonly cardOptions: CardOptions;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly runs: RunStore,
    private readonly slack: SlackPoster,
    private readonly logger: Logger,
    options: CardNotifierOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 600_000;
    this.cardOptions = options.card ?? {};
  }

  async render(runId: string): Promise<Message | undefined> {
    const run = await this.runs.get(runId);
    return run ? renderCard(run, this.cardOptions) : undefined;
  }

  /** Posts the card of a new run in `channel`, remembers where, then catches up with any progress. */
  async post(runId: string, channel: string): Promise<{ channel: string; ts: string } | undefined> {
    const message = await this.render(runId);
    if (!message) return undefined;
    const posted = await this.postWithRetry(channel, message);
    await this.runs.setMessage(runId, posted);
    await this.redis.set(this.keys.card(runId, 'last'), String(Date.now()), 'EX', KEY_TTL_SECONDS);
    // The worker may have moved on while we posted; its edits were skipped without a ts.
    await this.flush(runId);
    return posted;
  }

  /**
   * A new card is worth waiting for: a run without one could never show its verdict. Retries
   * rate limits (after Retry-After) and Slack errors with backoff; gives up on answers that will
   * not change (channel_not_found, not_in_channel…).
   */
  private async postWithRetry(channel: string, message: Message): Promise<{ channel: string; ts: string }> {
    let delay = 500;
    const deadline = Date.now() + Math.min(this.flushTimeoutMs, 120_000);
    for (;;) {
      try {
        return await this.slack.postMessage(channel, message);
      } catch (err) {
        const platform = (err as { code?: string }).code === 'slack_webapi_platform_error';
        if (platform || Date.now() > deadline) throw err;
        await sleep(Math.max(delay, retryAfterMs(err)));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  /** Asks for the card to show the run's current state; returns at once. */
  refresh(runId: string): void {
    void this.bump(runId)
      .then(() => this.drain(runId))
      .then(() => undefined)
      .catch((err: unknown) => this.logger.warn({ err, runId }, 'card refresh failed'));
  }

  /** Resolves once the state as it is now has been sent (or the card has not been posted yet). */
  async flush(runId: string): Promise<void> {
    const wanted = await this.bump(runId);
    const deadline = Date.now() + this.flushTimeoutMs;
    let delay = 100;
    while (Date.now() < deadline) {
      const run = await this.runs.get(runId);
      if (!run?.message) return;
      const sent = Number((await this.redis.get(this.keys.card(runId, 'sent'))) ?? 0);
      if (sent >= wanted) return;
      const { drained, waitMs } = await this.drain(runId);
      if (!drained) {
        // Slack's Retry-After when it limited us, otherwise a growing backoff.
        await sleep(Math.max(delay, waitMs));
        delay = Math.min(delay * 2, 5000);
      }
    }
    this.logger.error({ runId }, 'gave up delivering the final state of a card');
  }

  private async bump(runId: string): Promise<number> {
    const key = this.keys.card(runId, 'ver');
    const [[, version]] = (await this.redis.multi().incr(key).expire(key, KEY_TTL_SECONDS).exec()) as [[null, number]];
    return version;
  }

  /**
   * Sends pending versions while holding the card's lock. `drained` is false when another holder
   * is sending (it will see our version) or when sending failed; `waitMs` is Slack's Retry-After.
   */
  private async drain(runId: string): Promise<{ drained: boolean; waitMs: number }> {
    const lockKey = this.keys.card(runId, 'lock');
    const token = randomUUID();
    if ((await this.redis.set(lockKey, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return { drained: false, waitMs: 0 };
    let ok = true;
    let waitMs = 0;
    let posted = true;
    try {
      for (;;) {
        const [version, sent, last] = await this.redis.mget(
          this.keys.card(runId, 'ver'),
          this.keys.card(runId, 'sent'),
          this.keys.card(runId, 'last'),
        );
        if (Number(version ?? 0) <= Number(sent ?? 0)) break;
        const wait = Number(last ?? 0) + this.minIntervalMs - Date.now();
        if (wait > 0) await sleep(wait);
        await this.redis.pexpire(lockKey, LOCK_MS);
        // Re-read the version right before rendering: everything up to it is in the state we send.
        const target = Number((await this.redis.get(this.keys.card(runId, 'ver'))) ?? 0);
        const run = await this.runs.get(runId);
        if (!run?.message) {
          posted = false; // post() sends the state as it is once the card exists
          break;
        }
        try {
          await this.slack.updateMessage(run.message, renderCard(run, this.cardOptions));
        } catch (err) {
          this.logger.warn({ err, runId }, 'chat.update failed; will retry on the next change or flush');
          waitMs = retryAfterMs(err);
          ok = false;
          break;
        }
        await this.redis
          .multi()
          .set(this.keys.card(runId, 'sent'), String(target), 'EX', KEY_TTL_SECONDS)
          .set(this.keys.card(runId, 'last'), String(Date.now()), 'EX', KEY_TTL_SECONDS)
          .exec();
      }
    } finally {
      await this.redis.eval(SCRIPTS.releaseIfToken, 1, lockKey, token);
    }
    if (!ok) return { drained: false, waitMs };
    if (!posted) return { drained: true, waitMs: 0 };
    // A change that arrived after our last check but before the release found the lock taken.
    const [version, sent] = await this.redis.mget(this.keys.card(runId, 'ver'), this.keys.card(runId, 'sent'));
    if (Number(version ?? 0) > Number(sent ?? 0)) return this.drain(runId);
    return { drained: true, waitMs: 0 };
  }
}

/** Slack's Retry-After (seconds) of a rate-limited call, in ms; 0 for other errors. */
function retryAfterMs(err: unknown): number {
  const seconds = (err as { retryAfter?: number }).retryAfter;
  return typeof seconds === 'number' && seconds > 0 ? Math.min(seconds, 120) * 1000 : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
