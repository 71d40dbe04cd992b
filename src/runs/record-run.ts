import type { Services } from '../services.js';
import type { Lane, RunKind, RunMeta } from './run.js';

export interface NewRun {
  kind: RunKind;
  /** A validated ref or SHA, resolved here to the full SHA the run is bound to. */
  ref: string;
  requestedBy: string;
  channel: string;
  lanes: Lane[];
  /** Kind-specific meta (a deploy's test selection and approval expiry). */
  extra?: Partial<Pick<RunMeta, 'tests' | 'approvalExpiresAt'>>;
}

/** Resolves the commit, takes a run id and stores the run: the one way a build or deploy is recorded. */
export async function recordRun(services: Services, run: NewRun): Promise<{ runId: string; sha: string }> {
  const { mirror, runs } = services;
  const sha = await mirror.resolve(run.ref);
  const commit = await mirror.commitInfo(sha);
  const runId = await runs.nextId(run.kind);
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
      laneNames: run.lanes.map((l) => l.name),
      ...run.extra,
    },
    run.lanes,
  );
  return { runId, sha };
}
