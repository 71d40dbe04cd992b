import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import type { RunStore } from '../runs/run-store.js';
import { renderCard, type CardOptions } from '../../views/card.js';
import { MessageSync, type MessageSubject, type MessageSyncDeps, type MessageSyncOptions } from './message-sync.js';

export interface CardNotifierDeps extends Omit<MessageSyncDeps<string>, 'subject' | 'redis'> {
  redis: MessageSyncDeps<string>['redis'] & Pick<Redis, 'zadd' | 'zrem' | 'zrangebyscore' | 'zremrangebyscore'>;
  keys: Pick<Keys, 'card' | 'cardsSettling'>;
  runs: Pick<RunStore, 'get' | 'message' | 'setMessage'>;
}

export interface CardNotifierOptions extends MessageSyncOptions {
  /** What the views need from the config (is a destroy pipeline configured, which suites exist). */
  card?: CardOptions;
}

/** A run idle for a day has nothing left to show: its card's counters may go. */
const KEY_TTL_SECONDS = 24 * 3600;

/** Each run's card (see MessageSync), by run id: drawn by views/card from the RunStore, which also keeps where the card is. */
export class CardNotifier extends MessageSync<string> {
  private readonly store: CardNotifierDeps['redis'];
  private readonly settlingKey: string;

  constructor({ keys, runs, redis, ...deps }: CardNotifierDeps, { card = {}, ...options }: CardNotifierOptions = {}) {
    const subject: MessageSubject<string> = {
      keys: (runId) => ({ version: keys.card(runId, 'ver'), sent: keys.card(runId, 'sent'), edited: keys.card(runId, 'last'), lock: keys.card(runId, 'lock') }),
      ttlSeconds: KEY_TTL_SECONDS,
      render: async (runId) => {
        const run = await runs.get(runId);
        return run && renderCard(run, card);
      },
      messageRef: (runId) => runs.message(runId),
      setMessageRef: (runId, ref) => runs.setMessage(runId, ref),
    };
    super({ ...deps, redis, subject }, options);
    this.store = redis;
    this.settlingKey = keys.cardsSettling();
  }

  /**
   * The run's work is done: its card's final state is delivered in the background (the job ends
   * now). Written down in Redis first, so that a worker killed before the card shows it leaves it to
   * the next worker that starts (`resumeSettling`); `idle` waits for it at shutdown.
   */
  override settle(runId: string): Promise<boolean> {
    const delivery = (async () => {
      await this.store.zadd(this.settlingKey, Date.now(), runId);
      const delivered = await super.settle(runId);
      if (delivered) await this.store.zrem(this.settlingKey, runId);
      return delivered;
    })().catch(() => false);
    this.track(delivery);
    return delivery;
  }

  /** Delivers the final states a lost worker left undelivered (a day at most: older cards are gone). */
  async resumeSettling(): Promise<number> {
    await this.store.zremrangebyscore(this.settlingKey, 0, Date.now() - KEY_TTL_SECONDS * 1000);
    const runIds = await this.store.zrangebyscore(this.settlingKey, 0, '+inf');
    for (const runId of runIds) void this.settle(runId);
    return runIds.length;
  }
}
