import { formatDuration } from '../src/config/duration.js';
import { shortSha } from '../src/git/ref.js';
import { runFinishedAt, runStartedAt, runStatus, type Run } from '../src/runs/run.js';
import { STATUS_ICON, STATUS_WORD } from './icons.js';
import { clamp, context, escapeMrkdwn, inlineCode, LIMITS, section, type Message } from './limits.js';
import { mention } from './mention.js';

/**
 * One line in the team channel for a run started elsewhere (a DM, another channel): the card lives
 * where it was asked for; the channel still learns the verdict.
 */
export function renderVerdict(run: Run): Message {
  const status = runStatus(run);
  const started = runStartedAt(run);
  const finished = runFinishedAt(run);
  const took = started !== undefined && finished !== undefined ? ` in ${formatDuration(finished - started)}` : '';
  const what = run.kind === 'build' ? 'Build' : `Deploy to ${run.laneNames.map(escapeMrkdwn).join(', ')}`;
  const ref = run.ref !== run.sha && !run.sha.startsWith(run.ref) ? ` (${inlineCode(run.ref)})` : '';
  const line = `${STATUS_ICON[status]} ${what} \`${run.id}\` of \`${shortSha(run.sha)}\`${ref} *${STATUS_WORD[status]}*${took} — requested by ${mention(run.requestedBy)}`;
  const where = run.channel.startsWith('D') ? 'from a direct message' : `in <#${run.channel}>`;
  return {
    text: clamp(`${what} ${run.id} of ${shortSha(run.sha)}: ${STATUS_WORD[status]}`, LIMITS.fallbackText),
    blocks: [section(line), context([`started ${where}${run.subject ? ` · ${escapeMrkdwn(clamp(run.subject, 150))}` : ''}`])],
  };
}
