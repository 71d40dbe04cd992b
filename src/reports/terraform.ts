import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { unparsed, type ParseOptions, type TestFailure, type TestSummary } from './summary.js';
import type { TerraformChanges, TerraformRunDetails } from './terraform-details.js';
import { reportOutputs, type TerraformOutput } from './terraform-outputs.js';
import { endsMidLine, firstLines, firstNonBlankLine, quote, splitLines } from './text.js';

/**
 * Terraform's output, in the three shapes a step can produce:
 * - the human output of `apply`/`destroy` (colours stripped; diagnostics boxed or plain),
 * - the `-json` message stream of `apply -json`/`destroy -json` (one JSON object per line),
 * - the object `terraform output -json` prints.
 *
 * Terraform has no tests: passed/failed/skipped/total stay 0, resource counts go to `details`
 * (terraform-details.ts: counted from terraform's own result line, never from progress lines),
 * and each `Error:` diagnostic counts in `errors` and is listed in `failures`. The verdict is failed
 * when there is an error, passed when terraform printed its result, unparsed otherwise.
 *
 * Terraform writes diagnostics to stderr: parse stdout and stderr together, or a failed apply only
 * shows as an output that never reached its result line.
 */

interface Totals {
  added: number;
  changed: number;
  destroyed: number;
  imported: number;
}

/** What one terraform run printed, whichever shape it came in. */
interface TerraformRun {
  errors: TestFailure[];
  warnings: string[];
  results: { operation: string; totals: Totals }[];
  outputs?: TerraformOutput[];
}

export function parseTerraform(input: string, opts: ParseOptions = {}): TestSummary {
  if (input.trim() === '') return unparsed('terraform', 'empty input');
  if (input.trimStart().startsWith('{')) return parseJson(input, opts);
  return fromRun(readText(input), opts);
}

function fromRun(read: TerraformRun | { reason: string }, opts: ParseOptions): TestSummary {
  return 'reason' in read ? unparsed('terraform', read.reason) : summarise(read, opts);
}

// ---- human output -------------------------------------------------------------------------------

const APPLY_RESULT = /Apply complete! Resources: (?:(\d+) imported, )?(\d+) added, (\d+) changed, (\d+) destroyed\./;
const DESTROY_RESULT = /Destroy complete! Resources: (\d+) destroyed\./;
const NO_CHANGES = /^No changes\./;
const DIAGNOSTIC_START = /^(Error|Warning): (.*)$/;
// A terminal-style diagnostic is drawn in a box: "╷" opens it, "│ " prefixes its lines, "╵" closes it.
const BOX_EDGE = /^[╷╵]\s*$/;
const BOX_PREFIX = /^│ ?/;
const OUTPUT_LINE = /^([A-Za-z_][\w-]*) = (.*)$/;
const MULTILINE_VALUE = /[[{(]$/;
const MULTILINE_END = /^[\]})]+\)?\s*$/;

interface Diagnostic {
  severity: 'Error' | 'Warning';
  summary: string;
  body: string[];
}

function readText(input: string): TerraformRun | { reason: string } {
  // Coloured output ends with a reset code after the last newline: judge the text, not the codes.
  const text = stripVTControlCharacters(input);
  if (endsMidLine(text)) return { reason: 'the output ends in the middle of a line (truncated?)' };
  const lines = splitLines(text);
  const diagnostics: Diagnostic[] = [];
  const run: TerraformRun = { errors: [], warnings: [], results: [] };
  let open: Diagnostic | undefined;

  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? '';
    if (BOX_EDGE.test(raw)) {
      open = undefined;
      continue;
    }
    const line = raw.replace(BOX_PREFIX, '');
    const start = DIAGNOSTIC_START.exec(line);
    if (start) {
      open = { severity: start[1] === 'Error' ? 'Error' : 'Warning', summary: (start[2] ?? '').trim(), body: [] };
      diagnostics.push(open);
      continue;
    }
    const result = readResultLine(line);
    if (result) {
      open = undefined;
      run.results.push(result);
      continue;
    }
    if (line.trim() === 'Outputs:' && !open) {
      const outputs: TerraformOutput[] = [];
      index = readOutputBlock(lines, index + 1, outputs) - 1;
      run.outputs = outputs;
      continue;
    }
    open?.body.push(line);
  }

  // "No changes." is followed by its own "Apply complete! Resources: 0 added..." when applying; it is
  // the result only when nothing else is (a plan, or an apply that printed nothing more).
  const realResults = run.results.filter((result) => result.operation !== 'no changes');
  if (realResults.length > 0) run.results = realResults;
  else run.results = run.results.slice(0, 1);

  for (const diagnostic of diagnostics) {
    if (diagnostic.severity === 'Error') run.errors.push(textDiagnosticFailure(diagnostic));
    else run.warnings.push(diagnostic.summary);
  }
  if (run.errors.length === 0 && run.results.length === 0) {
    return {
      reason:
        'no result line ("Apply complete!", "Destroy complete!" or "No changes.") and no "Error:": terraform ' +
        'stopped before the end (truncated?), or its errors went to stderr and are not in this output',
    };
  }
  return run;
}

