import { readFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/** Logs larger than this keep only their end (the part people read after a failure). */
export const MAX_STORED_LOG_BYTES = 4 * 1024 * 1024;
/** Default retention (`worker.logRetention`). */
export const DEFAULT_LOG_RETENTION_MS = 14 * 24 * 3600 * 1000;

/**
 * A finished lane's log, compressed into Redis, so that whichever web process handles the Logs
 * button can upload it, whatever machine the worker ran on.
 */
export class LogStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** How long a stored log lives; it is redacted already, and still goes away. */
    readonly retentionMs: number = DEFAULT_LOG_RETENTION_MS,
  ) {}

  async saveFile(runId: string, lane: string, path: string): Promise<void> {
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch {
      return;
    }
    if (data.length > MAX_STORED_LOG_BYTES) {
      const note = Buffer.from(`[apollo] log cut: only the last ${MAX_STORED_LOG_BYTES} bytes of ${data.length} are kept\n`);
      data = Buffer.concat([note, data.subarray(data.length - MAX_STORED_LOG_BYTES)]);
    }
    await this.redis.set(this.keys.log(runId, lane), gzipSync(data), 'PX', this.retentionMs);
  }

  async get(runId: string, lane: string): Promise<string | undefined> {
    const data = await this.redis.getBuffer(this.keys.log(runId, lane));
    return data ? gunzipSync(data).toString('utf8') : undefined;
  }
}
