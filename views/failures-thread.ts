import type { SectionBlock } from '@slack/types';
import type { Lane } from '../src/runs/run.js';
import { clamp, escapeMrkdwn, LIMITS, section, capBlocks, type Message } from './limits.js';
import { summaryLine } from './summary-line.js';

/** How many failures per suite are listed; the rest are counted. */
export const MAX_FAILURES_PER_SUITE = 10;

/**
 * The thread reply under a card that lists the first failures of each failing suite of a lane
 * (name, message, location), so the card itself stays short. Undefined when nothing failed.
 */
export function renderFailuresThread(lane: Lane, label: string): Message | undefined {
  const blocks: SectionBlock[] = [];
  for (const step of lane.steps) {
    const summary = step.summary;
    if (!summary || summary.failures.length === 0 || step.status !== 'failed') continue;
    const lines = summary.failures.slice(0, MAX_FAILURES_PER_SUITE).map((f) => {
      const where = f.location ? ` _(${escapeMrkdwn(clamp(f.location, 120))})_` : '';
      const message = f.message ? `\n    ${escapeMrkdwn(clamp(f.message.replace(/\s+/g, ' '), 300))}` : '';
      return `• *${escapeMrkdwn(clamp(f.name, 200))}*${where}${message}`;
    });
    const more = summary.failures.length - MAX_FAILURES_PER_SUITE;
    if (more > 0) lines.push(`…and ${more} more (see the full log with the Logs button)`);
    blocks.push(section(clamp(`*${escapeMrkdwn(label)} · ${escapeMrkdwn(step.name)}*: ${summaryLine(summary)}\n${lines.join('\n')}`, LIMITS.sectionText)));
  }
  if (blocks.length === 0) return undefined;
  return { text: clamp(`Failures in ${escapeMrkdwn(label)}`, LIMITS.fallbackText), blocks: capBlocks(blocks) };
}
