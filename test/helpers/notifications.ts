import type { Notification } from '../../src/notifications/notification.js';

/** A CI run's notification for tests: run number `n` of one pipeline, in `status`. */
export function ciNotification(n: number, status: Notification['status'], extra: Partial<Notification> = {}): Notification {
  return {
    source: 'ci',
    repo: 'Capgemini/Apollo',
    pipeline: 'serverspec',
    runId: `r${n}`,
    attempt: 1,
    status,
    branch: 'master',
    sha: '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9',
    links: { run: `https://ci.example/runs/r${n}` },
    ...extra,
  };
}
