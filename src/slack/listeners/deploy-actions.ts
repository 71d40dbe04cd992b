import type { App, BlockAction, RespondFn } from '@slack/bolt';
import { z } from 'zod';
import { decideDeploy, type DecisionOutcome } from '../../actions/decide-deploy.js';
import { destroyDeploy } from '../../actions/destroy-deploy.js';
import { requestDeploy } from '../../actions/request-deploy.js';
import { uploadLog } from '../../actions/upload-log.js';
import { cancelRun } from '../../actions/cancel-run.js';
import { ApolloError, ErrorCode, isApolloError, userMessage } from '../../errors.js';
import { formatIssues } from '../../config/issues.js';
import { isRedisUnavailable } from '../../redis/connection.js';
import type { Services } from '../../services.js';
import { ACTION } from '../../../views/actions.js';
import { actionRequester } from '../../access/requester-policy.js';
import { refusalText } from '../../../views/refusal.js';
import { clickedInRunChannel, WRONG_CHANNEL } from '../../access/run-channel.js';

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
  .regex(/^[bd]\d{1,12}\|[a-z0-9][a-z0-9_-]{0,30}\|(run|destroy)$/, 'expected run|cloud|phase')
  .transform((v) => {
    const [runId, lane, phase] = v.split('|') as [string, string, 'run' | 'destroy'];
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
  /** The channel the card was in: actions refuse clicks from outside the run's own channel. */
  channel: string;
}

function parseValue<T>(schema: z.ZodType<T>, value: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApolloError(ErrorCode.PayloadInvalid, 'That button does not belong to a run I know.');
  return result.data;
}

async function answer(services: Services, respond: RespondFn, outcome: DecisionOutcome): Promise<void> {
  if (!outcome.text) return;
  const text = outcome.ok ? outcome.text : `:no_entry: ${outcome.text}`;
  await respond({ response_type: 'ephemeral', replace_original: false, text: services.redactor.redact(text) });
}

/**
 * Buttons on deploy cards. Each handler acks at once, then authorises the clicker (not the message)
 * and acts; every refusal or problem is a private answer and changes nothing.
 */
export function registerDeployActions(app: App, services: Services): void {
  const handle = (actionId: string, act: (click: Click) => Promise<DecisionOutcome>) => {
    app.action<BlockAction>(actionId, async ({ ack, body, respond }) => {
      await ack();
      try {
        const { user, value } = parsePayload(body);
        const requester = actionRequester(body as unknown as Record<string, unknown>);
        const refusal = await services.requesters.checkActor(requester);
        if (refusal) {
          await respond({ response_type: 'ephemeral', replace_original: false, text: refusalText(refusal) });
          return;
        }
        await answer(services, respond, await act({ user, value, channel: requester.channelId }));
      } catch (caught) {
        const err = isRedisUnavailable(caught)
          ? new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable (Redis is not answering); nothing changed. Try again in a minute.')
          : caught;
        if (!isApolloError(err)) services.logger.error({ err, actionId }, 'button handler failed');
        await respond({ response_type: 'ephemeral', replace_original: false, text: services.redactor.redact(userMessage(err)) }).catch(() => undefined);
      }
    });
  };

  handle(ACTION.approve, ({ user, value, channel }) => decideDeploy(services, parseValue(RunId, value), user, 'approve', channel));
  handle(ACTION.reject, ({ user, value, channel }) => decideDeploy(services, parseValue(RunId, value), user, 'reject', channel));
  handle(ACTION.destroy, ({ user, value, channel }) => destroyDeploy(services, parseValue(RunId, value), user, channel));
  handle(ACTION.cancel, ({ user, value, channel }) => cancelRun(services, parseValue(RunId, value), user, channel));
  handle(ACTION.logs, ({ user, value, channel }) => {
    const { runId, lane, phase } = parseValue(LogsValue, value);
    return uploadLog(services, runId, lane, phase, user, channel);
  });
  // Redeploy: a new approval request for the same commit, by a deployer (requestDeploy checks), from the run's channel.
  handle(ACTION.redeploy, async ({ user, value, channel }) => {
    const run = await services.runs.get(parseValue(RunId, value));
    if (!run || run.kind !== 'deploy') return { ok: false, text: 'This deploy no longer exists.' };
    if (!clickedInRunChannel(run, channel)) return { ok: false, text: WRONG_CHANNEL };
    const result = await requestDeploy(services, { clouds: run.laneNames, ref: run.sha, requestedBy: user, channel: run.channel, ...(run.tests ? { tests: run.tests } : {}) });
    return { ok: true, text: `New deploy request \`${result.runId}\` posted; it needs an approval.` };
  });

  // Anything else (an old card's button, a forged action id) gets an answer instead of a timeout.
  const known = new Set<string>(Object.values(ACTION));
  app.action<BlockAction>({ action_id: new RegExp(`^(?!(${[...known].join('|')})$).*`) }, async ({ ack, respond }) => {
    await ack();
    await respond({ response_type: 'ephemeral', replace_original: false, text: ':warning: That button is not one I know (an old card?). Nothing changed.' }).catch(() => undefined);
  });
}
