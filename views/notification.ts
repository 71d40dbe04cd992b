import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { formatDuration } from '../src/config/duration.js';
import { shortSha } from '../src/git/ref.js';
import type { Notification, NotificationStatus, TestCounts, Transition } from '../src/notifications/notification.js';
import { STATUS_ICON } from './icons.js';
import { clamp, context, escapeMrkdwn, header, inlineCode, LIMITS, plainText, section, type Attachment, type Message } from './limits.js';
import { mention } from './mention.js';

export const NOTIFICATION_ICON: Record<NotificationStatus, string> = {
  queued: STATUS_ICON.queued,
  running: STATUS_ICON.running,
  passed: STATUS_ICON.passed,
  failed: STATUS_ICON.failed,
  canceled: STATUS_ICON.cancelled,
  skipped: STATUS_ICON.skipped,
};

/**
 * The colour bar: Slack's named colours for a verdict, amber while there is none yet, grey when the
 * run ended without one (canceled, skipped).
 */
export const NOTIFICATION_COLOR: Record<NotificationStatus, string> = {
  queued: 'warning',
  running: 'warning',
  passed: 'good',
  failed: 'danger',
  canceled: '#9e9e9e',
  skipped: '#9e9e9e',
};

/**
 * Caps on each value before it is composed into a line, so no limit is reached by clamping a whole
 * line (which could cut a link in half). URLs longer than `url` are shown unlinked.
 */
const MAX = { repo: 100, pipeline: 80, branch: 100, subject: 300, author: 80, runId: 40, url: 600 } as const;

/**
 * A URL usable inside `<url|label>`, or undefined: http(s) only, without credentials (a
 * `user@` prefix makes a link read as one host and go to another). The serialised URL has spaces,
 * `<` and `>` percent-encoded; `|`, which would end the URL part, is encoded too, and `&` escaped.
 */
export function slackUrl(url: string | undefined): string | undefined {
  if (!url || url.length > MAX.url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  const href = parsed.href.replaceAll('|', '%7C');
  if (href.length > MAX.url || /[\s<>]/.test(href)) return undefined;
  return href.replaceAll('&', '&amp;');
}

/**
 * `label` (already mrkdwn-escaped) linked to `url` when the URL is usable, plain otherwise. A `|`
 * in the label is shown as `∣`: no user text can look like a second link part.
 */
function link(url: string | undefined, label: string): string {
  const safe = slackUrl(url);
  return safe ? `<${safe}|${label.replaceAll('|', '∣')}>` : label;
}

function plain(value: string, max: number): string {
  return escapeMrkdwn(clamp(value.replace(/\s+/g, ' ').trim(), max));
}

function runLabel(n: Notification): string {
  return n.runNumber !== undefined ? `#${n.runNumber}` : clamp(n.runId, MAX.runId);
}

/** Raw: the header is plain text; the fallback escapes it. */
function title(n: Notification): string {
  const run = n.runNumber !== undefined ? ` #${n.runNumber}` : '';
  return `${clamp(n.pipeline, MAX.pipeline)}${run} ${n.status}`;
}

export function transitionText(transition: Transition, sha: string): string {
  switch (transition) {
    case 'fixed':
      return 'Fixed — back to normal';
    case 'still_failing':
      return 'Still failing';
    case 'broken':
      return `Broken by ${shortSha(sha)}`;
  }
}

const TRANSITION_ICON: Record<Transition, string> = { fixed: '🎉', still_failing: '🔁', broken: '💥' };

/** `118 passed · *2 failed* · 3 skipped` */
export function testLine(tests: TestCounts): string {
  const parts = [`${tests.passed} passed`, tests.failed > 0 ? `*${tests.failed} failed*` : '0 failed'];
  if (tests.skipped > 0) parts.push(`${tests.skipped} skipped`);
  return `🧪 ${parts.join(' · ')}`;
}

/** The news above the colour bar: what changed for the branch, and on failure who should look. */
function newsLine(n: Notification): string | undefined {
  const parts: string[] = [];
  if (n.transition) {
    const text = n.transition === 'broken' ? `Broken by ${inlineCode(shortSha(n.sha))}` : transitionText(n.transition, n.sha);
    parts.push(`${TRANSITION_ICON[n.transition]} *${text}*`);
  }
  // Only a failure is worth a ping, and only of a Slack user the sender named as such: the author
  // comes from the commit or the CI and is whatever its writer chose, so it stays text.
  if (n.status === 'failed') {
    const who = n.slackUser ? mention(n.slackUser) : n.author ? plain(n.author, MAX.author) : undefined;
    if (who) parts.push(`cc ${who}`);
  }
  return parts.length > 0 ? parts.join('  ·  ') : undefined;
}

/** A name linked to its page, or as inline code when there is no usable page. */
function linkedOrCode(url: string | undefined, value: string): string {
  return slackUrl(url) ? link(url, escapeMrkdwn(value)) : inlineCode(value);
}

function whereLine(n: Notification): string {
  const parts = [`*${link(n.links.repo, plain(n.repo, MAX.repo))}*`];
  if (n.branch) parts.push(linkedOrCode(n.links.branch, clamp(n.branch, MAX.branch)));
  parts.push(linkedOrCode(n.links.commit, shortSha(n.sha)));
  const where = parts.join('  ·  ');
  return n.subject ? `${where}\n${plain(n.subject, MAX.subject)}` : where;
}

function detailsContext(n: Notification): ContextBlock | undefined {
  const items: string[] = [];
  if (n.author) items.push(`by ${plain(n.author, MAX.author)}`);
  if (n.durationMs !== undefined) items.push(`took ${formatDuration(n.durationMs)}`);
  if (n.attempt > 1) items.push(`attempt ${n.attempt}`);
  return items.length > 0 ? context(items) : undefined;
}

/**
 * The one-line summary notifications and old clients show, raw: `text` is mrkdwn (escaped), an
 * attachment's `fallback` is plain. Values are capped first, so escaping never lands on a cut.
 */
function summary(n: Notification): string {
  const on = n.branch ? ` on ${clamp(n.branch, MAX.branch)}` : '';
  const news = n.transition ? ` — ${transitionText(n.transition, n.sha)}` : '';
  return `${NOTIFICATION_ICON[n.status]} ${clamp(n.repo, MAX.repo)}: ${title(n)}${on} (${shortSha(n.sha)})${news}`.replace(/\s+/g, ' ');
}

/**
 * A CI run's message: a header and the news (transition, and a mention on failure) on top; below,
 * in an attachment whose bar carries the verdict's colour, where it ran (repo, branch, commit),
 * who and how long, the test counts, and the link to the run.
 */
export function renderNotification(n: Notification): Message {
  const line = summary(n);
  const text = clamp(escapeMrkdwn(line), LIMITS.fallbackText);
  const blocks: KnownBlock[] = [header(`${NOTIFICATION_ICON[n.status]} ${title(n)} · ${clamp(n.repo, MAX.repo)}`)];
  const news = newsLine(n);
  if (news) blocks.push(section(news));

  const details: (SectionBlock | ContextBlock)[] = [section(whereLine(n))];
  const who = detailsContext(n);
  if (who) details.push(who);
  if (n.tests) details.push(section(testLine(n.tests)));
  const label = escapeMrkdwn(runLabel(n));
  details.push(slackUrl(n.links.run) ? section(link(n.links.run, `View run ${label}`)) : context([`run ${label}`]));

  const attachment: Attachment = { color: NOTIFICATION_COLOR[n.status], blocks: details, fallback: clamp(plainText(line), LIMITS.fallbackText) };
  return { text, blocks, attachments: [attachment] };
}
