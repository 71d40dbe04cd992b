import type { RunMeta } from '../runs/run.js';

/**
 * Whether a button was clicked on the run's own card: a click that names a run from another
 * channel (an old card shared elsewhere, a crafted payload) is refused, so the channel where the
 * run is visible is the only place it can be acted on.
 */
export function clickedInRunChannel(run: Pick<RunMeta, 'channel' | 'message'>, channel: string | undefined): boolean {
  if (channel === undefined) return true; // a slash command names the run itself; it is authorised by person
  return channel === run.channel || channel === run.message?.channel;
}
