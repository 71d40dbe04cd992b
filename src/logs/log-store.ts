import { open } from 'node:fs/promises';
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

  /** Stores the end of a log file: only its last MAX_STORED_LOG_BYTES are read, whatever its size. */
  async saveFile(runId: string, lane: string, path: string): Promise<void> {
    const data = await readTail(path, MAX_STORED_LOG_BYTES);
    if (!data) return;
    await this.redis.set(this.keys.log(runId, lane), gzipSync(data), 'PX', this.retentionMs);
  }

  async get(runId: string, lane: string): Promise<string | undefined> {
    const data = await this.redis.getBuffer(this.keys.log(runId, lane));
    return data ? gunzipSync(data).toString('utf8') : undefined;
  }
}

/** The last `maxBytes` of a file, with a first line saying it was cut; undefined when there is no file. */
async function readTail(path: string, maxBytes: number): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    const tail = buffer.subarray(0, bytesRead);
    if (size <= maxBytes) return tail;
    const note = Buffer.from(`[apollo] log cut: only the last ${maxBytes} bytes of ${size} are kept\n`);
    return Buffer.concat([note, tail]);
  } finally {
    await handle.close();
  }
}
