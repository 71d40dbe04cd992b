import { shortSha } from '../src/git/ref.js';
import { formatDuration } from '../src/config/duration.js';
import type { BuildStart } from '../src/actions/request-build.js';
import type { CancelOutcome } from '../src/actions/cancel-run.js';
import type { DecisionOutcome } from '../src/actions/decide-deploy.js';
import type { DestroyOutcome, TakenCloud } from '../src/actions/destroy-deploy.js';
import type { LockOutcome, UnlockOutcome } from '../src/actions/lock-cloud.js';
import type { RedeployOutcome } from '../src/actions/redeploy.js';
import type { ExtendOutcome } from '../src/actions/extend-keep.js';
import type { UploadLogOutcome } from '../src/actions/upload-log.js';
import type { RollbackOutcome } from '../src/actions/rollback.js';
import type { ConfirmDestroyOutcome } from '../src/actions/confirm-destroy.js';
import { escapeMrkdwn } from './limits.js';
import { clock } from './clock.js';
import { lockMessage } from './lock-message.js';
import { mention } from './mention.js';
import { errorLines } from './error-text.js';

/**
 * The words for what an action did, for the person who asked (always an ephemeral message).
 * `refused` answers get the no-entry sign; `text` undefined means the card says it all.
 */
export interface Answer {
  refused: boolean;
  text?: string;
}

const WRONG_CHANNEL = 'That button belongs to a run of another channel; act on it from its own card. Nothing changed.';

const ok = (text?: string): Answer => (text === undefined ? { refused: false } : { refused: false, text });
const no = (text: string): Answer => ({ refused: true, text });

/** A click on a button no handler knows (an old card's, or a forged action id). */
export const UNKNOWN_BUTTON = ':warning: That button is not one I know (an old card?). Nothing changed.';

/** The text of an answer as sent: refusals marked. */
export function answerText(answer: Answer): string | undefined {
  if (answer.text === undefined) return undefined;
  return answer.refused ? `:no_entry: ${answer.text}` : answer.text;
}

export function decisionAnswer(outcome: DecisionOutcome): Answer {
  switch (outcome.kind) {
    case 'decided':
      return ok();
    case 'approval-counted': {
      const waiting = outcome.quorum.filter((q) => q.counted.length < q.needed);
      return ok(`Your approval is counted. Still needed: ${waiting.map((q) => `*${escapeMrkdwn(q.cloud)}* ${q.needed - q.counted.length} more (${q.counted.length}/${q.needed})`).join(', ')}; another approver, not the requester, must approve.`);
    }
    case 'already-approved':
      return no('You have already approved this request; the next approval must come from someone else.');
    case 'gone':
      return no('This deploy request no longer exists.');
    case 'wrong-channel':
      return no(WRONG_CHANNEL);
    case 'already-decided':
      return no(`This request was already ${outcome.state}${outcome.by ? ` by ${mention(outcome.by)}` : ''}${outcome.at !== undefined ? ` at ${clock(outcome.at)}` : ''}; nothing changed.`);
    case 'expired':
      return no(`This request expired at ${clock(outcome.at)}; ask again with \`/apollo deploy\`.`);
    case 'not-approver':
      return no("Only approvers of these clouds (`clouds.<name>.approvers`, default `access.approvers`) can approve or reject this deploy.");
    case 'plan-pending':
      return no('The plans are still running; Approve works once every cloud has its plan on the card.');
    case 'plan-failed':
      return no(`The plan failed for ${outcome.clouds.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')}: there is nothing to approve. Fix it and ask again with \`/apollo deploy\`.`);
    case 'self-approval':
      return no('You cannot approve your own deploy (and never where it needs more than one approval); ask another approver.');
    case 'cannot-start':
      return no(errorLines(outcome.error));
  }
}

