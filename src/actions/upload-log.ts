import type { Services } from '../services.js';
import type { DecisionOutcome } from './decide-deploy.js';
import { clickedInRunChannel, WRONG_CHANNEL } from '../access/run-channel.js';
import { formatDuration } from '../config/duration.js';

/**
 * The Logs button: the cloud's full (already redacted) log, uploaded into the card's thread. Allowed
 * to whoever may start that kind of run (builders, deployers) and to approvers, from the run's channel.
 */
export async function uploadLog(services: Services, runId: string, lane: string, phase: 'run' | 'destroy', user: string, channel?: string): Promise<DecisionOutcome> {
  const { access, config } = services;
  const run = await services.runs.get(runId);
  if (!run?.message) return { ok: false, text: 'This run no longer exists.' };
  if (!clickedInRunChannel(run, channel)) return { ok: false, text: WRONG_CHANNEL };
  const readers = run.kind === 'build' ? (config.access.builders ?? config.access.deployers) : config.access.deployers;
  if (!(await access.allows(readers, user)) && !(await access.allows(config.access.approvers, user))) {
    return { ok: false, text: `Only ${run.kind === 'build' ? 'builders' : 'deployers'} and approvers can read run logs.` };
  }
  const key = phase === 'destroy' ? `destroy-${lane}` : lane;
  const log = await services.logs.get(runId, key);
  if (log === undefined) return { ok: false, text: `No log is kept for ${lane} of run ${runId} (logs are kept ${formatDuration(services.logs.retentionMs)}, and only once a cloud has finished).` };
  await services.slack.uploadText(run.message, `${runId}-${key}.log`, `${phase === 'destroy' ? 'Destroy' : 'Deploy'} log: ${lane} (run ${runId})`, log);
  return { ok: true };
}
