import type { Keys } from '../redis/keys.js';
import { MessageSync, type MessageSubject, type MessageSyncDeps, type MessageSyncOptions } from './message-sync.js';
import { renderNotification } from '../../views/notification.js';
import type { NotificationStore, RunRef } from '../notifications/notification-store.js';

export interface NotificationMessageDeps extends Omit<MessageSyncDeps<RunRef>, 'subject'> {
  keys: Pick<Keys, 'notificationEdited'>;
  store: Pick<NotificationStore, 'key' | 'ttlSeconds' | 'get' | 'message' | 'setMessage'>;
}

/**
 * Each CI run's one message (see MessageSync): drawn by views/notification from the run's newest state
 * in the NotificationStore, which also keeps where the message is. The store counts versions as it
 * records states, so callers only `publish`, with the channel a first message goes to.
 */
export class NotificationMessage extends MessageSync<RunRef> {
  constructor({ keys, store, ...deps }: NotificationMessageDeps, options: MessageSyncOptions = {}) {
    const subject: MessageSubject<RunRef> = {
      keys: (ref) => ({ version: store.key(ref, 'ver'), sent: store.key(ref, 'sent'), edited: keys.notificationEdited(ref.repo, ref.pipeline, ref.runId), lock: store.key(ref, 'lock') }),
      ttlSeconds: store.ttlSeconds,
      render: async (ref) => {
        const state = await store.get(ref);
        return state && renderNotification(state);
      },
      messageRef: (ref) => store.message(ref),
      setMessageRef: (ref, posted) => store.setMessage(ref, posted),
    };
    super({ ...deps, subject }, options);
  }
}
