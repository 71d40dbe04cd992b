import { newLane, runStatus } from '../runs/run.js';
import { ApolloError, ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { mention } from '../../views/mention.js';
import { hhmm } from '../../views/lock-message.js';
import type { DecisionOutcome } from './decide-deploy.js';
import { audit } from '../audit/record.js';
import { clickedInRunChannel, WRONG_CHANNEL } from '../access/run-channel.js';

/**
 * The Destroy button: allowed to `access.destroyers` (default the approvers), once per deploy, for
 * each cloud the deploy touched (a failed apply may still have created resources).
 */
export async function destroyDeploy(services: Services, runId: string, user: string, channel?: string): Promise<DecisionOutcome> {
  const { runs, config, access, deployFlow, notifier } = services;
  const run = await runs.get(runId);
  if (!run || run.kind !== 'deploy') return { ok: false, text: 'This deploy no longer exists.' };
  if (!clickedInRunChannel(run, channel)) return { ok: false, text: WRONG_CHANNEL };
  if (!config.destroy) return { ok: false, text: 'No destroy pipeline is configured (`destroy:` in apollo.yml).' };
  if (run.destroy) return { ok: false, text: `Destroy was already started by ${mention(run.destroy.by)} at ${hhmm(run.destroy.at)}.` };
  if (run.decision?.state !== 'approved') return { ok: false, text: 'This deploy never ran; there is nothing to destroy.' };
  const status = runStatus(run);
  if (status === 'running' || status === 'queued') return { ok: false, text: 'The deploy is still running; wait for it to finish (or cancel it) before destroying.' };
  if (!(await access.allows(config.access.destroyers ?? config.access.approvers, user))) {
    return { ok: false, text: 'Only destroyers (`access.destroyers`, default the approvers) can destroy environments.' };
  }
  const started = run.lanes.filter((l) => l.startedAt !== undefined).map((l) => l.name);
  if (started.length === 0) return { ok: false, text: 'No cloud was deployed; there is nothing to destroy.' };
  // A newer deploy to the same cloud owns its state now: an old card's Destroy must not touch it.
  const clouds: string[] = [];
  const taken: string[] = [];
  for (const cloud of started) {
    const current = await services.cloudState.current(cloud);
    if (current === runId) clouds.push(cloud);
    else taken.push(`*${cloud}* (${current ? `now run \`${current}\`` : 'already destroyed'})`);
  }
  if (clouds.length === 0) return { ok: false, text: `Nothing of ${runId} is left to destroy: ${taken.join(', ')}. Destroy from the newer run's card.` };
  const stepNames = config.destroy.steps.map((s) => s.name);
  const won = await runs.startDestroy(runId, { by: user, at: Date.now(), laneNames: clouds }, clouds.map((c) => newLane(c, stepNames)));
  if (!won) return { ok: false, text: 'Destroy was already started; nothing changed.' };
  try {
    await deployFlow.add(runId, 'destroy', clouds);
  } catch (err) {
    // Undo, so the button works again once the queue is back: a destroy must never be lost silently.
    await runs.undoDestroy(runId, clouds);
    throw new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable; nothing was destroyed. Click Destroy again in a minute.', { cause: err });
  }
  await audit(services, { action: 'destroy.requested', by: user, runId, commit: run.sha, clouds });
  notifier.refresh(runId);
  return taken.length > 0 ? { ok: true, text: `Destroying ${clouds.join(', ')}; not ${taken.join(', ')}.` } : { ok: true };
}
