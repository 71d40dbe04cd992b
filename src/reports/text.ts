/**
 * Reading tool output as lines and keeping short excerpts of it. Summaries end up on Slack cards,
 * whose sections hold 3000 characters, so parsers keep the head of what a tool printed, never all of it.
 */

/** Lines a failure message keeps by default: enough for an assertion and its expected/got pair. */
const MESSAGE_LINES = 5;
/** Characters a failure message keeps by default, well under a Block Kit section. */
const MESSAGE_CHARS = 1000;
/** Characters of the tool's own words quoted in an `unparsed` reason. */
const QUOTE_CHARS = 200;

export function splitLines(input: string): string[] {
  return input.split(/\r?\n/);
}

/**
 * Every tool read as text here ends each line with a newline; output without one stopped in the
 * middle of a line (a killed process, a size limit), so its last line cannot be trusted. Strip colour
 * codes first: coloured terraform output ends with a reset code after its last newline.
 */
export function endsMidLine(input: string): boolean {
  return input.length > 0 && !input.endsWith('\n');
}

/** The first lines of a message as printed, without the blank lines around it or a common indent. */
export function firstLines(text: string, maxLines = MESSAGE_LINES, maxChars = MESSAGE_CHARS): string {
  const lines = splitLines(text).map((line) => line.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const head = lines.slice(0, maxLines);
  // Tools indent messages to fit their own layout (bats, rspec); the card has its own.
  const indents = head.filter((line) => line !== '').map((line) => line.length - line.trimStart().length);
  const indent = indents.length > 0 ? Math.min(...indents) : 0;
  const kept = head.map((line) => line.slice(indent));
  let excerpt = kept.join('\n');
  if (excerpt.length > maxChars) excerpt = `${excerpt.slice(0, maxChars - 1)}…`;
  else if (kept.length < lines.length) excerpt += '\n…';
  return excerpt;
}

/** One line of the tool's output, clipped, for a reason that says what the input held instead. */
export function quote(line: string): string {
  const trimmed = line.trim();
  return trimmed.length > QUOTE_CHARS ? `"${trimmed.slice(0, QUOTE_CHARS - 1)}…"` : `"${trimmed}"`;
}

/** The first line with something on it, for reasons about inputs that are not the expected report. */
export function firstNonBlankLine(input: string): string | undefined {
  return splitLines(input).find((line) => line.trim() !== '');
}
