import { runDuration, runsTotal, stepDuration } from '../metrics/metrics.js';
import { isStepDone, runStatus, type Lane, type Run } from '../runs/run.js';

/** build, deploy, or destroy (a deploy's destroy phase is its own kind of run on the dashboards). */
export type RunMetricKind = 'build' | 'deploy' | 'destroy';

/** Each finished step of a lane that ran, by kind, step and outcome. */
export function recordSteps(kind: RunMetricKind, lane: Lane): void {
  for (const step of lane.steps) {
    if (!isStepDone(step) || step.startedAt === undefined || step.finishedAt === undefined) continue;
    stepDuration.observe({ kind, step: step.name, outcome: step.status }, Math.max(0, step.finishedAt - step.startedAt) / 1000);
  }
}

/**
 * A run once every lane of it is done: counted by outcome, and timed from its first lane starting
 * to its last finishing (a run refused before any lane started is counted, not timed).
 */
export function recordRun(kind: RunMetricKind, run: Run, lanes: Lane[]): void {
  const outcome = runStatus({ ...run, lanes });
  if (outcome === 'queued' || outcome === 'running') return;
  runsTotal.inc({ kind, outcome });
  const starts = lanes.map((l) => l.startedAt).filter((t): t is number => t !== undefined);
  const ends = lanes.map((l) => l.finishedAt).filter((t): t is number => t !== undefined);
  if (starts.length > 0 && ends.length > 0) runDuration.observe({ kind, outcome }, Math.max(0, Math.max(...ends) - Math.min(...starts)) / 1000);
}
