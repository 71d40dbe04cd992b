import type { Keys } from '../redis/keys.js';
import type { RunStore } from '../runs/run-store.js';
import { renderCard, type CardOptions } from '../../views/card.js';
import { MessageSync, type MessageSubject, type MessageSyncDeps, type MessageSyncOptions } from './message-sync.js';

export interface CardNotifierDeps extends Omit<MessageSyncDeps<string>, 'subject'> {
  keys: Pick<Keys, 'card'>;
  runs: Pick<RunStore, 'get' | 'setMessage'>;
}

export interface CardNotifierOptions extends MessageSyncOptions {
  /** What the views need from the config (is a destroy pipeline configured, which suites exist). */
  card?: CardOptions;
}

/** A run idle for a day has nothing left to show: its card's counters may go. */
const KEY_TTL_SECONDS = 24 * 3600;

/** Each run's card (see MessageSync), by run id: drawn by views/card from the RunStore, which also keeps where the card is. */
export class CardNotifier extends MessageSync<string> {
  constructor({ keys, runs, ...deps }: CardNotifierDeps, { card = {}, ...options }: CardNotifierOptions = {}) {
    const subject: MessageSubject<string> = {
      keys: (runId) => ({ version: keys.card(runId, 'ver'), sent: keys.card(runId, 'sent'), edited: keys.card(runId, 'last'), lock: keys.card(runId, 'lock') }),
      ttlSeconds: KEY_TTL_SECONDS,
      render: async (runId) => {
        const run = await runs.get(runId);
        return run && renderCard(run, card);
      },
      messageRef: async (runId) => (await runs.get(runId))?.message,
      setMessageRef: (runId, ref) => runs.setMessage(runId, ref),
    };
    super({ ...deps, subject }, options);
  }
}
