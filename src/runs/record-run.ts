import type { GitMirror } from '../git/mirror.js';
import type { UserLimits } from '../access/user-limits.js';
import type { RunStore } from './run-store.js';
import { reviewedCommit } from '../git/reviewed-commit.js';
import type { Lane, RunKind, RunMeta } from './run.js';
import type { PipelineSteps } from '../pipeline/run-steps.js';

export interface NewRun {
  kind: RunKind;
  /** A validated ref or SHA, resolved here to the full SHA the run is bound to. */
  ref: string;
  requestedBy: string;
  channel: string;
  /**
   * The run's lanes, or how to plan them once the commit is known (its pipeline may come from the
   * commit itself, `pipeline.fromRepo`): the lanes, and the steps to keep on the run.
   */
  lanes: Lane[] | ((sha: string) => Promise<{ lanes: Lane[]; pipeline?: PipelineSteps; extra?: NewRun['extra'] }>);
  /** Kind-specific meta (a deploy's test selection and approval expiry). */
  extra?: Partial<Pick<RunMeta, 'tests' | 'approvalExpiresAt' | 'ephemeral' | 'keepMs' | 'forced' | 'rollbackFrom' | 'reason'>>;
  /** When set, the commit must be contained in one of these branches (`access.protectedBranches`). */
  protectedBranches?: string[];
  /** The requester's reserved run slot (UserLimits.admitRun), which this run takes over. */
  reservation?: string;
}

/** At most this many branch names are kept on a run (the card shows fewer). */
const MAX_BRANCHES_KEPT = 50;

/** What recording a run touches. */
export interface RecordRunDeps {
  mirror: Pick<GitMirror, 'resolve' | 'commitInfo'>;
  runs: Pick<RunStore, 'nextId' | 'create'>;
  limits: Pick<UserLimits, 'trackRun'>;
}

/** Resolves the commit, takes a run id and stores the run: the one way a build or deploy is recorded. */
export async function recordRun(deps: RecordRunDeps, run: NewRun): Promise<{ runId: string; sha: string; lanes: Lane[] }> {
  const { mirror, runs } = deps;
  const { sha, branches } = await reviewedCommit(mirror, run.ref, run.protectedBranches);
  const commit = await mirror.commitInfo(sha);
  const planned: { lanes: Lane[]; pipeline?: PipelineSteps; extra?: NewRun['extra'] } = typeof run.lanes === 'function' ? await run.lanes(sha) : { lanes: run.lanes };
  const runId = await runs.nextId(run.kind);
  // Counted against its requester from the moment it exists (webhook-started runs are not a person's).
  if (/^[UW][A-Z0-9]{2,}$/.test(run.requestedBy)) await deps.limits.trackRun(run.requestedBy, runId, run.reservation);
  await runs.create(
    {
      id: runId,
      kind: run.kind,
      ref: run.ref,
      sha,
      subject: commit.subject,
      author: commit.author,
      requestedBy: run.requestedBy,
      channel: run.channel,
      createdAt: Date.now(),
      laneNames: planned.lanes.map((l) => l.name),
      branches: branches.slice(0, MAX_BRANCHES_KEPT),
      ...run.extra,
      ...planned.extra,
      ...(planned.pipeline ? { pipeline: planned.pipeline } : {}),
    },
    planned.lanes,
  );
  return { runId, sha, lanes: planned.lanes };
}
