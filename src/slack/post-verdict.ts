import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { RunStore } from '../runs/run-store.js';
import type { Once } from '../runs/once.js';
import type { SlackPoster } from './slack-poster.js';

/** What posting a verdict in the team channel touches. */
export interface VerdictDeps {
  config: Pick<Config, 'channel'>;
  runs: Pick<RunStore, 'get'>;
  once: Pick<Once, 'claim' | 'release'>;
  slack: Pick<SlackPoster, 'postMessage'>;
  logger: Pick<Logger, 'warn'>;
}
import { renderVerdict } from '../../views/verdict.js';

/**
 * A run a person started outside the team channel (a DM, another channel) also posts its final
 * verdict in `channel`, once.
 */
export async function postVerdictElsewhere(services: VerdictDeps, runId: string, phase: 'build' | 'deploy' | 'destroy'): Promise<void> {
  const channel = services.config.channel;
  const run = await services.runs.get(runId);
  if (!channel || !run || run.channel === channel) return;
  // Runs queued by webhooks went where the routes sent them on purpose; only people's runs count here.
  if (!/^[UW][A-Z0-9]{2,}$/.test(run.requestedBy)) return;
  if (run.kind === 'deploy' && run.decision?.state !== 'approved') return;
  if (!(await services.once.claim('verdict', runId, phase))) return;
  try {
    await services.slack.postMessage(channel, renderVerdict(run));
  } catch (err) {
    await services.once.release('verdict', runId, phase);
    services.logger.warn({ err, runId, channel }, 'could not post the verdict in the team channel');
  }
}
