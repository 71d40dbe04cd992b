/** The uploaded log's file name and title in the card's thread. */
export function logFileName(runId: string, laneKey: string): string {
  return `${runId}-${laneKey}.log`;
}

export function logTitle(runId: string, lane: string, phase: 'run' | 'destroy'): string {
  return `${phase === 'destroy' ? 'Destroy' : 'Deploy'} log: ${lane} (run ${runId})`;
}
