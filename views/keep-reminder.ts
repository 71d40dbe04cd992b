import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../src/config/duration.js';
import { shortSha } from '../src/git/ref.js';
import type { Run } from '../src/runs/run.js';
import { ACTION } from './actions.js';
import { button, capBlocks, clamp, context, escapeMrkdwn, inlineCode, LIMITS, section, type Message } from './limits.js';
import { clock } from './clock.js';
import { mention } from './mention.js';

/**
 * The reminder in a kept deploy's thread before its automatic destroy: it mentions the requester and
 * offers Extend (the deploy's own lifetime again) and Destroy now (with a confirm dialog).
 */
export function renderKeepReminder(run: Run, clouds: string[], now: number = Date.now()): Message {
  const until = run.keepUntil ?? now;
  const names = clouds.map((c) => `*${escapeMrkdwn(c)}*`).join(', ');
  const left = formatDuration(Math.max(0, until - now));
  const by = run.keepMs !== undefined ? formatDuration(run.keepMs) : 'its lifetime';
  const blocks: KnownBlock[] = [
    section(`⏲️ ${mention(run.requestedBy)} the deploy of \`${shortSha(run.sha)}\` to ${names} (run ${inlineCode(run.id)}) will be destroyed automatically at *${clock(until, now)}* (in ${left}).`),
    context([`Extend keeps it ${by} longer; Destroy now tears it down at once.`]),
    {
      type: 'actions',
      block_id: `keep:${run.id}`,
      elements: [
        button(`Extend by ${by}`, ACTION.extend, run.id, 'primary'),
        button('Destroy now', ACTION.destroy, run.id, 'danger'),
      ],
    },
  ];
  return { text: clamp(`Run ${run.id} on ${clouds.join(', ')} will be destroyed automatically at ${clock(until, now)}`, LIMITS.fallbackText), blocks: capBlocks(blocks) };
}
