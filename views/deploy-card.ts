import type { Button, KnownBlock } from '@slack/types';
import { formatDuration } from '../src/config/duration.js';
import { shortSha } from '../src/git/ref.js';
import { laneStatus, lanesDone, needsCleanup, runFinishedAt, runStartedAt, runStatus, teardownSteps, type Lane, type Run, type StepState } from '../src/runs/run.js';
import { STATUS_ICON, STATUS_WORD } from './icons.js';
import { button, capBlocks, clamp, codeBlock, context, escapeMrkdwn, header, inlineCode, LIMITS, linesToSections, section, type Message } from './limits.js';
import { mention } from './mention.js';
import { lockMessage } from './lock-message.js';
import { planCounts, summaryLine } from './summary-line.js';
import type { PlanDetails, PlannedResource } from '../src/reports/terraform-plan.js';
import { ACTION, confirmDialog } from './actions.js';
import { pendingDestroyNote } from './destroy-modal.js';
import { clock } from './clock.js';

export { ACTION };

export interface DeployCardOptions {
  now?: number;
  /** Show the Destroy button (a destroy pipeline is configured). */
  destroyConfigured?: boolean;
  /** Names of all configured test suites, to say which were skipped. */
  testSuites?: string[];
  /** How many distinct approvals each cloud needs (default 1): the card shows progress when more. */
  requiredApprovals?: Record<string, number>;
  /** `destroy.requiredApprovals` and how long a confirmation waits for the next (access.approvalTtl). */
  destroyConfirm?: { required: number; ttlMs: number };
}

/**
 * Who has approved so far, and what each cloud still needs: "👥 approved so far by @a ·
 * aws needs 2 approvals (1 so far)". Nothing while one approval is enough and none was given.
 */
export function approvalsNote(run: Run, required: Record<string, number> | undefined): string | undefined {
  const given = run.approvals ?? [];
  const needs = run.laneNames.map((cloud) => ({ cloud, needed: required?.[cloud] ?? 1 })).filter((n) => n.needed > 1);
  if (given.length === 0 && needs.length === 0) return undefined;
  const parts: string[] = [];
  if (given.length > 0) parts.push(`👥 approved so far by ${given.slice(0, 10).map((a) => mention(a.by)).join(', ')}`);
  for (const { cloud, needed } of needs) parts.push(`*${escapeMrkdwn(cloud)}* needs ${needed} approvals from different people, not the requester`);
  return parts.join(' · ');
}

function laneDuration(lane: Lane, now: number): string {
  return lane.startedAt ? `  _${formatDuration((lane.finishedAt ?? now) - lane.startedAt)}_` : '';
}

/** One row per cloud: icon, name, status, the step it is on (or failed at), duration; then its suites. */
function cloudRow(lane: Lane, now: number): string {
  const status = laneStatus(lane);
  const current = lane.steps.find((s) => s.status === 'running') ?? lane.steps.find((s) => s.status === 'failed' || s.status === 'interrupted');
  let row = `${STATUS_ICON[status]} *${escapeMrkdwn(lane.name)}* ${STATUS_WORD[status]}`;
  if (current) row += ` — ${escapeMrkdwn(current.name)}${current.status === 'failed' && current.reason ? ` (${escapeMrkdwn(current.reason)})` : ''}`;
  row += laneDuration(lane, now);
  const problem = laneProblem(lane, now);
  if (problem) row += `\n      ${problem}`;
  const ephemeral = teardownSteps(lane).length > 0;
  if (ephemeral && lane.startedAt !== undefined) row += `\n      ${phaseLine('deploy', lane.steps.filter((s) => s.role === undefined), lane)}`;
  for (const step of lane.steps) {
    const line = step.role === 'teardown' ? undefined : suiteLine(step);
    if (line) row += `\n      ${line}`;
  }
  if (ephemeral && lane.startedAt !== undefined) row += `\n      ${teardownLine(lane)}`;
  return row;
}