function readResultLine(line: string): TerraformRun['results'][number] | undefined {
  const apply = APPLY_RESULT.exec(line);
  if (apply) {
    const [, imported, added, changed, destroyed] = apply;
    return {
      operation: 'apply',
      totals: { added: Number(added), changed: Number(changed), destroyed: Number(destroyed), imported: Number(imported ?? 0) },
    };
  }
  const destroy = DESTROY_RESULT.exec(line);
  if (destroy) return { operation: 'destroy', totals: { added: 0, changed: 0, destroyed: Number(destroy[1]), imported: 0 } };
  if (NO_CHANGES.test(line)) return { operation: 'no changes', totals: { added: 0, changed: 0, destroyed: 0, imported: 0 } };
  return undefined;
}

/** Reads `name = value` lines after "Outputs:"; returns the index of the first line it did not use. */
function readOutputBlock(lines: string[], from: number, outputs: TerraformOutput[]): number {
  let index = from;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    if (line.trim() === '') {
      index++;
      continue;
    }
    const output = OUTPUT_LINE.exec(line);
    if (!output) break;
    const name = output[1] ?? '';
    const printed = output[2] ?? '';
    index++;
    if (printed === '<sensitive>') {
      outputs.push({ name, sensitive: true });
      continue;
    }
    if (!MULTILINE_VALUE.test(printed)) {
      outputs.push({ name, sensitive: false, value: unquote(printed) });
      continue;
    }
    const valueLines = [printed];
    while (index < lines.length) {
      const next = lines[index] ?? '';
      valueLines.push(next);
      index++;
      if (MULTILINE_END.test(next)) break;
    }
    outputs.push({ name, sensitive: false, value: valueLines.join('\n') });
  }
  return index;
}

/** Terraform prints a string output as a quoted literal with JSON-style escapes. */
function unquote(printed: string): string {
  if (!printed.startsWith('"')) return printed;
  try {
    const value: unknown = JSON.parse(printed);
    return typeof value === 'string' ? value : printed;
  } catch {
    return printed;
  }
}

const WITH_ADDRESS = /^\s*with (.+),\s*$/;
const ON_LOCATION = /^\s*on (.+?) line (\d+)/;
// The configuration excerpt ("  5:   provisioner ...") and expression values ("├────", "│ var.x is").
const SOURCE_EXCERPT = /^\s*(?:\d+:|[├│])/;

function textDiagnosticFailure(diagnostic: Diagnostic): TestFailure {
  let address: string | undefined;
  let location: string | undefined;
  const messageLines: string[] = [];
  for (const line of diagnostic.body) {
    const withAddress = WITH_ADDRESS.exec(line);
    if (withAddress) {
      address ??= withAddress[1];
      continue;
    }
    const on = ON_LOCATION.exec(line);
    if (on) {
      location ??= `${on[1]}:${on[2]}`;
      continue;
    }
    if (SOURCE_EXCERPT.test(line)) continue;
    messageLines.push(line);
  }
  return failure(diagnostic.summary, address, location, messageLines.join('\n'));
}

function failure(summary: string, address: string | undefined, location: string | undefined, detail: string): TestFailure {
  const message = firstLines(detail);
  return {
    name: address !== undefined ? `${address}: ${summary}` : summary,
    ...(message !== '' ? { message } : {}),
    ...(location !== undefined ? { location } : {}),
  };
}

// ---- JSON: `terraform output -json` and the `-json` message stream ---------------------------------

const OutputJson = z.record(z.string(), z.object({ sensitive: z.boolean(), type: z.unknown(), value: z.unknown() }));

const Count = z.number().int().nonnegative();
const StreamMessage = z.object({ '@level': z.string(), '@message': z.string(), type: z.string() });
const ChangeSummary = z.object({
  changes: z.object({ add: Count, change: Count, remove: Count, import: Count.optional(), operation: z.string() }),
});
const DiagnosticMessage = z.object({
  diagnostic: z.object({
    severity: z.string(),
    summary: z.string(),
    detail: z.string().optional(),
    address: z.string().optional(),
    range: z.object({ filename: z.string(), start: z.object({ line: z.number() }) }).optional(),
  }),
});
const OutputsMessage = z.object({
  outputs: z.record(z.string(), z.object({ sensitive: z.boolean(), value: z.unknown().optional() })),
});

