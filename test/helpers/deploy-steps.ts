import { expect } from 'vitest';
import { blocksText, type Harness } from './harness.js';

/** Sends `/apollo deploy …` and returns the approval card's run id and ts. */
export async function ask(h: Harness, text: string, user: string): Promise<{ runId: string; ts: string }> {
  const before = h.slack.callsOf('chat.postMessage').length;
  const res = await h.command(text, user);
  expect(res.status).toBe(200);
  const card = await h.slack
    .waitFor(() => h.slack.callsOf('chat.postMessage').slice(before).find((c) => String(c.body.text).startsWith('Deploy request')), 30_000, 'the approval card')
    .catch((err: unknown) => {
      throw new Error(`${String(err)}; replies: ${h.repliesTo(res.responseUrl).join(' | ')}`);
    });
  const runId = /Deploy request (d\d+)/.exec(String(card.body.text))![1]!;
  return { runId, ts: String(card.response!.ts) };
}

/** Waits until the card posted as `ts`, in its latest version, satisfies `probe`; returns its text. */
export async function cardWhere(h: Harness, ts: string, probe: (text: string, body: Record<string, unknown>) => boolean, what: string, timeoutMs = 60_000): Promise<string> {
  return h.slack.waitFor(() => {
    const body = h.latestCard(ts);
    if (!body) return undefined;
    const text = `${String(body.text)}\n${blocksText(body)}`;
    return probe(text, body) ? text : undefined;
  }, timeoutMs, what);
}

/** The texts of a message's buttons, in order. */
export function buttons(body: Record<string, unknown> | undefined): string[] {
  const blocks = (body?.blocks as { type: string; elements?: { action_id?: string; text?: { text: string } }[] }[]) ?? [];
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => (b.elements ?? []).map((e) => e.text?.text ?? ''));
}