/** An ephemeral lane's deploy steps as one line: how they ended, and where they failed. */
function phaseLine(label: string, steps: StepState[], lane: Lane): string {
  const status = laneStatus({ name: lane.name, steps, ...(lane.finishedAt !== undefined ? { finishedAt: lane.finishedAt } : {}), ...(lane.startedAt !== undefined ? { startedAt: lane.startedAt } : {}) });
  const failed = steps.find((s) => s.status === 'failed' || s.status === 'interrupted' || s.status === 'cancelled');
  return `${STATUS_ICON[status]} ${label}: ${STATUS_WORD[status]}${failed ? ` at ${escapeMrkdwn(failed.name)}` : ''}`;
}

/** An ephemeral lane's teardown: done, running, waiting, or not done (the cloud needs cleanup). */
function teardownLine(lane: Lane): string {
  const steps = teardownSteps(lane);
  if (steps.every((s) => s.status === 'passed')) {
    const summaries = steps.filter((s) => s.summary).map((s) => `${escapeMrkdwn(s.name)}: ${summaryLine(s.summary!)}`);
    return ['🧹 teardown: ✅ torn down', ...summaries].join(' · ');
  }
  if (steps.some((s) => s.status === 'running')) return `🧹 teardown: 🔄 running ${escapeMrkdwn(steps.find((s) => s.status === 'running')!.name)}`;
  if (lane.finishedAt === undefined) return '🧹 teardown: ⏳ runs after the tests, whatever they do';
  const failed = steps.find((s) => s.status !== 'passed' && s.status !== 'skipped') ?? steps.find((s) => s.status !== 'passed');
  const why = failed && failed.status !== 'skipped' ? `${STATUS_WORD[failed.status]} at ${escapeMrkdwn(failed.name)}${failed.reason ? ` (${escapeMrkdwn(failed.reason)})` : ''}` : 'did not run';
  return `🧹 teardown: ❌ ${why} · ⚠️ *needs cleanup*: click Destroy`;
}

/**
 * What ended a lane outside its steps, in words. A lock refusal names the holder as a mention and
 * escapes the lock's reason once (lockMessage); a free-text failure is escaped here.
 */
export function laneProblem(lane: Lane, now: number = Date.now()): string | undefined {
  const blocked = lane.blocked;
  if (blocked?.kind === 'locked') {
    const holder = { owner: blocked.by, since: blocked.since, ...(blocked.reason !== undefined ? { reason: blocked.reason } : {}), ...(blocked.runId !== undefined ? { runId: blocked.runId } : {}) };
    return lockMessage(blocked.cloud, blocked.lock, holder, now);
  }
  if (blocked?.kind === 'taken-over') {
    return `not destroyed: *${escapeMrkdwn(blocked.cloud)}* now carries ${blocked.currentRunId ? `run ${inlineCode(blocked.currentRunId)}` : 'no deploy of this run'}`;
  }
  return lane.error ? escapeMrkdwn(lane.error) : undefined;
}

function suiteLine(step: StepState): string | undefined {
  if (step.summary) return `${STATUS_ICON[step.status]} ${escapeMrkdwn(step.name)}: ${summaryLine(step.summary)}`;
  if (step.status === 'skipped' && step.reason === 'not selected') return `⏭️ ${escapeMrkdwn(step.name)}: skipped (not selected)`;
  return undefined;
}

/** How long the deploy lives, when it does not stay until someone destroys it. */
function lifetimeNote(run: Run, now: number): string | undefined {
  if (run.destroy) return undefined;
  if (run.ephemeral) return '🧹 ephemeral: each cloud is torn down after its tests';
  if (run.keepMs !== undefined) {
    if (run.keepUntil !== undefined) return `⏲️ destroyed automatically at ${clock(run.keepUntil, now)}`;
    // Once the deploy is over without a lifetime, its timer is off (newer deploys took its clouds).
    return lanesDone(run.lanes) && run.decision ? undefined : `⏲️ kept for ${formatDuration(run.keepMs)} after the deploy, then destroyed`;
  }
  return undefined;
}

