import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import type { Lane, Run, RunKind, RunMeta } from './run.js';

/** How long a finished run's record is kept for cards, `/apollo status` and history. */
const RUN_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Runs live in Redis, one hash per run: `meta` plus one field per lane. A lane is written only by
 * the job that runs it, so parallel clouds on different workers never overwrite each other.
 */
export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Short ids people can type: b12 for builds, d13 for deploys. */
  async nextId(kind: RunKind): Promise<string> {
    const n = await this.redis.incr(this.keys.runSeq());
    return `${kind === 'build' ? 'b' : 'd'}${n}`;
  }

  async create(meta: RunMeta, lanes: Lane[]): Promise<void> {
    const key = this.keys.run(meta.id);
    const fields: Record<string, string> = { meta: JSON.stringify(meta) };
    for (const lane of lanes) fields[`lane:${lane.name}`] = JSON.stringify(lane);
    await this.redis
      .multi()
      .hset(key, fields)
      .expire(key, RUN_TTL_SECONDS)
      .zadd(this.keys.runsIndex(), meta.createdAt, meta.id)
      .exec();
  }

  async get(runId: string): Promise<Run | undefined> {
    const hash = await this.redis.hgetall(this.keys.run(runId));
    if (!hash.meta) return undefined;
    const meta = JSON.parse(hash.meta) as RunMeta;
    const lanes = meta.laneNames
      .map((name) => hash[`lane:${name}`])
      .filter((raw): raw is string => raw !== undefined)
      .map((raw) => JSON.parse(raw) as Lane);
    return { ...meta, lanes };
  }

  async saveLane(runId: string, lane: Lane): Promise<void> {
    await this.redis.hset(this.keys.run(runId), `lane:${lane.name}`, JSON.stringify(lane));
  }

  async setMessage(runId: string, message: { channel: string; ts: string }): Promise<void> {
    // Read-modify-write of meta is safe: only the web process that posted the card writes it here.
    const raw = await this.redis.hget(this.keys.run(runId), 'meta');
    if (!raw) return;
    const meta = JSON.parse(raw) as RunMeta;
    await this.redis.hset(this.keys.run(runId), 'meta', JSON.stringify({ ...meta, message }));
  }

  async delete(runId: string): Promise<void> {
    await this.redis.multi().del(this.keys.run(runId)).zrem(this.keys.runsIndex(), runId).exec();
  }

  /** Newest first. */
  async recentIds(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.runsIndex(), 0, limit - 1);
  }
}
