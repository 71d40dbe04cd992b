import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hmacSha256Hex } from '../../src/slack/signing.js';
import type { KnownBlock } from '@slack/types';
import type { SlackCall } from '../../src/slack/playground/fake-slack.js';

const FIXTURES = new URL('../fixtures/webhooks/', import.meta.url);

// Fixtures are GitHub's JSON: loosely typed on purpose, tests reach into them like GitHub's docs do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Payload = Record<string, any>;

/** A fresh copy of a GitHub payload from test/fixtures/webhooks/github, free to change. */
export function fixture(name: string): Payload {
  return JSON.parse(readFileSync(new URL(`github/${name}`, FIXTURES), 'utf8')) as Payload;
}

/** A fresh copy of a generic CI event from test/fixtures/webhooks/ci. */
export function ciFixture(name: string): Payload {
  return JSON.parse(readFileSync(new URL(`ci/${name}`, FIXTURES), 'utf8')) as Payload;
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { ok?: boolean; result?: string; error?: string; message?: string; details?: string[] };
}

async function post(url: string, raw: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body: raw });
  const text = await res.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

export interface GitHubSendOptions {
  /** Signs with this secret; `null` sends no signature at all. */
  secret: string | null;
  delivery?: string;
  /** Overrides the computed X-Hub-Signature-256. */
  signature?: string;
  contentType?: string;
}

/** Sends a webhook the way GitHub's Hookshot does: its headers, both signatures, the exact bytes. */
export async function sendGitHub(baseUrl: string, event: string, payload: Payload | string, options: GitHubSendOptions): Promise<Answer> {
  const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'user-agent': 'GitHub-Hookshot/a4e5f0d',
    'x-github-event': event,
    'x-github-delivery': options.delivery ?? randomUUID(),
    'x-github-hook-id': '551234987',
    'x-github-hook-installation-target-type': 'repository',
    'x-github-hook-installation-target-id': '36137254',
  };
  if (options.secret !== null) {
    headers['x-hub-signature'] = `sha1=${createHmac('sha1', options.secret).update(raw).digest('hex')}`;
    headers['x-hub-signature-256'] = `sha256=${hmacSha256Hex(options.secret, raw)}`;
  }
  if (options.signature !== undefined) headers['x-hub-signature-256'] = options.signature;
  return post(`${baseUrl}/webhooks/github`, raw, headers);
}

export interface CiSendOptions {
  secret: string | null;
  delivery?: string;
  signature?: string;
}

/** Sends the generic CI event, signed as the README's webhooks section says. */
export async function sendCi(baseUrl: string, event: Payload | string, options: CiSendOptions): Promise<Answer> {
  const raw = typeof event === 'string' ? event : JSON.stringify(event);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.secret !== null) headers['x-apollo-signature'] = `sha256=${hmacSha256Hex(options.secret, raw)}`;
  if (options.signature !== undefined) headers['x-apollo-signature'] = options.signature;
  if (options.delivery !== undefined) headers['x-apollo-delivery'] = options.delivery;
  return post(`${baseUrl}/webhooks/ci`, raw, headers);
}

interface RecordedAttachment {
  color?: string;
  blocks?: KnownBlock[];
}

function blockText(block: KnownBlock): string {
  const text = (block as { text?: { text?: string } }).text?.text ?? '';
  const elements = ((block as { elements?: { text?: string }[] }).elements ?? []).map((e) => e.text ?? '');
  return [text, ...elements].filter(Boolean).join(' ');
}

/** Everything a person reads in a recorded message: its blocks, then its attachments' blocks. */
export function messageText(call: SlackCall): string {
  const blocks = (call.body.blocks as KnownBlock[] | undefined) ?? [];
  const attachments = (call.body.attachments as RecordedAttachment[] | undefined) ?? [];
  return [...blocks, ...attachments.flatMap((a) => a.blocks ?? [])].map(blockText).join('\n');
}

export function attachmentOf(call: SlackCall): RecordedAttachment {
  const attachments = (call.body.attachments as RecordedAttachment[] | undefined) ?? [];
  if (attachments.length !== 1) throw new Error(`expected one attachment, got ${attachments.length}`);
  return attachments[0]!;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
