import { ErrorCode, isApolloError } from '../src/errors.js';
import { CloudsLockedError } from '../src/actions/clouds-free.js';
import { LimitReachedError } from '../src/access/user-limits.js';
import { lockMessage } from './lock-message.js';
import { limitText } from './refusal.js';
import { escapeMrkdwn } from './limits.js';

/**
 * What a person in Slack reads when their request fails: the one place errors become words.
 * Structured errors are worded here; other ApolloErrors carry their message and detail lines;
 * unknown errors never leak internals.
 */
export function errorText(err: unknown): string {
  return `:warning: ${errorLines(err)}`;
}

/** The same words without the warning sign, for answers that carry their own. */
export function errorLines(err: unknown): string {
  if (err instanceof CloudsLockedError) return [err.message, ...err.blockers.map((b) => lockMessage(b.cloud, b.kind, b.holder))].join('\n');
  if (err instanceof LimitReachedError) return limitText(err.limit).replace(/^:no_entry: /, '');
  // A repository pipeline file's problems quote what a pull request wrote: never an entity. Other
  // details are the bot's own words (some name channels as <#C…>).
  if (isApolloError(err)) return [err.message, ...(err.code === ErrorCode.PipelineInvalid ? err.details.map(escapeMrkdwn) : err.details)].join('\n');
  return "Something went wrong on our side; the error is in the bot's log. Nothing was queued.";
}
