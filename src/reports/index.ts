import { terminalText } from '../pipeline/terminal-text.js';
import { parseAnsibleLint } from './ansible-lint.js';
import { parseDockerBench } from './docker-bench.js';
import { parseJunit } from './junit.js';
import { parseLines } from './lines.js';
import { parsePacker } from './packer.js';
import { parseRspecJson } from './rspec-json.js';
import { unparsed, type ParseOptions, type ReportFormat, type TestSummary } from './summary.js';
import { parseShellcheck } from './shellcheck.js';
import { parseTap } from './tap.js';
import { parseTerraform } from './terraform.js';
import { parseTerraformPlan } from './terraform-plan.js';

/**
 * The report parsers by format name, as `apollo.yml` names them. Each is a pure function of the
 * tool's output as written, rendered as plain text (keep stdout byte for byte otherwise: text parsers
 * read a missing final newline as output cut mid-line).
 */
export type ReportParser = (input: string, opts?: ParseOptions) => TestSummary;

export const REPORT_PARSERS: Readonly<Record<ReportFormat, ReportParser>> = {
  'rspec-json': parseRspecJson,
  'docker-bench': parseDockerBench,
  junit: parseJunit,
  tap: parseTap,
  terraform: parseTerraform,
  'ansible-lint': parseAnsibleLint,
  shellcheck: parseShellcheck,
  packer: parsePacker,
  lines: parseLines,
  'terraform-plan': parseTerraformPlan,
};

export function parseReport(format: ReportFormat, input: string, opts: ParseOptions = {}): TestSummary {
  try {
    // Tools colour and redraw even when not on a TTY; parsers, like the card, read the plain text.
    return REPORT_PARSERS[format](terminalText(input), opts);
  } catch (error) {
    // Parsers return `unparsed` for every input they cannot read; reaching this is a parser bug, and a
    // bug in reading a report must fail that step's report, not the whole run.
    return unparsed(format, `the ${format} parser failed: ${(error as Error).message}`);
  }
}
