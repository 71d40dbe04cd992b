import { hostname } from 'node:os';
import { QueueEvents, type Queue } from 'bullmq';
import { signalGroup, signalLeftoverGroup } from '../pipeline/process-groups.js';
import { createRedis } from '../redis/connection.js';
import type { LanePhase } from '../runs/run-store.js';
import { interruptLane } from '../runs/lane.js';
import type { WorkerDeps } from './worker-deps.js';

/**
 * Stall settings, chosen on purpose (see docs/reliability.md):
 * - a job's lock lasts `lockDurationMs` and is renewed by its worker at half that; a worker that
 *   dies (SIGKILL, OOM, power) stops renewing, and within `stalledIntervalMs` another worker's
 *   checker sees the job stalled;
 * - deploy and destroy jobs have maxStalledCount 0: they are never re-run behind anyone's back
 *   (a half-applied terraform must be looked at); the stalled job fails and its lane is shown
 *   "interrupted" with the step that was running, and its cloud lock is released;
 * - builds have maxStalledCount 1: they only read, so one silent-free retry (the card says so)
 *   is safe; a second loss fails them the same way.
 */
export interface StallSettings {
  lockDurationMs: number;
  stalledIntervalMs: number;
}

export const DEFAULT_STALL: StallSettings = { lockDurationMs: 30_000, stalledIntervalMs: 30_000 };

const STALLED = /stalled/i;

/** Settles a lane whose job failed by stalling: card, lock and (on this host) leftover processes. */
export async function recoverStalledLane(services: WorkerDeps, runId: string, laneName: string, phase: LanePhase, cloud?: string): Promise<boolean> {
  const run = await services.runs.get(runId);
  const lane = (phase === 'destroy' ? run?.destroyLanes : phase === 'plan' ? run?.planLanes : run?.lanes)?.find((l) => l.name === laneName);
  if (!run || !lane || lane.finishedAt !== undefined) return false;
  if (lane.process && lane.process.host === hostname()) {
    // The dead worker's step may still be running (it had its own process group): stop it.
    const pid = lane.process.pid;
    if (signalLeftoverGroup(pid, 'SIGTERM')) setTimeout(() => signalGroup(pid, 'SIGKILL'), 2000).unref();
  }
  await services.runs.saveLane(runId, interruptLane(lane, Date.now()), phase);
  if (cloud) await services.locks.releaseRun(cloud, runId);
  services.logger.warn({ runId, lane: laneName, phase }, 'a job stalled (its worker was lost): lane marked interrupted');
  await services.notifier.flush(runId);
  return true;
}

/** Listens for jobs failed by stalling on one queue; every worker process does, idempotently. */
export function watchStalls(
  services: WorkerDeps,
  queue: Queue,
  resolveLane: (data: unknown) => { runId: string; lane: string; phase: LanePhase; cloud?: string } | undefined,
): { ready: Promise<void>; close(): Promise<void> } {
  const connection = createRedis(services.settings.redisUrl, 'blocking');
  // Resume from the last event any worker handled, so a stall failed while no worker listened (all
  // were down longer than the job lock) is still settled when one starts.
  const cursorKey = services.keys.stallCursor(queue.name);
  let events: QueueEvents | undefined;
  const ready = services.redis.get(cursorKey).then((cursor) => {
    events = new QueueEvents(queue.name, { connection, prefix: services.keys.bullPrefix, lastEventId: cursor ?? '$' });
    events.on('failed', (args, id) => handle(args, id));
    return events.waitUntilReady();
  });
  const handle = ({ jobId, failedReason }: { jobId: string; failedReason: string }, eventId: string) => {
    void services.redis.set(cursorKey, eventId).catch(() => undefined);
    if (!STALLED.test(failedReason)) return;
    void (async () => {
      const job = await queue.getJob(jobId);
      const target = job ? resolveLane(job.data) : undefined;
      if (target) await recoverStalledLane(services, target.runId, target.lane, target.phase, target.cloud);
    })().catch((err: unknown) => services.logger.error({ err, jobId }, 'could not settle a stalled job'));
  };
  return {
    ready: ready.then(() => undefined),
    async close() {
      await ready.catch(() => undefined);
      await events?.close();
      connection.disconnect();
    },
  };
}
