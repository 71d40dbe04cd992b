import { z } from 'zod';
import { unparsed, type ParseOptions, type TestFailure, type TestSummary } from './summary.js';
import { firstLines, firstNonBlankLine, quote } from './text.js';

/**
 * RSpec's `--format json` report (serverspec runs through rspec). The summary block and the examples
 * list are written by different code paths in RSpec's JSON formatter; when they disagree the file
 * was cut or rewritten, and neither count can be trusted.
 */

const Exception = z.object({
  class: z.string(),
  message: z.string(),
});

const Example = z.object({
  full_description: z.string(),
  status: z.enum(['passed', 'failed', 'pending']),
  file_path: z.string(),
  line_number: z.number().int().nonnegative(),
  pending_message: z.string().nullish(),
  exception: Exception.nullish(),
});

const Count = z.number().int().nonnegative();

const Report = z.object({
  messages: z.array(z.string()).optional(),
  examples: z.array(Example),
  summary: z.object({
    example_count: Count,
    failure_count: Count,
    pending_count: Count,
    // Added in RSpec 3.6; the 2015 serverspec runs used an older RSpec that does not write it.
    errors_outside_of_examples_count: Count.optional(),
  }),
});
type Report = z.infer<typeof Report>;
type Example = z.infer<typeof Example>;

export function parseRspecJson(input: string, _opts?: ParseOptions): TestSummary {
  if (input.trim() === '') return unparsed('rspec-json', 'empty input');

  let json: unknown;
  try {
    json = JSON.parse(input);
  } catch (error) {
    const head = firstNonBlankLine(input) ?? '';
    const hint = input.trimStart().startsWith('{') ? 'truncated?' : `starts with ${quote(head)}`;
    return unparsed('rspec-json', `not valid JSON (${hint}): ${(error as Error).message}`);
  }

  const shape = Report.safeParse(json);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'top level';
    return unparsed('rspec-json', `not an RSpec JSON report: ${where}: ${issue?.message ?? 'unexpected shape'}`);
  }
  return summarise(shape.data);
}

function summarise(report: Report): TestSummary {
  const { summary, examples } = report;
  const byStatus = (status: Example['status']) => examples.filter((example) => example.status === status);
  const failedExamples = byStatus('failed');
  const pendingCount = byStatus('pending').length;
  const passedCount = byStatus('passed').length;

  if (
    summary.example_count !== examples.length ||
    summary.failure_count !== failedExamples.length ||
    summary.pending_count !== pendingCount
  ) {
    return unparsed(
      'rspec-json',
      `summary says ${summary.example_count} examples (${summary.failure_count} failed, ${summary.pending_count} pending) ` +
        `but the examples list holds ${examples.length} (${failedExamples.length} failed, ${pendingCount} pending)`,
    );
  }

  const errors = summary.errors_outside_of_examples_count ?? 0;
  const failures = failedExamples.map((example): TestFailure => {
    const message = failureMessage(example);
    return {
      name: example.full_description,
      ...(message !== undefined ? { message } : {}),
      location: `${example.file_path}:${example.line_number}`,
    };
  });
  const notes: string[] = [];
  if (errors > 0) {
    // RSpec reports load errors (a spec file that does not compile, a failing before(:suite)) only
    // as free text in `messages`; without them the card would say "failed" with nothing to show.
    const messages = (report.messages ?? []).join('\n');
    failures.push({
      name: `${errors} error${errors === 1 ? '' : 's'} outside of examples`,
      ...(messages.trim() !== '' ? { message: firstLines(messages) } : {}),
    });
  }
  if (summary.errors_outside_of_examples_count === undefined) {
    notes.push('this RSpec version does not report errors outside of examples (added in RSpec 3.6)');
  }

  return {
    format: 'rspec-json',
    verdict: failedExamples.length > 0 || errors > 0 ? 'failed' : 'passed',
    passed: passedCount,
    failed: failedExamples.length,
    skipped: pendingCount,
    errors,
    total: examples.length,
    failures,
    notes,
  };
}

function failureMessage(example: Example): string | undefined {
  const exception = example.exception;
  if (!exception) return undefined;
  return firstLines(exception.message.trim() !== '' ? exception.message : exception.class);
}
