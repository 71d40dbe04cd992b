import { get as emojiFor } from 'node-emoji';
import { NodeType, parse, type Node } from 'slack-message-parser';
import { decodeSlackEntities, escapeHtml } from './html.js';

/** Names for ids in mentions; the playground knows its roster, its channel and its usergroups. */
export interface Names {
  user(id: string): string | undefined;
  channel(id: string): string | undefined;
  usergroup(id: string): string | undefined;
}

export const NO_NAMES: Names = { user: () => undefined, channel: () => undefined, usergroup: () => undefined };

/** Links the client makes clickable; anything else (javascript:, data:…) stays text. */
const SAFE_URL = /^(https?:|mailto:)/i;

/** `:white_check_mark:` → ✅ (node-emoji knows Slack's usual shortcodes); unknown ones stay as typed. */
export function emojiHtml(name: string): string {
  const emoji = emojiFor(name);
  return emoji ? `<span class="emoji" title=":${escapeHtml(name)}:">${emoji}</span>` : escapeHtml(`:${name}:`);
}

/** Plain text with `emoji: true`: shortcodes become emoji, everything else is text. */
export function plainTextHtml(text: string, emoji = true): string {
  const escaped = escapeHtml(text).replaceAll('\n', '<br>');
  return emoji ? escaped.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => (emojiFor(name) ? emojiHtml(name) : whole)) : escaped;
}

/**
 * Slack mrkdwn → HTML, through slack-message-parser's tree (bold, italics, strike, code, code
 * blocks, quotes, links, mentions, `<!date^…>`, emoji). Every text leaf is escaped here, so
 * nothing a step printed can become markup in the browser.
 */
export function mrkdwnHtml(text: string, names: Names = NO_NAMES, now: Date = new Date()): string {
  return nodesHtml(parse(text).children, names, now);
}

function nodesHtml(nodes: Node[], names: Names, now: Date): string {
  return nodes.map((node) => nodeHtml(node, names, now)).join('');
}

function textHtml(text: string): string {
  return escapeHtml(decodeSlackEntities(text)).replaceAll('\n', '<br>');
}

function nodeHtml(node: Node, names: Names, now: Date): string {
  switch (node.type) {
    case NodeType.Text:
      return textHtml(node.text);
    case NodeType.Bold:
      return `<b>${nodesHtml(node.children, names, now)}</b>`;
    case NodeType.Italic:
      return `<i>${nodesHtml(node.children, names, now)}</i>`;
    case NodeType.Strike:
      return `<s>${nodesHtml(node.children, names, now)}</s>`;
    case NodeType.Quote:
      return `<blockquote>${nodesHtml(node.children, names, now)}</blockquote>`;
    case NodeType.Code:
      return `<code>${escapeHtml(decodeSlackEntities(node.text))}</code>`;
    case NodeType.PreText:
      return `<pre>${escapeHtml(decodeSlackEntities(node.text.replace(/^\n/, '')))}</pre>`;
    case NodeType.Emoji:
      return emojiHtml(node.name);
    case NodeType.URL: {
      const url = decodeSlackEntities(node.url);
      const label = node.label ? nodesHtml(node.label, names, now) : escapeHtml(url);
      return SAFE_URL.test(url) ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${label}</a>` : label;
    }
    case NodeType.UserLink: {
      const name = names.user(node.userID);
      const label = node.label ? nodesHtml(node.label, names, now) : escapeHtml(name ?? node.userID);
      return `<span class="mention" data-user="${escapeHtml(node.userID)}">@${label.replace(/^@/, '')}</span>`;
    }
    case NodeType.ChannelLink: {
      const label = node.label ? nodesHtml(node.label, names, now) : escapeHtml(names.channel(node.channelID) ?? node.channelID);
      return `<span class="mention">#${label.replace(/^#/, '')}</span>`;
    }
    case NodeType.Command:
      return commandHtml(node.name, node.arguments, node.label ? nodesHtml(node.label, names, now) : undefined, names, now);
    case NodeType.Root:
      return nodesHtml(node.children, names, now);
  }
}

function commandHtml(name: string, args: string[], label: string | undefined, names: Names, now: Date): string {
  switch (name) {
    case 'here':
    case 'channel':
    case 'everyone':
      return `<span class="mention broadcast">@${name}</span>`;
    case 'subteam': {
      const id = args[0] ?? '';
      const handle = label ?? escapeHtml(names.usergroup(id) ?? id);
      return `<span class="mention">@${handle.replace(/^@/, '')}</span>`;
    }
    case 'date': {
      const seconds = Number(args[0]);
      if (!Number.isFinite(seconds)) return label ?? '';
      const at = new Date(seconds * 1000);
      const shown = escapeHtml(formatSlackDate(at, args[1] ?? '{date_short}', now));
      const link = args[2] && SAFE_URL.test(args[2]) ? args[2] : undefined;
      const time = `<time datetime="${at.toISOString()}" title="${at.toISOString()}">${shown}</time>`;
      return link ? `<a href="${escapeHtml(link)}" target="_blank" rel="noopener noreferrer">${time}</a>` : time;
    }
    default:
      return label ?? escapeHtml(`<!${[name, ...args].join('^')}>`);
  }
}

const DAY_MS = 86_400_000;

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function pretty(at: Date, now: Date, otherwise: string): string {
  if (sameDay(at, now)) return 'today';
  if (sameDay(at, new Date(now.getTime() - DAY_MS))) return 'yesterday';
  if (sameDay(at, new Date(now.getTime() + DAY_MS))) return 'tomorrow';
  return otherwise;
}

function ago(at: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const [n, unit] = s < 60 ? [s, 'second'] : s < 3600 ? [Math.round(s / 60), 'minute'] : s < 86_400 ? [Math.round(s / 3600), 'hour'] : [Math.round(s / 86_400), 'day'];
  const words = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return future ? `in ${words}` : `${words} ago`;
}

/** Slack's `<!date^…^{token} …>` tokens, in this machine's time zone (as Slack uses the reader's). */
export function formatSlackDate(at: Date, format: string, now: Date = new Date()): string {
  const fmt = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-US', options).format(at);
  const dateLong = fmt({ weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' });
  const date = fmt({ month: 'long', day: 'numeric', year: 'numeric' });
  const dateShort = fmt({ month: 'short', day: 'numeric', year: 'numeric' });
  const tokens: Record<string, () => string> = {
    date_num: () => `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')}`,
    date: () => date,
    date_short: () => dateShort,
    date_long: () => dateLong,
    date_pretty: () => pretty(at, now, date),
    date_short_pretty: () => pretty(at, now, dateShort),
    date_long_pretty: () => pretty(at, now, dateLong),
    time: () => fmt({ hour: 'numeric', minute: '2-digit' }),
    time_secs: () => fmt({ hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    ago: () => ago(at, now),
  };
  return format.replace(/\{([a-z_]+)\}/g, (whole, token: string) => tokens[token]?.() ?? whole);
}
