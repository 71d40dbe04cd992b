/**
 * A CI run as the channel sees it, whoever reported it (a GitHub workflow run, a check suite, or any
 * CI through the generic event). The webhook handlers make it; views/notification.ts renders it;
 * the store keeps the newest one per run.
 */
export type NotificationSource = 'workflow_run' | 'check_suite' | 'ci';

export type NotificationStatus = 'queued' | 'running' | 'passed' | 'failed' | 'canceled' | 'skipped';

/** What a completed run means against the previous completed run of its pipeline on its branch. */
export type Transition = 'fixed' | 'still_failing' | 'broken';

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export interface Notification {
  source: NotificationSource;
  /** `owner/name` on GitHub; whatever the CI calls it otherwise. */
  repo: string;
  /** Workflow name, check suite app, or the CI's pipeline name. */
  pipeline: string;
  /** The sender's id of the run: with repo and pipeline, it names the one message of the run. */
  runId: string;
  /** 1, then 2… when the same run is re-run; a new attempt moves the message back to queued. */
  attempt: number;
  /** GitHub's run number (#562), shown instead of the long id. */
  runNumber?: number;
  status: NotificationStatus;
  branch?: string;
  /** The commit, as the sender gave it (7–40 hex). */
  sha: string;
  /** First line of the commit message. */
  subject?: string;
  /**
   * Who the run is for, as the sender names them (a GitHub login, a commit author's name): shown as
   * text, never mentioned. Whoever can push a commit chooses it, and a login may look like `U0…`.
   */
  author?: string;
  /** A Slack user id the sender vouches for (generic CI event's `slackUser`): mentioned on failure. */
  slackUser?: string;
  durationMs?: number;
  tests?: TestCounts;
  transition?: Transition;
  links: {
    run?: string;
    repo?: string;
    branch?: string;
    commit?: string;
  };
}

const COMPLETED: ReadonlySet<NotificationStatus> = new Set(['passed', 'failed', 'canceled', 'skipped']);

export function isCompleted(status: NotificationStatus): boolean {
  return COMPLETED.has(status);
}

/**
 * Orders the states of one run. Deliveries arrive out of order (GitHub promises none), so a state
 * ranked at or below the one already recorded is stale and never moves the message backwards;
 * a new attempt outranks everything before it.
 */
export function progressRank(n: Pick<Notification, 'attempt' | 'status'>): number {
  const phase = n.status === 'queued' ? 1 : n.status === 'running' ? 2 : 3;
  return n.attempt * 10 + phase;
}

/** The transition a verdict makes after `previous`, the verdict of the last completed run. */
export function transitionFrom(previous: 'passed' | 'failed' | undefined, now: NotificationStatus): Transition | undefined {
  if (previous === 'failed' && now === 'passed') return 'fixed';
  if (previous === 'failed' && now === 'failed') return 'still_failing';
  if (previous === 'passed' && now === 'failed') return 'broken';
  return undefined;
}

/** First line of a commit message. */
export function subjectOf(message: string | null | undefined): string | undefined {
  const line = message?.split('\n', 1)[0]?.trim();
  return line ? line : undefined;
}
