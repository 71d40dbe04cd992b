import type { ChannelMessage, Surface } from './channel.js';
import { attachmentsHtml, blocksHtml } from './block-html.js';
import { escapeHtml } from './html.js';
import { mrkdwnHtml, type Names } from './mrkdwn-html.js';

/** A message as the browser gets it: rendered HTML plus what it needs to place and filter it. */
export interface ClientMessage {
  id: string;
  ts: string;
  threadTs?: string;
  ephemeralFor?: string;
  author: string;
  authorName: string;
  postedAt: number;
  edits: number;
  deleted?: true;
  html: string;
}

export interface ClientSurface {
  kind: Surface['kind'];
  user: string;
  title: string;
  html: string;
  submit?: string;
  closed?: true;
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A message's body as Slack shows it: blocks when it has them (the text is then only the
 * notification fallback), else its text as mrkdwn; attachments with their bar; files as cards
 * with a download link.
 */
export function messageHtml(message: ChannelMessage, names: Names): string {
  const hasBlocks = Array.isArray(message.blocks) && message.blocks.length > 0;
  const body = hasBlocks ? blocksHtml(message.blocks, names) : message.text ? `<div class="sk-text">${mrkdwnHtml(message.text, names)}</div>` : '';
  const attachments = message.attachments ? attachmentsHtml(message.attachments, names) : '';
  const files = (message.files ?? [])
    .map(
      (f) =>
        `<div class="sk-file"><span class="sk-file-icon">📄</span><div class="sk-file-meta"><div class="sk-file-title">${escapeHtml(f.title)}</div>` +
        `<div class="sk-file-sub">${escapeHtml(f.name)} · ${formatBytes(f.size)}</div></div>` +
        `<a class="sk-file-download" href="/playground/api/files/${encodeURIComponent(f.id)}" download="${escapeHtml(f.name)}">Download</a></div>`,
    )
    .join('');
  return body + attachments + files;
}

export function toClientMessage(message: ChannelMessage, names: Names): ClientMessage {
  return {
    id: message.id,
    ts: message.ts,
    ...(message.threadTs && message.threadTs !== message.ts ? { threadTs: message.threadTs } : {}),
    ...(message.ephemeralFor ? { ephemeralFor: message.ephemeralFor } : {}),
    author: message.author,
    authorName: message.author === 'USLACKBOT' ? 'Slackbot' : (names.user(message.author) ?? message.author),
    postedAt: message.postedAt,
    edits: message.edits,
    ...(message.deleted ? { deleted: true as const } : {}),
    html: message.deleted ? '' : messageHtml(message, names),
  };
}

export function toClientSurface(surface: Surface, names: Names): ClientSurface {
  const errors = surface.errors ? Object.values(surface.errors).map((e) => `<p class="sk-input-error">${escapeHtml(e)}</p>`).join('') : '';
  return { kind: surface.kind, user: surface.user, title: surface.title, html: blocksHtml(surface.blocks, names) + errors, ...(surface.submit ? { submit: surface.submit } : {}), ...(surface.closed ? { closed: true as const } : {}) };
}
