import type { Services } from '../services.js';
import type { DecisionOutcome } from './decide-deploy.js';

/** The Logs button: the cloud's full log, uploaded into the card's thread. */
export async function uploadLog(services: Services, runId: string, lane: string, phase: 'run' | 'destroy'): Promise<DecisionOutcome> {
  const run = await services.runs.get(runId);
  if (!run?.message) return { ok: false, text: 'This run no longer exists.' };
  const key = phase === 'destroy' ? `destroy-${lane}` : lane;
  const log = await services.logs.get(runId, key);
  if (log === undefined) return { ok: false, text: `No log is kept for ${lane} of run ${runId} (logs are kept 14 days, and only once a cloud has finished).` };
  await services.slack.uploadText(run.message, `${runId}-${key}.log`, `${phase === 'destroy' ? 'Destroy' : 'Deploy'} log: ${lane} (run ${runId})`, log);
  return { ok: true };
}
