import type { TerraformDetails } from './terraform-details.js';
import type { PlanDetails } from './terraform-plan.js';

/**
 * The one shape every report parser returns, whatever the tool. Views render it; the runner combines
 * its verdict with the step's exit code. Numbers are only ever counted from the tool's output: a parser
 * that cannot read its input says `unparsed` with a reason instead of guessing.
 */
export { REPORT_FORMATS, type ReportFormat } from '../config/report-formats.js';
import type { ReportFormat } from '../config/report-formats.js';

export type SummaryVerdict = 'passed' | 'failed' | 'unparsed';

export interface TestFailure {
  /** Test or check name, e.g. "Docker daemon should be running" or "4.1 - Create a user for the container". */
  name: string;
  /** First line(s) of the failure message, as the tool printed it. */
  message?: string;
  /** file:line or check id, when the tool gives one. */
  location?: string;
}

export interface TestSummary {
  format: ReportFormat;
  verdict: SummaryVerdict;
  passed: number;
  failed: number;
  /** Skipped or pending examples/checks. */
  skipped: number;
  /** Errors outside assertions (rspec "errors outside of examples", JUnit <error>). */
  errors: number;
  total: number;
  failures: TestFailure[];
  /** Human-readable facts the counts alone do not say, e.g. which WARN count the gate used. */
  notes: string[];
  /** Set when verdict is "unparsed": why the input could not be read. */
  reason?: string;
  /** Format-specific figures, typed: one member of `ReportDetails` per format that has any. */
  details?: ReportDetails;
  /** docker-bench's figures (WARN lines and checks, threshold, gate), still looked up by key. */
  extra?: Record<string, number | string | boolean>;
}

/** A name (a rule, a severity) and how many findings carry it. */
export interface FindingCount {
  name: string;
  count: number;
}

/**
 * What a linter or validator found, counted the way the tool counts: every finding once, by its
 * severity (in the tool's own words, most severe first) and by its rule (most frequent first).
 */
export interface FindingsDetails {
  format: Extract<ReportFormat, 'ansible-lint' | 'shellcheck' | 'packer'>;
  findings: number;
  bySeverity: FindingCount[];
  byRule: FindingCount[];
}

/** Discriminated by `format`, so a view narrows to the fields its format carries. */
export type ReportDetails = TerraformDetails | FindingsDetails | PlanDetails;

export interface ParseOptions {
  /** docker-bench: the gate fails when the number of output lines containing WARN is greater than this. */
  warnThreshold?: number;
  /** terraform: output names the config marks public; other output values are never shown. */
  publicOutputs?: string[];
  /** lines: a line matching this regex is one passed test. */
  passPattern?: string;
  /** lines: a line matching this regex is one failed test (checked first). */
  failPattern?: string;
}

export function unparsed(format: ReportFormat, reason: string): TestSummary {
  return { format, verdict: 'unparsed', passed: 0, failed: 0, skipped: 0, errors: 0, total: 0, failures: [], notes: [], reason };
}
