/** The uploaded log's file name and title in the card's thread. */
export function logFileName(runId: string, laneKey: string): string {
  return `${runId}-${laneKey}.log`;
}

export function logTitle(runId: string, lane: string, phase: 'run' | 'destroy' | 'plan'): string {
  return `${phase === 'destroy' ? 'Destroy' : phase === 'plan' ? 'Plan' : 'Deploy'} log: ${lane} (run ${runId})`;
}
