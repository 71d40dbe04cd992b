import { SCRIPTS } from '../redis/scripts.js';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import type { MessageRef } from '../runs/message-ref.js';
import { progressRank, type Notification } from './notification.js';

/** Names the one message of a run: GitHub repo names are case-insensitive, so the repo is lowered. */
export interface RunRef {
  repo: string;
  pipeline: string;
  runId: string;
}

export function runRefOf(n: Pick<Notification, 'repo' | 'pipeline' | 'runId'>): RunRef {
  return { repo: n.repo.toLowerCase(), pipeline: n.pipeline, runId: n.runId };
}

/** Replaces the state only with a later one, and counts the change: one round trip, no race. */
export interface NotificationStoreOptions {
  /** How long a run's state and message are kept after its last event. Default 7 days. */
  ttlSeconds?: number;
}

/**
 * Each CI run's newest state and where its message is, in Redis, so any web process can take the
 * next event of a run. Every accepted state bumps a version; `sent` is the version Slack shows.
 */
export class NotificationStore {
  readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: NotificationStoreOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  }

  key(ref: RunRef, part: 'state' | 'msg' | 'ver' | 'sent' | 'lock'): string {
    return this.keys.notification(ref.repo, ref.pipeline, ref.runId, part);
  }

  /** Records `n` unless the run is already at this state or a later one; returns its version, 0 when stale. */
  async record(n: Notification): Promise<number> {
    const ref = runRefOf(n);
    const version = await this.redis.eval(
      SCRIPTS.recordNotification,
      2,
      this.key(ref, 'state'),
      this.key(ref, 'ver'),
      String(progressRank(n)),
      JSON.stringify(n),
      String(this.ttlSeconds),
    );
    return Number(version);
  }

  async get(ref: RunRef): Promise<Notification | undefined> {
    const raw = await this.redis.hget(this.key(ref, 'state'), 'value');
    return raw ? (JSON.parse(raw) as Notification) : undefined;
  }

  async message(ref: RunRef): Promise<MessageRef | undefined> {
    const raw = await this.redis.get(this.key(ref, 'msg'));
    return raw ? (JSON.parse(raw) as MessageRef) : undefined;
  }

  async setMessage(ref: RunRef, message: MessageRef): Promise<void> {
    await this.redis.set(this.key(ref, 'msg'), JSON.stringify(message), 'EX', this.ttlSeconds);
  }

  /** The newest version recorded and the one Slack shows. */
  async versions(ref: RunRef): Promise<{ version: number; sent: number }> {
    const [version, sent] = await this.redis.mget(this.key(ref, 'ver'), this.key(ref, 'sent'));
    return { version: Number(version ?? 0), sent: Number(sent ?? 0) };
  }
}
