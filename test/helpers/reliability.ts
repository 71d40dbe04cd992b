import { appendFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where fault tests write what they tried and saw; `npm run reliability` turns it into docs/reliability.md. */
export const RELIABILITY_DIR = resolve('.state/reliability');

export interface FaultFigures {
  suite: string;
  fault: string;
  /** Faults injected. */
  tried: number;
  /** Runs that ended without their final state reaching Slack, or jobs that vanished. */
  lost: number;
  /** Runs that ran twice without saying so. */
  duplicates: number;
  /** Processes or locks left behind, secrets that reached Slack. */
  leaks: number;
  /** Handled (clear error, still healthy) out of tried, for hostile input. */
  handled?: number;
  crashes?: number;
  note?: string;
}

/** Records one fault's figures; called only after the test's assertions passed. */
export function recordFault(figures: FaultFigures): void {
  mkdirSync(RELIABILITY_DIR, { recursive: true });
  appendFileSync(resolve(RELIABILITY_DIR, 'faults.jsonl'), `${JSON.stringify({ ...figures, at: new Date().toISOString() })}\n`);
}
