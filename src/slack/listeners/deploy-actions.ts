import type { App, BlockAction, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import { decideDeploy, type DecideDeployDeps } from '../../actions/decide-deploy.js';
import type { DestroyDeployDeps } from '../../actions/destroy-deploy.js';
import { prepareDestroy, type ConfirmDestroyDeps } from '../../actions/confirm-destroy.js';
import { renderDestroyModal } from '../../../views/destroy-modal.js';
import { redeploy, type RedeployDeps } from '../../actions/redeploy.js';
import { uploadLog, type UploadLogDeps } from '../../actions/upload-log.js';
import { cancelRun, type CancelRunDeps } from '../../actions/cancel-run.js';
import { UNKNOWN_BUTTON, answerText, cancelAnswer, decisionAnswer, destroyAnswer, extendAnswer, redeployAnswer, uploadLogAnswer, buildNowAnswer, type Answer } from '../../../views/outcomes.js';
import { extendKeep, type ExtendKeepDeps } from '../../actions/extend-keep.js';
import { requestBuild, type RequestBuildDeps } from '../../actions/request-build.js';
import type { RequesterPolicy } from '../../access/requester-policy.js';
import type { Redactor } from '../../redaction/redactor.js';
import type { Logger } from '../../logger.js';
import { ApolloError, ErrorCode, isApolloError, isRedisUnavailable } from '../../errors.js';
import { errorText } from '../../../views/error-text.js';
import { formatIssues } from '../../config/issues.js';
import { ACTION } from '../../../views/actions.js';
import { actionRequester } from '../../access/requester-policy.js';
import { refusalText } from '../../../views/refusal.js';
import type { SlackPoster } from '../slack-poster.js';
import type { Config } from '../../config/schema.js';
import { renderDeployModal } from '../../../views/deploy-modal.js';
import { deployModalOptions } from '../../../commands/deploy.js';

const TriggerId = z.string().min(1).max(255);
const FullSha = z.string().regex(/^[0-9a-f]{40}$/, 'expected a full commit SHA');
const RunId = z.string().regex(/^[bd]\d{1,12}$/, 'expected a run id');

/** The fields of a block_actions payload the handlers use, checked before anything acts on them. */
const ActionPayload = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a user id') }),
  actions: z
    .array(z.object({ action_id: z.string().max(255), value: z.string().max(2000) }))
    .length(1, 'expected exactly one action'),
});

const LogsValue = z
  .string()
  .regex(/^[bd]\d{1,12}\|[a-z0-9][a-z0-9_-]{0,30}\|(run|destroy|plan)$/, 'expected run|cloud|phase')
  .transform((v) => {
    const [runId, lane, phase] = v.split('|') as [string, string, 'run' | 'destroy' | 'plan'];
    return { runId, lane, phase };
  });

function parsePayload(body: unknown): { user: string; value: string } {
  const result = ActionPayload.safeParse(body);
  if (!result.success) throw new ApolloError(ErrorCode.PayloadInvalid, 'That button press could not be read.', { details: formatIssues(result.error) });
  return { user: result.data.user.id, value: result.data.actions[0]!.value };
}

/** Who clicked, where: every button acts, so every click passes the requester policy first. */
interface Click {
  user: string;
  value: string;
  /** The channel the card was in: actions refuse clicks from outside the run's own channel (none on the App Home). */
  channel?: string;
}

function parseValue<T>(schema: z.ZodType<T>, value: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApolloError(ErrorCode.PayloadInvalid, 'That button does not belong to a run I know.');
  return result.data;
}

/** What the buttons use: the actions' own dependencies, the requester policy, and how to answer. */
export type DeployActionsDeps = DecideDeployDeps &
  DestroyDeployDeps &
  ConfirmDestroyDeps &
  CancelRunDeps &
  UploadLogDeps &
  RedeployDeps &
  ExtendKeepDeps &
  RequestBuildDeps & { requesters: Pick<RequesterPolicy, 'checkActor'>; redactor: Pick<Redactor, 'redact' | 'redactDeep'>; logger: Logger; slack: UploadLogDeps['slack'] & Pick<SlackPoster, 'postMessage'>; config: Config };

async function answer(deps: DeployActionsDeps, respond: RespondFn, outcome: Answer, home?: string): Promise<void> {
  const text = answerText(outcome);
  if (!text) return;
  // A click on the App Home has no response_url: the answer goes to the person's messages with the app.
  if (home) await deps.slack.postMessage(home, { text, blocks: [] });
  else await respond({ response_type: 'ephemeral', replace_original: false, text: deps.redactor.redact(text) });
}

/** The App Home's clicks come from a view of the person's own, not a channel: the user id, else undefined. */
function homeOf(body: unknown): string | undefined {
  const b = body as { container?: { type?: unknown }; user?: { id?: unknown } };
  return b.container?.type === 'view' && typeof b.user?.id === 'string' ? b.user.id : undefined;
}

/**
 * Buttons on deploy cards. Each handler acks at once, then authorises the clicker (not the message)
 * and acts; every refusal or problem is a private answer and changes nothing.
 */
