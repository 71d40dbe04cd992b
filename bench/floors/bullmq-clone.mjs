// Floor for build throughput: a bare BullMQ worker whose job is one `git clone --local` of the
// mirror (and its removal), with apollo's worker concurrency. REDIS_URL, QUEUE, PREFIX, MIRROR,
// WORK_DIR, CONCURRENCY. The bench adds the jobs and waits for them.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const worker = new Worker(
  process.env.QUEUE,
  async (job) => {
    const dir = join(process.env.WORK_DIR, `clone-${job.id}`);
    await run('git', ['clone', '--local', '--quiet', process.env.MIRROR, dir]);
    await rm(dir, { recursive: true, force: true });
  },
  { connection, prefix: process.env.PREFIX, concurrency: Number(process.env.CONCURRENCY ?? 2) },
);
await worker.waitUntilReady();
console.log('ready');
process.on('SIGTERM', async () => {
  await worker.close();
  connection.disconnect();
  process.exit(0);
});
