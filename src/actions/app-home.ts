import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { RunStore } from '../runs/run-store.js';
import type { CloudState, LastDeploy } from '../runs/cloud-state.js';
import type { CloudLocks, CloudLockState } from '../queue/cloud-locks.js';
import { approvalCounts } from '../access/cloud-policy.js';
import { approvalExpired, awaitingApproval, type Run } from '../runs/run.js';

/** What a person's App Home reads. */
export interface AppHomeDeps {
  config: Pick<Config, 'access' | 'clouds'>;
  access: Pick<Access, 'allows'>;
  runs: Pick<RunStore, 'get' | 'recentIds'>;
  cloudState: Pick<CloudState, 'lastDeploy' | 'current'>;
  locks: Pick<CloudLocks, 'state'>;
}

/** One cloud as the App Home shows it: what is live, its locks, its expiry, and a run on it now. */
export interface HomeCloud {
  cloud: string;
  live?: LastDeploy;
  locks: CloudLockState;
  /** The run that carries the cloud now (its expiry, if kept). */
  current?: Run;
  /** A deploy or destroy running on it now. */
  running?: string;
}

export interface AppHome {
  user: string;
  clouds: HomeCloud[];
  /** Requests this person may approve now (and has not yet), newest first. */
  toApprove: Run[];
  /** This person's latest runs, newest first. */
  mine: Run[];
}

/** How far back the App Home looks, and how many of the person's runs it lists. */
const RECENT_RUNS = 200;
const MY_RUNS = 8;
const TO_APPROVE = 10;

/**
 * A person's App Home, from the stores: every cloud (live commit, locks, expiry, running run),
 * the requests waiting for *their* approval (never their own, never one they approved, never one
 * whose plans are not ready), and their recent runs. Read afresh each time they open it.
 */
export async function appHome(deps: AppHomeDeps, user: string, now: number = Date.now()): Promise<AppHome> {
  const runs: Run[] = [];
  for (const id of await deps.runs.recentIds(RECENT_RUNS)) {
    const run = await deps.runs.get(id);
    if (run) runs.push(run);
  }
  const clouds = await Promise.all(
    Object.keys(deps.config.clouds).map(async (cloud): Promise<HomeCloud> => {
      const [live, locks, currentId] = await Promise.all([deps.cloudState.lastDeploy(cloud), deps.locks.state(cloud), deps.cloudState.current(cloud)]);
      const current = currentId ? (runs.find((r) => r.id === currentId) ?? (await deps.runs.get(currentId))) : undefined;
      return { cloud, locks, ...(live ? { live } : {}), ...(current ? { current } : {}), ...(locks.run ? { running: locks.run.runId } : {}) };
    }),
  );
  const toApprove: Run[] = [];
  for (const run of runs) {
    if (toApprove.length >= TO_APPROVE) break;
    if (!awaitingApproval(run) || approvalExpired(run, now) || run.approvals?.some((a) => a.by === user)) continue;
    const plans = run.planLanes ?? [];
    if (plans.some((l) => l.finishedAt === undefined && l.error === undefined)) continue;
    const counts = await Promise.all(run.laneNames.map((cloud) => approvalCounts(deps.config, deps.access, cloud, user, run.requestedBy)));
    if (counts.some(Boolean)) toApprove.push(run);
  }
  const mine = runs.filter((r) => r.requestedBy === user).slice(0, MY_RUNS);
  return { user, clouds, toApprove, mine };
}