export function registerDeployActions(app: App, services: DeployActionsDeps): void {
  const handle = (actionId: string, act: (click: Click) => Promise<Answer>) => {
    app.action<BlockAction>(actionId, async ({ ack, body, respond }) => {
      await ack();
      try {
        const { user, value } = parsePayload(body);
        const requester = actionRequester(body as unknown as Record<string, unknown>);
        const home = homeOf(body);
        const refusal = await services.requesters.checkActor(requester);
        if (refusal) {
          if (home) await services.slack.postMessage(home, { text: refusalText(refusal), blocks: [] });
          else await respond({ response_type: 'ephemeral', replace_original: false, text: refusalText(refusal) });
          return;
        }
        // On the App Home, the bot listed the request for this person: no channel to check it against.
        await answer(services, respond, await act({ user, value, ...(home ? {} : { channel: requester.channelId }) }), home);
      } catch (caught) {
        const err = isRedisUnavailable(caught)
          ? new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable (Redis is not answering); nothing changed. Try again in a minute.')
          : caught;
        if (!isApolloError(err)) services.logger.error({ err, actionId }, 'button handler failed');
        const home = homeOf(body);
        if (home) await services.slack.postMessage(home, { text: errorText(err), blocks: [] }).catch(() => undefined);
        else await respond({ response_type: 'ephemeral', replace_original: false, text: services.redactor.redact(errorText(err)) }).catch(() => undefined);
      }
    });
  };

  handle(ACTION.approve, async ({ user, value, channel }) => decisionAnswer(await decideDeploy(services, parseValue(RunId, value), user, 'approve', channel)));
  handle(ACTION.reject, async ({ user, value, channel }) => decisionAnswer(await decideDeploy(services, parseValue(RunId, value), user, 'reject', channel)));
  // Destroy opens a modal (the person types the cloud names); its submission is destroy-modal.ts.
  app.action<BlockAction>(ACTION.destroy, async ({ ack, body, respond, client }) => {
    await ack();
    try {
      const { user, value } = parsePayload(body);
      const requester = actionRequester(body as unknown as Record<string, unknown>);
      const refusal = await services.requesters.checkActor(requester);
      if (refusal) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: refusalText(refusal) });
        return;
      }
      const prompt = await prepareDestroy(services, parseValue(RunId, value), user, requester.channelId);
      if (prompt.kind !== 'confirm') {
        await answer(services, respond, destroyAnswer(prompt));
        return;
      }
      const triggerId = TriggerId.parse((body as { trigger_id?: unknown }).trigger_id);
      await client.views.open({ trigger_id: triggerId, view: services.redactor.redactDeep(renderDestroyModal(prompt, requester.channelId)) });
    } catch (caught) {
      const err = isRedisUnavailable(caught) ? new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable (Redis is not answering); nothing changed. Try again in a minute.') : caught;
      if (!isApolloError(err)) services.logger.error({ err, actionId: ACTION.destroy }, 'button handler failed');
      await respond({ response_type: 'ephemeral', replace_original: false, text: services.redactor.redact(errorText(err)) }).catch(() => undefined);
    }
  });
  handle(ACTION.cancel, async ({ user, value, channel }) => cancelAnswer(await cancelRun(services, parseValue(RunId, value), user, channel)));
  handle(ACTION.logs, async ({ user, value, channel }) => {
    const { runId, lane, phase } = parseValue(LogsValue, value);
    return uploadLogAnswer(await uploadLog(services, runId, lane, phase, user, channel));
  });
  handle(ACTION.redeploy, async ({ user, value, channel }) => redeployAnswer(await redeploy(services, parseValue(RunId, value), user, channel)));
  handle(ACTION.buildNow, async ({ user, value, channel }) => {
    if (!channel) throw new ApolloError(ErrorCode.UsageInvalid, 'Build it now works in a channel, where its card goes.');
    return buildNowAnswer(await requestBuild(services, { ref: parseValue(FullSha, value), requestedBy: user, channel }));
  });
  handle(ACTION.extend, async ({ user, value, channel }) => extendAnswer(await extendKeep(services, parseValue(RunId, value), user, channel)));

  // The App Home's "Request a deploy": the deploy form, whose card goes to the configured channel.
  app.action<BlockAction>(ACTION.deployForm, async ({ ack, body, client }) => {
    await ack();
    const user = (body as { user?: { id?: string } }).user?.id ?? '';
    const tell = (text: string) => services.slack.postMessage(user, { text, blocks: [] }).catch((err: unknown) => services.logger.warn({ err }, 'could not answer on the App Home'));
    try {
      const { user: clicker } = parsePayload(body);
      const refusal = await services.requesters.checkActor(actionRequester(body as unknown as Record<string, unknown>));
      if (refusal) return void (await tell(refusalText(refusal)));
      if (!(await services.access.allows(services.config.access.deployers, clicker))) return void (await tell(':no_entry: You are not allowed to request deploys (`access.deployers`).'));
      const channel = services.config.channel;
      if (!channel) return void (await tell(':warning: No channel is configured for deploy cards (`channel` in apollo.yml): use `/apollo deploy` in a channel.'));
      const triggerId = TriggerId.parse((body as { trigger_id?: unknown }).trigger_id);
      await client.views.open({ trigger_id: triggerId, view: renderDeployModal(deployModalOptions(services.config, channel)) });
    } catch (err) {
      if (!isApolloError(err)) services.logger.error({ err }, 'could not open the deploy form');
      await tell(errorText(err));
    }
  });

  // Anything else (an old card's button, a forged action id) gets an answer instead of a timeout.
  const known = new Set<string>(Object.values(ACTION));
  app.action<BlockAction>({ action_id: new RegExp(`^(?!(${[...known].join('|')})$).*`) }, async ({ ack, respond }) => {
    await ack();
    await respond({ response_type: 'ephemeral', replace_original: false, text: UNKNOWN_BUTTON }).catch(() => undefined);
  });
}
