/** Every Redis key the bot writes, in one place, under one prefix (tests use a unique one each). */
export class Keys {
  constructor(readonly prefix: string) {}

  /** BullMQ's own key prefix. */
  get bullPrefix(): string {
    return `${this.prefix}-bull`;
  }
  runSeq(): string {
    return `${this.prefix}:run-seq`;
  }
  run(runId: string): string {
    return `${this.prefix}:run:${runId}`;
  }
  runsIndex(): string {
    return `${this.prefix}:runs`;
  }
  card(runId: string, part: 'ver' | 'sent' | 'lock' | 'last'): string {
    return `${this.prefix}:card:${runId}:${part}`;
  }
  /** Runs whose card's final state is being delivered (sorted by when it was asked for), so a worker that starts finishes what a lost one began. */
  cardsSettling(): string {
    return `${this.prefix}:cards:settling`;
  }
  /** The approval request of a deploy: its absence means the request expired. */
  deployRequest(runId: string): string {
    return `${this.prefix}:deploy-request:${runId}`;
  }
  cloudLock(cloud: string): string {
    return `${this.prefix}:lock:cloud:${cloud}`;
  }
  stickyLock(cloud: string): string {
    return `${this.prefix}:lock:sticky:${cloud}`;
  }
  /** A cloud's last deploys, newest first (a capped list). */
  cloudHistory(cloud: string): string {
    return `${this.prefix}:cloud:${cloud}:history`;
  }
  lastDeploy(cloud: string): string {
    return `${this.prefix}:cloud:${cloud}:last-deploy`;
  }
  log(runId: string, lane: string): string {
    return `${this.prefix}:log:${runId}:${lane}`;
  }
  usergroup(id: string): string {
    return `${this.prefix}:usergroup:${id}`;
  }
  /** A webhook delivery already handled, by its sender's id (`X-GitHub-Delivery`, `X-Apollo-Delivery`). */
  webhookDelivery(source: string, id: string): string {
    return `${this.prefix}:webhook-delivery:${source}:${encodeURIComponent(id)}`;
  }
  /** One CI run's notification: its newest state, its Slack message, and the lock of whoever sends it. */
  notification(repo: string, pipeline: string, runId: string, part: 'state' | 'msg' | 'ver' | 'sent' | 'lock'): string {
    return `${this.prefix}:notify:${encodeURIComponent(repo)}:${encodeURIComponent(pipeline)}:${encodeURIComponent(runId)}:${part}`;
  }
  /** The verdict of the last completed run of a pipeline on a branch ("still failing", "back to normal"). */
  notificationLast(repo: string, pipeline: string, branch: string): string {
    return `${this.prefix}:notify-last:${encodeURIComponent(repo)}:${encodeURIComponent(pipeline)}:${encodeURIComponent(branch)}`;
  }
  /** Set once a lane's failures were posted in the card's thread (a retried job posts nothing). */
  failuresPosted(runId: string, lane: string): string {
    return `${this.prefix}:failures-posted:${runId}:${lane}`;
  }
  /** Set once a run's verdict was posted in the team channel. */
  verdictPosted(runId: string, phase: string): string {
    return `${this.prefix}:verdict-posted:${runId}:${phase}`;
  }
  /** The run whose deploy a cloud carries now (set when its deploy starts, cleared by its destroy). */
  cloudCurrent(cloud: string): string {
    return `${this.prefix}:cloud:${cloud}:current`;
  }
  /** A Slack user's users.info, cached briefly (guest and Slack Connect checks). */
  userInfo(userId: string): string {
    return `${this.prefix}:user-info:${userId}`;
  }
  /** The runs a person has asked for that are not finished yet (per-person limit). */
  userActiveRuns(userId: string): string {
    return `${this.prefix}:user-runs:${userId}`;
  }
  /** A person's count of one kind of request in one time window (per-person rate limits). */
  userRate(userId: string, kind: string, window: number): string {
    return `${this.prefix}:user-rate:${kind}:${userId}:${window}`;
  }
  /** A Slack request signature already acted on, by a digest of it (replays are answered, not acted on). */
  slackRequestSeen(signatureDigest: string): string {
    return `${this.prefix}:slack-seen:${signatureDigest}`;
  }
  /** A commit that passed a build or CI (`deploy.requireGreenBuild`), by its SHA or the prefix CI gave. */
  greenCommit(sha: string): string {
    return `${this.prefix}:green:${sha.toLowerCase()}`;
  }
  /** A Slack Events API event already handled, by its event_id (Slack retries with X-Slack-Retry-Num). */
  slackEventSeen(eventId: string): string {
    return `${this.prefix}:slack-event:${encodeURIComponent(eventId)}`;
  }
  /** The audit stream (`/apollo history`). */
  audit(): string {
    return `${this.prefix}:audit`;
  }
  /** Where a queue's stall watcher resumes reading events (see src/worker/stall-recovery.ts). */
  stallCursor(queue: string): string {
    return `${this.prefix}:stall-cursor:${queue}`;
  }
  /** When a CI run's notification was last posted or edited: edits of one message are spaced (src/slack/message-sync.ts). */
  notificationEdited(repo: string, pipeline: string, runId: string): string {
    return `${this.prefix}:notify:${encodeURIComponent(repo)}:${encodeURIComponent(pipeline)}:${encodeURIComponent(runId)}:last`;
  }
}
