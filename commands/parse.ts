import { z } from 'zod';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { formatIssues } from '../src/config/issues.js';

/** Slack sends at most a few thousand characters; anything this long is not a real command. */
export const MAX_COMMAND_TEXT = 500;
export const MAX_WORD = 200;

/**
 * Slack sends slash-command text with `&`, `<` and `>` as HTML entities: decode them once here, so
 * what people typed is stored as typed and escaped once, by the views that show it.
 */
function decodeSlackEntities(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

const CommandText = z
  .string()
  .max(MAX_COMMAND_TEXT, `is longer than ${MAX_COMMAND_TEXT} characters`)
  .transform((text) => decodeSlackEntities(text).trim().split(/\s+/).filter(Boolean));

/** `build main` → { name: 'build', args: ['main'] }; empty text → help. */
export function splitCommand(text: string): { name: string; args: string[] } {
  const parsed = CommandText.safeParse(text);
  if (!parsed.success) {
    throw new ApolloError(ErrorCode.UsageInvalid, `That command ${parsed.error.issues[0]?.message ?? 'is invalid'}.`);
  }
  const [name = 'help', ...args] = parsed.data;
  return { name: name.toLowerCase(), args };
}

/** Validates `args` with a zod schema, turning problems into a usage error. */
export function parseArgs<T>(schema: z.ZodType<T>, args: string[], usage: string): T {
  const tooLong = args.find((a) => a.length > MAX_WORD);
  if (tooLong) throw new ApolloError(ErrorCode.UsageInvalid, `An argument is longer than ${MAX_WORD} characters.`, { details: [`Usage: \`${usage}\``] });
  const result = schema.safeParse(args);
  if (!result.success) {
    const problems = formatIssues(result.error).map((line) => line.replace(/^\(root\): |^\[(\d+)\]: /, (_m, i?: string) => (i ? `argument ${Number(i) + 1}: ` : '')));
    throw new ApolloError(ErrorCode.UsageInvalid, problems[0] ?? 'Invalid arguments.', { details: [`Usage: \`${usage}\``] });
  }
  return result.data;
}