function testsNote(run: Run, suites: string[] | undefined): string | undefined {
  if (!run.tests || !suites) return undefined;
  if (run.tests.length === 0) return 'tests: none (--no-tests)';
  const skipped = suites.filter((s) => !run.tests!.includes(s));
  return `tests: ${run.tests.map(escapeMrkdwn).join(', ')}${skipped.length ? ` · skipped: ${skipped.map(escapeMrkdwn).join(', ')}` : ''}`;
}

/** Where the steps come from when the commit carries its own pipeline file (`pipeline.fromRepo`). */
export function pipelineSourceNote(run: Run): string | undefined {
  if (!run.pipeline?.source) return undefined;
  const names = (steps: { name: string }[] | undefined) => (steps ?? []).map((s) => escapeMrkdwn(clamp(s.name, 40))).join(', ');
  const parts = [`📄 steps from ${inlineCode(run.pipeline.source)} in this commit`];
  if (run.kind === 'deploy' && run.pipeline.deploy) {
    parts.push(`deploy: ${names(run.pipeline.deploy.steps)}`);
    if (run.pipeline.deploy.tests.length > 0) parts.push(`tests: ${names(run.pipeline.deploy.tests)}`);
    if (run.pipeline.destroy?.length) parts.push(`destroy: ${names(run.pipeline.destroy)}`);
  }
  return clamp(parts.join(' · '), 1000);
}

/** How many resources a plan row names; the rest are counted (the full plan is behind Plan logs). */
export const MAX_PLAN_RESOURCES_SHOWN = 8;
const PLAN_SIGN: Record<PlannedResource['action'], string> = { create: '+', update: '~', delete: '−', replace: '−/+' };

function planOf(lane: Lane): PlanDetails | undefined {
  for (const step of lane.steps) if (step.status === 'passed' && step.summary?.details?.format === 'terraform-plan') return step.summary.details;
  return undefined;
}

/**
 * One cloud's plan on the approval card: `📋 aws: +3 ~1 −0`, the resources by name (capped), and
 * what it destroys or replaces, highlighted. A plan still running or failed says so.
 */
export function planRow(lane: Lane): string {
  const name = `*${escapeMrkdwn(lane.name)}*`;
  const status = laneStatus(lane);
  if (lane.finishedAt === undefined && lane.error === undefined) {
    const step = lane.steps.find((s) => s.status === 'running');
    return `⏳ ${name}: planning${step ? ` — ${escapeMrkdwn(step.name)}` : ''}`;
  }
  const plan = planOf(lane);
  if (status !== 'passed' || !plan) {
    const failed = lane.steps.find((s) => s.status === 'failed' || s.status === 'interrupted' || s.status === 'cancelled');
    const why = laneProblem(lane) ?? (failed ? `${escapeMrkdwn(failed.name)}${failed.reason ? ` (${escapeMrkdwn(failed.reason)})` : ''}` : 'no step reported a plan');
    return `❌ ${name}: plan failed — ${why}`;
  }
  const lines = [`📋 ${name}: \`${planCounts(plan)}\`${plan.resourceCount === 0 ? ' — no changes' : ''}`];
  const shown = plan.resources.slice(0, MAX_PLAN_RESOURCES_SHOWN).map((r) => `${PLAN_SIGN[r.action]} ${inlineCode(clamp(r.address, 80))}`);
  if (shown.length > 0) lines.push(`      ${shown.join('  ')}${plan.resourceCount > shown.length ? `  +${plan.resourceCount - shown.length} more` : ''}`);
  const destroys = plan.resources.filter((r) => r.action === 'delete' || r.action === 'replace');
  if (destroys.length > 0 || plan.destroy > 0) {
    const named = destroys.slice(0, MAX_PLAN_RESOURCES_SHOWN).map((r) => `${inlineCode(clamp(r.address, 80))}${r.action === 'replace' ? ' (replaced)' : ''}`);
    lines.push(`      ⚠️ *destroys ${plan.destroy}*${named.length ? `: ${named.join(', ')}` : ''}${destroys.length > named.length ? ` +${destroys.length - named.length} more` : ''}`);
  }
  return lines.join('\n');
}

