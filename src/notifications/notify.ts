import type { Notification } from './notification.js';
import { runRefOf, type NotificationStore } from './notification-store.js';
import { passesFilter, type RouteChoice } from './routing.js';
import type { TransitionTracker } from './transitions.js';

export interface NotifyDeps {
  store: Pick<NotificationStore, 'record' | 'message'>;
  transitions: Pick<TransitionTracker, 'observe'>;
}

/** What became of a run's new state; only an accepted one is for the channel to see. */
export type Notified =
  /** A later state of this run was already recorded: the message never moves backwards. */
  | { result: 'stale' }
  /** Recorded, but the route takes only failures and recoveries, and the run has no message yet. */
  | { result: 'filtered' }
  /** Recorded, with its transition when it is a verdict that changes the branch's story. */
  | { result: 'accepted'; state: Notification };

/**
 * Compares a verdict with the branch's last one, records the run's new state, and says whether the
 * channel should see it. Posting is left to the caller, which may answer its sender first.
 */
export async function recordNotification(deps: NotifyDeps, n: Notification, choice: RouteChoice): Promise<Notified> {
  const transition = await deps.transitions.observe(n);
  const state: Notification = transition ? { ...n, transition } : n;
  if ((await deps.store.record(state)) === 0) return { result: 'stale' };
  // A run already in the channel keeps being edited: its message must not freeze on an old state.
  const posted = (await deps.store.message(runRefOf(n))) !== undefined;
  if (!posted && !passesFilter(choice, state)) return { result: 'filtered' };
  return { result: 'accepted', state };
}