function takenList(taken: TakenCloud[]): string {
  return taken.map((t) => `*${escapeMrkdwn(t.cloud)}* (${t.currentRunId ? `now run \`${t.currentRunId}\`` : 'already destroyed'})`).join(', ');
}

export function destroyAnswer(outcome: DestroyOutcome): Answer {
  switch (outcome.kind) {
    case 'destroying':
      return outcome.taken.length > 0 ? ok(`Destroying ${outcome.clouds.join(', ')}; not ${takenList(outcome.taken)}.`) : ok();
    case 'gone':
      return no('This deploy no longer exists.');
    case 'wrong-channel':
      return no(WRONG_CHANNEL);
    case 'not-configured':
      return no('No destroy pipeline is configured (`destroy:` in apollo.yml).');
    case 'already-started':
      return no(outcome.by && outcome.at !== undefined ? `Destroy was already started by ${mention(outcome.by)} at ${clock(outcome.at)}.` : 'Destroy was already started; nothing changed.');
    case 'never-ran':
      return no('This deploy never ran; there is nothing to destroy.');
    case 'still-running':
      return no('The deploy is still running; wait for it to finish (or cancel it) before destroying.');
    case 'not-destroyer':
      return no(`Only destroyers of ${outcome.clouds.map((c) => `*${escapeMrkdwn(c)}*`).join(', ')} (\`clouds.<name>.destroyers\`, default \`access.destroyers\`, else the approvers) can destroy it.`);
    case 'nothing-deployed':
      return no('No cloud was deployed; there is nothing to destroy.');
    case 'nothing-left':
      return no(`Nothing of ${outcome.runId} is left to destroy: ${takenList(outcome.taken)}. Destroy from the newer run's card.`);
  }
}

/** The destroy modal, submitted: the words for the person (a wrong name is said in the modal itself). */
export function confirmDestroyAnswer(outcome: ConfirmDestroyOutcome): Answer {
  switch (outcome.kind) {
    case 'wrong-name':
      return no(wrongNameText(outcome.expected));
    case 'needs-more': {
      const expired = outcome.expired.length > 0 ? ` (the earlier request by ${outcome.expired.map((v) => mention(v.by)).join(', ')} expired at ${clock(Math.max(...outcome.expired.map((v) => v.expiresAt)))}, so yours counts as the first)` : '';
      return ok(`Your confirmation is counted (${outcome.have} of ${outcome.required} destroyers)${expired}. Nothing runs until another destroyer confirms.`);
    }
    case 'same-destroyer':
      return no('You have already confirmed this destroy; the next confirmation must come from another destroyer.');
    default:
      return destroyAnswer(outcome);
  }
}

/** What the destroy modal says when the typed names are not the clouds'. */
export function wrongNameText(expected: string[]): string {
  return `That is not ${expected.length > 1 ? 'the names of the clouds' : 'the name of the cloud'} this destroys: type ${expected.join(', ')}. Nothing was destroyed.`;
}

export function cancelAnswer(outcome: CancelOutcome): Answer {
  switch (outcome.kind) {
    case 'cancelling':
      return ok(`Cancelling run \`${outcome.runId}\`: running steps are being stopped.`);
    case 'withdrawn':
      return ok(`Deploy request \`${outcome.runId}\` withdrawn.`);
    case 'unknown-run':
      return no(`There is no run \`${outcome.runId}\`.`);
    case 'wrong-channel':
      return no(WRONG_CHANNEL);
    case 'already-cancelled':
      return no(`Run \`${outcome.runId}\` was already cancelled${outcome.by ? ` by ${mention(outcome.by)}` : ''}.`);
    case 'finished':
      return no(`Run \`${outcome.runId}\` has already finished; nothing to cancel.`);
    case 'not-allowed':
      return no(outcome.runKind === 'build' ? 'Only the requester, a builder or an approver can cancel this build.' : 'Only the requester or an approver can cancel this run.');
    case 'decided-meanwhile':
      return no('This request was decided meanwhile; nothing changed.');
  }
}

export function uploadLogAnswer(outcome: UploadLogOutcome): Answer {
  switch (outcome.kind) {
    case 'uploaded':
      return ok();
    case 'gone':
      return no('This run no longer exists.');
    case 'wrong-channel':
      return no(WRONG_CHANNEL);
    case 'not-reader':
      return no(`Only ${outcome.runKind === 'build' ? 'builders' : 'deployers'} and approvers can read run logs.`);
    case 'no-log':
      return no(`No log is kept for ${escapeMrkdwn(outcome.lane)} of run ${outcome.runId} (logs are kept ${formatDuration(outcome.retentionMs)}, and only once a cloud has finished).`);
  }
}

