// Medians, percentiles, and the table the bench prints.

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Figure {
  figure: string;
  /** Apollo's median over the rounds, in `unit`. */
  apollo: number;
  /** The floor's median over the same rounds (alternated with apollo's), or undefined when none. */
  floor?: number;
  floorName?: string;
  unit: 'ms' | 's' | 'MB' | 'builds/s';
  /** The goal, as the issue states it. */
  goal: string;
  /** Whether the figure meets the goal. */
  meets: boolean;
  /** Each round's values, apollo then floor. */
  rounds: { apollo: number[]; floor?: number[] };
  /** Higher is better (throughput): the ratio is apollo / floor; otherwise apollo / floor too, lower better. */
  note?: string;
}

function fmt(value: number | undefined, unit: Figure['unit']): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (unit === 'ms') return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;
  if (unit === 's') return `${value.toFixed(2)} s`;
  if (unit === 'MB') return `${value.toFixed(0)} MB`;
  return `${value.toFixed(2)}/s`;
}

export function table(figures: Figure[]): string {
  const lines = ['| figure | apollo | floor | ratio | goal | meets |', '| --- | ---: | --- | ---: | --- | :---: |'];
  for (const f of figures) {
    const ratio = f.floor !== undefined && f.floor > 0 ? `${(f.apollo / f.floor).toFixed(2)}×` : '—';
    const floor = f.floor !== undefined ? `${f.floorName ?? ''} ${fmt(f.floor, f.unit)}`.trim() : (f.floorName ?? '—');
    lines.push(`| ${f.figure} | ${fmt(f.apollo, f.unit)} | ${floor} | ${ratio} | ${f.goal} | ${f.meets ? '✅' : '❌'} |`);
  }
  return lines.join('\n');
}

export function roundsTable(figures: Figure[]): string {
  const lines = ['| figure | apollo rounds | floor rounds |', '| --- | --- | --- |'];
  const list = (values: number[] | undefined, unit: Figure['unit']) => (values ?? []).map((v) => fmt(v, unit)).join(', ') || '—';
  for (const f of figures) lines.push(`| ${f.figure} | ${list(f.rounds.apollo, f.unit)} | ${list(f.rounds.floor, f.unit)} |`);
  return lines.join('\n');
}