/** How many branch and tag names the card lists; the rest are counted. */
export const MAX_BRANCHES_SHOWN = 5;
const MAX_BRANCH_NAME = 60;

/**
 * Where the commit comes from, so the approver sees whether reviewed code holds it:
 * "on branches: `master`, `release-1` · tags: `v1.2` · +3 more". A commit on no branch says so.
 */
export function branchesNote(branches: string[] | undefined): string | undefined {
  if (!branches) return undefined;
  if (branches.length === 0) return '⚠️ on no branch or tag';
  const shown = branches.slice(0, MAX_BRANCHES_SHOWN);
  const name = (n: string) => inlineCode(clamp(n.replace(/\s+/g, ' '), MAX_BRANCH_NAME));
  const heads = shown.filter((b) => !b.startsWith('tag:')).map(name);
  const tags = shown.filter((b) => b.startsWith('tag:')).map((b) => name(b.slice('tag:'.length)));
  const parts: string[] = [];
  if (heads.length > 0) parts.push(`on ${heads.length === 1 ? 'branch' : 'branches'}: ${heads.join(', ')}`);
  if (tags.length > 0) parts.push(`${heads.length > 0 ? '' : 'on '}${tags.length === 1 ? 'tag' : 'tags'}: ${tags.join(', ')}`);
  if (branches.length > shown.length) parts.push(`+${branches.length - shown.length} more`);
  return parts.join(' · ');
}

function tails(lanes: Lane[], prefix: string): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  for (const lane of lanes) {
    const failed = lane.steps.find((s) => (s.status === 'failed' || s.status === 'interrupted') && s.tail && s.tail.length > 0);
    if (!failed?.tail) continue;
    blocks.push(context([`${prefix}last lines of *${escapeMrkdwn(lane.name)}: ${escapeMrkdwn(failed.name)}*:`]));
    blocks.push(section(codeBlock(failed.tail.join('\n'))));
  }
  return blocks;
}

/**
 * A deploy's one card, from request to destroy: the approval request with its buttons; then,
 * stamped with the decision, a row per cloud with its test suites; the verdict; the failing steps'
 * last lines; Destroy / Redeploy / Logs; and the destroy's own rows once it is asked for.
 */
