import { subjectOf, type Notification } from '../../notifications/notification.js';
import type { CiEvent } from './schemas.js';

export function fromCiEvent(event: CiEvent): Notification {
  const subject = subjectOf(event.message);
  return {
    source: 'ci',
    repo: event.repo,
    pipeline: event.pipeline,
    runId: event.runId,
    attempt: event.attempt,
    status: event.status,
    branch: event.branch,
    sha: event.commit.toLowerCase(),
    ...(subject ? { subject } : {}),
    ...(event.author ? { author: event.author } : {}),
    ...(event.slackUser ? { slackUser: event.slackUser } : {}),
    ...(event.duration !== undefined ? { durationMs: Math.round(event.duration * 1000) } : {}),
    ...(event.tests ? { tests: event.tests } : {}),
    links: { ...(event.url ? { run: event.url } : {}), ...(event.commitUrl ? { commit: event.commitUrl } : {}) },
  };
}
