import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { SCRIPTS } from '../redis/scripts.js';

/** What a cloud last had deployed, for `/apollo status`. */
export interface LastDeploy {
  sha: string;
  ref: string;
  by: string;
  at: number;
  runId: string;
}

/** One deploy a cloud had, whatever its outcome, for `/apollo history <cloud>` and rollbacks. */
export interface CloudDeploy {
  runId: string;
  sha: string;
  ref: string;
  by: string;
  at: number;
  outcome: 'passed' | 'failed' | 'cancelled' | 'interrupted';
  /** The run's card, when it was posted (a permalink, if Slack gave one). */
  link?: string;
}

/** How many deploys each cloud's history keeps. */
export const CLOUD_HISTORY_LENGTH = 20;

/**
 * Per cloud: the run whose deploy it carries now (set when a deploy starts, cleared by its destroy;
 * an old card's Destroy must never touch a newer deploy, since terraform state is per cloud), and
 * the last successful deploy. The only owner of these keys.
 */
export class CloudState {
  constructor(
    private readonly redis: Pick<Redis, 'get' | 'mget' | 'set' | 'hset' | 'hgetall' | 'eval' | 'multi' | 'lrange'>,
    private readonly keys: Pick<Keys, 'cloudCurrent' | 'lastDeploy' | 'cloudHistory'>,
  ) {}

  /** The run that owns the cloud's resources now, if any. */
  async current(cloud: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.cloudCurrent(cloud))) ?? undefined;
  }

  /** Which of `clouds` still carry `runId` (newer deploys may have taken the others), in one read. */
  async carriedBy(runId: string, clouds: readonly string[]): Promise<string[]> {
    if (clouds.length === 0) return [];
    const current = await this.redis.mget(...clouds.map((c) => this.keys.cloudCurrent(c)));
    return clouds.filter((_, i) => current[i] === runId);
  }

  /** A starting deploy takes the cloud over; returns the run that carried it before, if any. */
  async takeOver(cloud: string, runId: string): Promise<string | undefined> {
    return (await this.redis.set(this.keys.cloudCurrent(cloud), runId, 'GET')) ?? undefined;
  }

  async recordDeploy(cloud: string, deploy: LastDeploy): Promise<void> {
    await this.redis.hset(this.keys.lastDeploy(cloud), { sha: deploy.sha, ref: deploy.ref, by: deploy.by, at: String(deploy.at), runId: deploy.runId });
  }

  async lastDeploy(cloud: string): Promise<LastDeploy | undefined> {
    const last = await this.redis.hgetall(this.keys.lastDeploy(cloud));
    if (!last.sha) return undefined;
    return { sha: last.sha, ref: last.ref ?? '', by: last.by ?? '', at: Number(last.at), runId: last.runId ?? '' };
  }

  /** After an ephemeral deploy's teardown passed: the cloud carries nothing (unless a newer run took it meanwhile). */
  async tornDown(cloud: string, runId: string): Promise<void> {
    await this.redis.eval(SCRIPTS.tearDownCloud, 2, this.keys.cloudCurrent(cloud), this.keys.lastDeploy(cloud), runId);
  }

  /** A deploy of the cloud ended: it goes first in the cloud's history, which keeps the last few. */
  async recordHistory(cloud: string, deploy: CloudDeploy): Promise<void> {
    const key = this.keys.cloudHistory(cloud);
    await this.redis.multi().lpush(key, JSON.stringify(deploy)).ltrim(key, 0, CLOUD_HISTORY_LENGTH - 1).exec();
  }

  /** The cloud's last deploys, newest first. */
  async history(cloud: string, limit = CLOUD_HISTORY_LENGTH): Promise<CloudDeploy[]> {
    return (await this.redis.lrange(this.keys.cloudHistory(cloud), 0, limit - 1)).map((raw) => JSON.parse(raw) as CloudDeploy);
  }

  /** After a successful destroy: forget the cloud's deploy, unless a newer run took it over meanwhile. */
  async clearIfOurs(cloud: string, runId: string): Promise<void> {
    await this.redis.eval(SCRIPTS.clearCloudIfOurs, 2, this.keys.cloudCurrent(cloud), this.keys.lastDeploy(cloud), runId);
  }
}
