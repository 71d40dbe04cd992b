import type { ActionsBlock, KnownBlock } from '@slack/types';
import { formatDuration } from '../src/config/duration.js';
import { shortSha } from '../src/git/ref.js';
import { laneStatus, runFinishedAt, runStartedAt, runStatus, type Lane, type Run, type StepState } from '../src/runs/run.js';
import { STATUS_ICON, STATUS_WORD } from './icons.js';
import { button, capBlocks, clamp, codeBlock, context, escapeMrkdwn, header, inlineCode, LIMITS, linesToSections, section, type Message } from './limits.js';
import { summaryLine } from './summary-line.js';
import { mention } from './mention.js';
import { ACTION, confirmDialog } from './actions.js';
import { laneProblem, pipelineSourceNote } from './deploy-card.js';

const BAR_WIDTH = 12;

/** `▰▰▰▰▱▱▱▱ 2/4 steps` */
export function progressBar(done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  return `${'▰'.repeat(filled)}${'▱'.repeat(BAR_WIDTH - filled)} ${done}/${total} steps`;
}

function stepDuration(step: StepState, now: number): string {
  if (step.startedAt === undefined) return '';
  return formatDuration((step.finishedAt ?? now) - step.startedAt);
}

function stepLine(step: StepState, now: number): string {
  const duration = stepDuration(step, now);
  let line = `${STATUS_ICON[step.status]} ${escapeMrkdwn(step.name)}${duration ? `  _${duration}_` : ''}`;
  if (step.summary) line += ` — ${summaryLine(step.summary)}`;
  if (step.status === 'failed' && step.reason) line += ` (${escapeMrkdwn(step.reason)})`;
  if (step.status === 'skipped' && step.reason) line += ` (${escapeMrkdwn(step.reason)})`;
  return line;
}

function doneSteps(lanes: Lane[]): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const lane of lanes) {
    total += lane.steps.length;
    done += lane.steps.filter((s) => s.status !== 'queued' && s.status !== 'running').length;
  }
  return { done, total };
}

function failingStep(lane: Lane): StepState | undefined {
  return lane.steps.find((s) => s.status === 'failed' || s.status === 'interrupted');
}

function laneRow(lane: Lane, now: number): string {
  const status = laneStatus(lane);
  const current = lane.steps.find((s) => s.status === 'running') ?? failingStep(lane);
  const duration = lane.startedAt ? formatDuration((lane.finishedAt ?? now) - lane.startedAt) : '';
  let row = `${STATUS_ICON[status]} *${escapeMrkdwn(lane.name)}* ${STATUS_WORD[status]}`;
  if (current) row += ` — ${escapeMrkdwn(current.name)}`;
  if (duration) row += `  _${duration}_`;
  const problem = laneProblem(lane, now);
  if (problem) row += `\n    ${problem}`;
  return row;
}

/** Raw: the header is plain text; the fallback escapes it. */
function title(run: Run): string {
  const what = run.kind === 'build' ? 'Build' : `Deploy to ${run.laneNames.join(', ')}`;
  return `${what} ${shortSha(run.sha)} · ${run.id}`;
}

/**
 * The card of a run: header, commit and requester, a line per step (or a row per cloud), a progress
 * bar, then the verdict and, on failure, the end of the failing step's output.
 */
export function renderRunCard(run: Run, now: number = Date.now()): Message {
  const status = runStatus(run);
  const blocks: KnownBlock[] = [header(`${STATUS_ICON[status]} ${title(run)}`)];
  const subject = run.subject ? `*${escapeMrkdwn(clamp(run.subject, 200))}*` : `*${shortSha(run.sha)}*`;
  const refNote = run.ref !== run.sha && !run.sha.startsWith(run.ref) ? ` · ref ${inlineCode(run.ref)}` : '';
  blocks.push(section(`${subject}\n\`${shortSha(run.sha)}\`${refNote} by ${escapeMrkdwn(run.author || 'unknown')} · requested by ${mention(run.requestedBy)}`));

  const single = run.lanes.length === 1 && run.kind === 'build';
  const lines = single ? run.lanes[0]!.steps.map((s) => stepLine(s, now)) : run.lanes.map((l) => laneRow(l, now));
  blocks.push(...linesToSections(lines));
  const error = single ? run.lanes[0]!.error : undefined;
  if (error !== undefined) {
    // A lane that could not run (its checkout failed, the commit's pipeline file is invalid): its own words, the details as code.
    const [first = '', ...rest] = error.split('\n');
    blocks.push(section(`❌ ${escapeMrkdwn(first)}${rest.length > 0 ? `\n${codeBlock(rest.join('\n'))}` : ''}`));
  }
  const source = pipelineSourceNote(run);
  if (source) blocks.push(context([source]));
  const notes = run.lanes.filter((l) => l.note).map((l) => `⚠️ ${single ? '' : `${escapeMrkdwn(l.name)}: `}${escapeMrkdwn(l.note!)}`);
  if (notes.length > 0) blocks.push(context(notes));

  const { done, total } = doneSteps(run.lanes);
  const started = runStartedAt(run);
  const finished = runFinishedAt(run);
  const elapsed = started !== undefined ? formatDuration((finished ?? now) - started) : undefined;
  const footer = [progressBar(done, total)];
  if (status === 'queued') footer.push('waiting for a worker');
  else if (status === 'running') footer.push(`running${elapsed ? ` for ${elapsed}` : ''}`);
  else footer.push(`*${STATUS_WORD[status]}*${elapsed ? ` in ${elapsed}` : ''}`);
  blocks.push(section(footer.join('  ·  ')));

  if (status !== 'queued' && status !== 'running') {
    for (const lane of run.lanes) {
      const failed = failingStep(lane);
      if (!failed?.tail || failed.tail.length === 0) continue;
      const label = single ? failed.name : `${lane.name}: ${failed.name}`;
      blocks.push(context([`Last lines of *${escapeMrkdwn(label)}*:`]));
      blocks.push(section(codeBlock(failed.tail.join('\n'))));
    }
  }
  if (run.cancelledBy) blocks.push(context([`🚫 cancelled by ${mention(run.cancelledBy)}`]));
  const footer2 = context([`run ${run.id} · ${new Date(run.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`]);
  const running = status === 'queued' || status === 'running';
  const actions: ActionsBlock | undefined =
    running && !run.cancelledBy
      ? { type: 'actions', block_id: `run:${run.id}`, elements: [button('Cancel', ACTION.cancel, run.id, 'danger', confirmDialog(`Cancel ${run.id}?`, `Stops the running step of ${run.id} now.`, 'Cancel run'))] }
      : undefined;
  const capped = capBlocks(blocks, LIMITS.blocksPerMessage - (actions ? 2 : 1));
  if (actions) capped.push(actions);
  capped.push(footer2);

  // The notification text is mrkdwn too: a subject saying <@U…> or <!here> would ping from it.
  const subjectNote = run.subject ? ` — ${clamp(run.subject.replace(/\s+/g, ' '), 200)}` : '';
  const text = clamp(escapeMrkdwn(`${title(run)}: ${STATUS_WORD[status]}${subjectNote}`), LIMITS.fallbackText);
  return { text, blocks: capped };
}