function parseJson(input: string, opts: ParseOptions): TestSummary {
  let whole: unknown;
  try {
    whole = JSON.parse(input);
  } catch {
    // Not one JSON document: a `-json` stream has one per line.
    const first = firstNonBlankLine(input) ?? '';
    if (StreamMessage.safeParse(parseOrUndefined(first)).success) return fromRun(readStream(input), opts);
    return unparsed('terraform', `not valid JSON (truncated?): starts with ${quote(first)}`);
  }
  if (StreamMessage.safeParse(whole).success) return fromRun(readStream(input), opts);

  const outputs = OutputJson.safeParse(whole);
  if (!outputs.success) {
    const issue = outputs.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'top level';
    return unparsed('terraform', `not the output of "terraform output -json": ${where}: ${issue?.message ?? 'unexpected shape'}`);
  }
  const list = Object.entries(outputs.data).map(([name, output]): TerraformOutput => ({
    name,
    sensitive: output.sensitive,
    ...(output.value !== undefined ? { value: output.value } : {}),
  }));
  const report = reportOutputs(list, opts.publicOutputs);
  return {
    format: 'terraform',
    verdict: 'passed',
    passed: 0,
    failed: 0,
    skipped: 0,
    errors: 0,
    total: 0,
    failures: [],
    notes: list.length > 0 ? report.notes : ['terraform output -json lists no outputs'],
    details: { format: 'terraform', kind: 'outputs', count: list.length, outputs: report.shown },
  };
}

function readStream(input: string): TerraformRun | { reason: string } {
  const run: TerraformRun = { errors: [], warnings: [], results: [] };
  const lines = splitLines(input);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const json = parseOrUndefined(line);
    const message = StreamMessage.safeParse(json);
    if (!message.success) {
      const cut = json === undefined && index === lines.length - 1;
      return { reason: `line ${index + 1} is not a terraform -json message${cut ? ' (truncated?)' : ''}` };
    }
    switch (message.data.type) {
      case 'change_summary': {
        const summary = ChangeSummary.safeParse(json);
        if (!summary.success) return { reason: `line ${index + 1}: change_summary without its counts` };
        const { add, change, remove, operation } = summary.data.changes;
        // The plan announces a change_summary too; only apply and destroy report what was done.
        if (operation === 'plan') break;
        run.results.push({
          operation,
          totals: { added: add, changed: change, destroyed: remove, imported: summary.data.changes.import ?? 0 },
        });
        break;
      }
      case 'diagnostic': {
        const parsed = DiagnosticMessage.safeParse(json);
        if (!parsed.success) return { reason: `line ${index + 1}: diagnostic without a summary` };
        const { severity, summary, detail, address, range } = parsed.data.diagnostic;
        if (severity === 'error') {
          const location = range ? `${range.filename}:${range.start.line}` : undefined;
          run.errors.push(failure(summary, address, location, detail ?? ''));
        } else {
          run.warnings.push(summary);
        }
        break;
      }
      case 'outputs': {
        const parsed = OutputsMessage.safeParse(json);
        if (!parsed.success) return { reason: `line ${index + 1}: outputs message without outputs` };
        run.outputs = Object.entries(parsed.data.outputs).map(([name, output]) => ({
          name,
          sensitive: output.sensitive,
          ...(output.value !== undefined ? { value: output.value } : {}),
        }));
        break;
      }
      default:
        break;
    }
  }
  if (run.errors.length === 0 && run.results.length === 0) {
    return { reason: 'no apply or destroy change_summary and no error diagnostic: terraform stopped before the end (truncated?)' };
  }
  return run;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- summary ------------------------------------------------------------------------------------

function summarise(run: TerraformRun, opts: ParseOptions): TestSummary {
  const notes: string[] = [];
  const details: TerraformRunDetails = { format: 'terraform', kind: 'run' };
  if (run.results.length > 0) {
    details.changes = changesOf(run.results);
    if (run.results.length > 1) notes.push(`${run.results.length} terraform runs in this output: resource counts are their sums`);
  }
  for (const warning of new Set(run.warnings)) notes.push(`terraform warned: ${warning}`);
  if (run.outputs) {
    const report = reportOutputs(run.outputs, opts.publicOutputs);
    notes.push(...report.notes);
    details.outputs = report.shown;
  }
  return {
    format: 'terraform',
    verdict: run.errors.length > 0 ? 'failed' : 'passed',
    passed: 0,
    failed: 0,
    skipped: 0,
    errors: run.errors.length,
    total: 0,
    failures: run.errors,
    notes,
    details,
  };
}

function changesOf(results: TerraformRun['results']): TerraformChanges {
  const sum = (key: keyof Totals) => results.reduce((total, result) => total + result.totals[key], 0);
  return {
    added: sum('added'),
    changed: sum('changed'),
    destroyed: sum('destroyed'),
    ...(sum('imported') > 0 ? { imported: sum('imported') } : {}),
    operation: results.map((result) => result.operation).join(', '),
  };
}
