import type { Job } from 'bullmq';
import type { ExpiryJobData } from '../queue/expiry-queue.js';
import { endLifetime } from '../actions/end-lifetime.js';
import { expireApproval } from '../actions/expire-approval.js';
import { renderKeepReminder } from '../../views/keep-reminder.js';
import type { WorkerDeps } from './worker-deps.js';

/**
 * The timers of deploys. `approval` ends a request nobody decided in time (its card loses its
 * buttons). The timers of kept deploys: `remind` posts the reminder in the card's thread (once per lifetime's
 * end); `expire` destroys the clouds the deploy still carries. Both check the run when they fire,
 * so an Extend, a destroy or a takeover since makes them do nothing. The job's result says what
 * it did, for the queue's history.
 */
export function createExpiryProcessor(services: WorkerDeps) {
  return async (job: Job<ExpiryJobData>): Promise<string> => {
    const { runId, kind, at } = job.data;
    if (kind === 'approval') {
      const outcome = await expireApproval(services, runId, at);
      return outcome.kind === 'stale' ? `stale: ${outcome.why}` : outcome.kind;
    }
    if (kind === 'expire') {
      const outcome = await endLifetime(services, runId, at);
      if (outcome.kind === 'stale') return `stale: ${outcome.why}`;
      return outcome.kind === 'postponed' ? `postponed: ${outcome.cloud} is locked` : outcome.kind;
    }
    const run = await services.runs.get(runId);
    if (!run || run.destroy) return 'stale: already destroyed';
    if (run.keepUntil !== at) return 'stale: extended';
    const clouds = await services.cloudState.carriedBy(runId, run.laneNames);
    if (clouds.length === 0) return 'stale: newer deploys took its clouds';
    if (!run.message) return 'no card to remind in';
    if (!(await services.once.claim('keep-reminder', runId, String(at)))) return 'already reminded';
    try {
      await services.slack.postMessage(run.message.channel, renderKeepReminder(run, clouds), run.message.ts);
    } catch (err) {
      await services.once.release('keep-reminder', runId, String(at)); // the retry may post it
      throw err;
    }
    return 'reminded';
  };
}
