import type { KnownBlock, ModalView } from '@slack/types';
import { shortSha } from '../src/git/ref.js';
import type { Lane, Run } from '../src/runs/run.js';
import type { DestroyPrompt, PendingDestroy } from '../src/actions/confirm-destroy.js';
import { capBlocks, clamp, context, escapeMrkdwn, LIMITS, plain, section } from './limits.js';
import { clock } from './clock.js';
import { mention } from './mention.js';
import { summaryLine } from './summary-line.js';

/** The destroy modal's callback id and its one input, as the listener reads them back. */
export const DESTROY_MODAL = { callbackId: 'destroy_confirm', block: 'confirm', action: 'names' } as const;

/** What the modal carries back on submit: the run and the card's channel (Slack keeps it for us). */
export interface DestroyModalMetadata {
  runId: string;
  channel: string;
}

/** What a cloud's last apply did, from its deploy steps' reports: `terraform apply: 3 added, …`. */
function applied(lane: Lane): string {
  const reports = lane.steps.filter((s) => s.role === undefined && s.summary).map((s) => `${escapeMrkdwn(s.name)}: ${summaryLine(s.summary!)}`);
  const when = lane.finishedAt !== undefined ? ` at ${clock(lane.finishedAt)}` : '';
  return reports.length > 0 ? `${reports.join(' · ')}${when}` : `deployed${when} (no report of what it created)`;
}

function confirmations(list: PendingDestroy[], expired: PendingDestroy[], required: number): string | undefined {
  const parts: string[] = [];
  if (list.length > 0) parts.push(`Confirmed so far by ${list.map((v) => mention(v.by)).join(', ')} (${list.length} of ${required})`);
  for (const v of expired) parts.push(`⌛ the request by ${mention(v.by)} expired at ${clock(v.expiresAt)}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/**
 * Destroy, clicked: the clouds it destroys with what their last apply created, who has confirmed
 * so far when it needs more than one destroyer, and a field where the person types the names.
 */
export function renderDestroyModal(prompt: Extract<DestroyPrompt, { kind: 'confirm' }>, channel: string): ModalView {
  const { run, targets, taken, required, pending, expired } = prompt;
  const names = targets.map((l) => l.name);
  const blocks: KnownBlock[] = [
    section(`*Destroy ${names.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')}* of run \`${run.id}\` (\`${shortSha(run.sha)}\`, asked for by ${mention(run.requestedBy)}). This runs the destroy pipeline and cannot be undone.`),
    ...targets.map((lane) => section(`🧨 *${escapeMrkdwn(lane.name)}*: ${applied(lane)}`)),
  ];
  if (taken.length > 0) blocks.push(context([`Not destroyed: ${taken.map((t) => `*${escapeMrkdwn(t.cloud)}* (${t.currentRunId ? `now run \`${t.currentRunId}\`` : 'already destroyed'})`).join(', ')}`]));
  if (required > 1) blocks.push(context([confirmations(pending, expired, required) ?? `Needs ${required} destroyers: yours is the first confirmation; nothing runs until another destroyer confirms.`]));
  blocks.push({
    type: 'input',
    block_id: DESTROY_MODAL.block,
    label: plain(`Type ${names.length > 1 ? 'the cloud names' : 'the cloud name'} to confirm: ${names.join(', ')}`, 2000),
    element: { type: 'plain_text_input', action_id: DESTROY_MODAL.action, max_length: 200, placeholder: plain(names.join(', '), 150) },
  });
  const metadata: DestroyModalMetadata = { runId: run.id, channel };
  return {
    type: 'modal',
    callback_id: DESTROY_MODAL.callbackId,
    private_metadata: clamp(JSON.stringify(metadata), LIMITS.privateMetadata),
    title: plain(`Destroy ${run.id}`, LIMITS.viewTitle),
    submit: plain('Destroy', LIMITS.viewButton),
    close: plain('Keep it', LIMITS.viewButton),
    blocks: capBlocks(blocks, LIMITS.blocksPerView),
  };
}

/** The card's line for a destroy waiting for more destroyers, or whose request expired. */
export function pendingDestroyNote(run: Run, ttlMs: number, required: number, now: number): string | undefined {
  if (run.destroy || !run.destroyVotes?.length) return undefined;
  const votes = run.destroyVotes.map((v) => ({ ...v, expiresAt: v.at + ttlMs }));
  const live = votes.filter((v) => v.expiresAt > now);
  const gone = votes.filter((v) => v.expiresAt <= now);
  if (live.length > 0) return `🧨 destroy confirmed by ${live.map((v) => mention(v.by)).join(', ')}: waiting for ${required - live.length} more destroyer${required - live.length === 1 ? '' : 's'} (until ${clock(Math.min(...live.map((v) => v.expiresAt)), now)})`;
  return `⌛ the destroy request by ${gone.map((v) => mention(v.by)).join(', ')} expired at ${clock(Math.max(...gone.map((v) => v.expiresAt)), now)}: nothing was destroyed`;
}