export function redeployAnswer(outcome: RedeployOutcome): Answer {
  switch (outcome.kind) {
    case 'requested':
      return ok(
        outcome.cardError
          ? `Deploy request \`${outcome.runId}\` is recorded, but I could not post its card here (${escapeMrkdwn(outcome.cardError)}). Invite me with \`/invite @apollo\` and ask again.`
          : `New deploy request \`${outcome.runId}\` posted; it needs an approval.`,
      );
    case 'gone':
      return no('This deploy no longer exists.');
    case 'wrong-channel':
      return no(WRONG_CHANNEL);
  }
}

export function rollbackAnswer(outcome: RollbackOutcome): Answer {
  switch (outcome.kind) {
    case 'requested':
      return ok(
        outcome.cardError
          ? `Rollback request \`${outcome.runId}\` is recorded, but I could not post its card here (${escapeMrkdwn(outcome.cardError)}). Invite me with \`/invite @apollo\` and ask again.`
          : `Rollback of *${escapeMrkdwn(outcome.cloud)}* from \`${shortSha(outcome.from)}\` to \`${shortSha(outcome.to)}\` requested as \`${outcome.runId}\`; it needs an approval.`,
      );
    case 'nothing-live':
      return no(`Nothing is deployed on *${escapeMrkdwn(outcome.cloud)}* now; there is nothing to roll back.`);
    case 'no-previous':
      return no(`*${escapeMrkdwn(outcome.cloud)}* has no earlier passed deploy of another commit than \`${shortSha(outcome.live)}\` in its history (\`/apollo history ${escapeMrkdwn(outcome.cloud)}\`).`);
  }
}

export function extendAnswer(outcome: ExtendOutcome): Answer {
  switch (outcome.kind) {
    case 'extended':
      return ok(`Extended: it is now destroyed automatically at ${clock(outcome.until)}.`);
    case 'gone':
      return no('This deploy no longer exists.');
    case 'wrong-channel':
      return no(WRONG_CHANNEL);
    case 'not-kept':
      return no('This deploy has no lifetime to extend any more (it was destroyed, or newer deploys took its clouds).');
    case 'not-allowed':
      return no('Only the requester, the approvers and the destroyers can extend a deploy.');
    case 'at-most':
      return no(`It already lives until ${clock(outcome.until)}; nothing lives more than ${formatDuration(outcome.maxMs)} from now (\`deploy.maxKeep\`).`);
  }
}

export function lockAnswer(outcome: LockOutcome): string {
  return outcome.kind === 'locked'
    ? `:lock: *${escapeMrkdwn(outcome.cloud)}* is locked by you: ${escapeMrkdwn(outcome.reason)}. \`/apollo unlock ${escapeMrkdwn(outcome.cloud)}\` frees it.`
    : `${lockMessage(outcome.cloud, 'sticky', outcome.holder)}; not changed.`;
}

export function unlockAnswer(outcome: UnlockOutcome): Answer {
  switch (outcome.kind) {
    case 'unlocked':
      return ok(`:unlock: *${escapeMrkdwn(outcome.cloud)}* is unlocked (was locked by ${mention(outcome.was.owner)} since ${clock(outcome.was.since)}).`);
    case 'not-locked':
      return ok(`*${escapeMrkdwn(outcome.cloud)}* has no lock.`);
    case 'not-owner':
      return no(`${lockMessage(outcome.cloud, 'sticky', outcome.holder)}. Only its owner or an approver can unlock it.`);
  }
}

/** The gate's **Build it now**: the build's card says the rest. */
export function buildNowAnswer(started: BuildStart): Answer {
  return ok(buildStartText(started) ?? `Build \`${started.runId}\` of \`${shortSha(started.sha)}\` started; ask for the deploy again once it passed.`);
}

/** What `/apollo build` says besides the card: nothing, unless it was a duplicate or the card failed. */
export function buildStartText(started: BuildStart): string | undefined {
  if (started.status === 'duplicate') {
    return `:repeat: ${shortSha(started.sha)} is already queued or running in this channel as run \`${started.runId}\`; not starting it twice.`;
  }
  if (started.cardError) {
    return `Run \`${started.runId}\` is queued, but I could not post its card here (${escapeMrkdwn(started.cardError)}). Invite me with \`/invite @apollo\`.`;
  }
  return undefined;
}