export function renderDeployCard(run: Run, options: DeployCardOptions = {}): Message {
  const now = options.now ?? Date.now();
  const clouds = run.laneNames.join(', ');
  const blocks: KnownBlock[] = [];
  const decision = run.decision;
  const status = decision?.state === 'approved' ? runStatus(run) : undefined;
  const icon = !decision ? '🚀' : decision.state === 'approved' ? STATUS_ICON[status!] : decision.state === 'rejected' ? '🚫' : '⌛';
  blocks.push(header(`${icon} Deploy ${shortSha(run.sha)} to ${clouds} · ${run.id}`));
  const subject = run.subject ? `*${escapeMrkdwn(clamp(run.subject, 200))}*\n` : '';
  blocks.push(
    section(
      `${subject}${mention(run.requestedBy)} asks to deploy \`${shortSha(run.sha)}\`${run.ref !== run.sha && !run.sha.startsWith(run.ref) ? ` (${inlineCode(run.ref)})` : ''} by ${escapeMrkdwn(run.author || 'unknown')} to ${run.laneNames.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')}`,
    ),
  );
  const where = branchesNote(run.branches);
  if (where) blocks.push(context([where]));
  if (run.reason) blocks.push(context([`💬 ${escapeMrkdwn(clamp(run.reason.replace(/\s+/g, ' '), 300))}`]));
  if (run.rollbackFrom) blocks.push(context([`↩️ rollback of ${run.laneNames.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')} from \`${shortSha(run.rollbackFrom)}\` to the commit live before it`]));
  if (run.forced) blocks.push(context([`⚠️ forced by ${mention(run.requestedBy)} with \`--force\`: no passed build of this commit (\`deploy.requireGreenBuild\`)`]));
  const source = pipelineSourceNote(run);
  if (source) blocks.push(context([source]));
  const suites = run.pipeline ? (run.pipeline.deploy?.tests ?? []).map((t) => t.name) : options.testSuites;
  const note = [testsNote(run, suites), lifetimeNote(run, now)].filter(Boolean).join(' · ');

  if (!decision) {
    const expires = run.approvalExpiresAt ? `expires at ${clock(run.approvalExpiresAt, now)}` : '';
    const plans = run.planLanes ?? [];
    const planning = plans.some((l) => l.finishedAt === undefined && l.error === undefined);
    const planFailed = plans.filter((l) => (l.finishedAt !== undefined || l.error !== undefined) && (laneStatus(l) !== 'passed' || planOf(l) === undefined));
    if (plans.length > 0) blocks.push(...linesToSections(plans.map(planRow)));
    const waiting = planning ? '⏳ Planning: Approve comes once every cloud has its plan' : planFailed.length > 0 ? '❌ A plan failed: there is nothing to approve (Reject, fix it, ask again)' : 'Waiting for an approver';
    blocks.push(context([[waiting, expires, note].filter(Boolean).join(' · ')]));
    const approvals = approvalsNote(run, options.requiredApprovals);
    if (approvals) blocks.push(context([approvals]));
    const approvable = !planning && planFailed.length === 0;
    const elements = [...(approvable ? [button('Approve', ACTION.approve, run.id, 'primary')] : []), button('Reject', ACTION.reject, run.id, 'danger')];
    for (const lane of plans.filter((l) => l.startedAt !== undefined && (l.finishedAt !== undefined || l.error !== undefined)).slice(0, 10)) elements.push(button(`Plan logs: ${lane.name}`, ACTION.logs, `${run.id}|${lane.name}|plan`));
    blocks.push({ type: 'actions', block_id: `approval:${run.id}`, elements });
    return { text: clamp(`Deploy request ${run.id}: ${shortSha(run.sha)} to ${clouds}, waiting for approval`, LIMITS.fallbackText), blocks: capBlocks(blocks) };
  }

  if (decision.state !== 'approved') {
    const stamp = decision.state === 'rejected' ? `🚫 Rejected by ${mention(decision.by ?? 'unknown')} at ${clock(decision.at, now)}` : `⌛ Expired at ${clock(decision.at, now)}: nothing was deployed`;
    blocks.push(context([stamp]));
    return { text: clamp(`Deploy ${run.id} to ${clouds}: ${decision.state}`, LIMITS.fallbackText), blocks: capBlocks(blocks) };
  }

  const approvedBy = decision.approvers?.length ? decision.approvers.slice(0, 10).map(mention).join(', ') : mention(decision.by ?? 'unknown');
  const boundTo = decision.planDigests ? `📋 plans ${Object.entries(decision.planDigests).map(([c, d]) => `${escapeMrkdwn(c)} \`${d.slice(0, 8)}\``).join(', ')}` : '';
  blocks.push(context([[`✅ Approved by ${approvedBy} at ${clock(decision.at, now)}`, boundTo, note].filter(Boolean).join(' · ')]));
  blocks.push(...linesToSections(run.lanes.map((l) => cloudRow(l, now))));
  const started = runStartedAt(run);
  const finished = runFinishedAt(run);
  const elapsed = started !== undefined ? formatDuration((finished ?? now) - started) : undefined;
  const word = status === 'queued' ? 'waiting for a worker' : status === 'running' ? `running${elapsed ? ` for ${elapsed}` : ''}` : `*${STATUS_WORD[status!]}*${elapsed ? ` in ${elapsed}` : ''}`;
  blocks.push(section(`${run.lanes.filter((l) => l.finishedAt || l.error).length}/${run.lanes.length} clouds done  ·  ${word}`));
  const deployDone = lanesDone(run.lanes);
  if (deployDone) blocks.push(...tails(run.lanes, ''));

  if (run.destroy) {
    const lanes = run.destroyLanes ?? [];
    const destroyDone = lanes.length > 0 && lanesDone(lanes);
    const failed = lanes.some((l) => laneStatus(l) !== 'passed');
    const verdict = !destroyDone ? 'running' : failed ? '*destroy failed*' : '*destroyed*';
    const seconded = run.destroy.confirmedBy?.length ? ` with ${run.destroy.confirmedBy.map(mention).join(', ')}` : '';
    const who = run.destroy.expired ? `🧨 Destroyed automatically, its lifetime over, at ${clock(run.destroy.at, now)}` : `🧨 Destroy requested by ${mention(run.destroy.by)}${seconded} at ${clock(run.destroy.at, now)}`;
    blocks.push(section(`${who}: ${verdict}`));
    blocks.push(...linesToSections(lanes.map((l) => cloudRow(l, now))));
    if (destroyDone) blocks.push(...tails(lanes, 'destroy: '));
  }

  if (run.cancelledBy) blocks.push(context([`🚫 cancelled by ${mention(run.cancelledBy)}`]));
  const pendingDestroy = options.destroyConfirm ? pendingDestroyNote(run, options.destroyConfirm.ttlMs, options.destroyConfirm.required, now) : undefined;
  if (pendingDestroy) blocks.push(context([pendingDestroy]));
  const actions: Button[] = [];
  const destroyRunning = run.destroy !== undefined && !lanesDone(run.destroyLanes ?? []);
  if (!run.cancelledBy && (!deployDone || destroyRunning)) {
    actions.push(button('Cancel', ACTION.cancel, run.id, 'danger', confirmDialog(`Cancel ${run.id}?`, `Stops every running step of ${run.id} now. Resources already created stay until destroyed.`, 'Cancel run')));
  }
  // An ephemeral deploy destroys itself: its Destroy is only for the clouds whose teardown failed.
  const destroyable = run.ephemeral ? run.lanes.some(needsCleanup) : run.lanes.some((l) => l.startedAt !== undefined);
  const destroyConfigured = run.pipeline ? (run.pipeline.destroy?.length ?? 0) > 0 : options.destroyConfigured;
  if (deployDone && destroyConfigured && !run.destroy && destroyable) {
    // No confirm dialog: the button opens a modal where the person types the cloud names.
    actions.push(button('Destroy', ACTION.destroy, run.id, 'danger'));
  }
  if (deployDone) actions.push(button('Redeploy', ACTION.redeploy, run.id));
  if (deployDone) {
    for (const lane of run.lanes.filter((l) => l.startedAt !== undefined).slice(0, 10)) actions.push(button(`Logs: ${lane.name}`, ACTION.logs, `${run.id}|${lane.name}|run`));
  }
  if (run.destroy && lanesDone(run.destroyLanes ?? [])) {
    for (const lane of (run.destroyLanes ?? []).slice(0, 10)) actions.push(button(`Destroy logs: ${lane.name}`, ACTION.logs, `${run.id}|${lane.name}|destroy`));
  }
  const footer = context([`run ${run.id} · requested ${new Date(run.createdAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`]);
  const capped = capBlocks(blocks, LIMITS.blocksPerMessage - (actions.length > 0 ? 2 : 1));
  if (actions.length > 0) capped.push({ type: 'actions', block_id: `deploy:${run.id}`, elements: actions.slice(0, 25) });
  capped.push(footer);
  const overall = run.destroy ? (lanesDone(run.destroyLanes ?? []) ? 'destroyed' : 'destroying') : STATUS_WORD[status!];
  return { text: clamp(`Deploy ${run.id} of ${shortSha(run.sha)} to ${clouds}: ${overall}`, LIMITS.fallbackText), blocks: capped };
}
