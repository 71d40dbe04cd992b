import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Real outputs of the seed's tools, copied from ../shared/fixtures with their names kept. */
const FIXTURES = new URL('../fixtures/reports/', import.meta.url);

export function readFixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** The first half of an output, as a killed process or a full disk would leave it. */
export function firstHalf(text: string): string {
  return text.slice(0, Math.floor(text.length / 2));
}

/** Output cut after its first `count` lines: a cut that lands exactly between two lines. */
export function firstLinesOf(text: string, count: number): string {
  return text.split('\n').slice(0, count).map((line) => `${line}\n`).join('');
}

/** A scratch directory for a test that runs a real tool; remove it with the returned function. */
export function scratchDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'apollo-reports-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
