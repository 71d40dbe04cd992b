import type { Message } from '../../../views/limits.js';
import type { App } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { prepareCommand, type PreparedCommand } from '../../../commands/index.js';
import { ApolloError, ErrorCode, isApolloError, isRedisUnavailable } from '../../errors.js';
import { errorText } from '../../../views/error-text.js';
import { commandRequester, type RequesterPolicy } from '../../access/requester-policy.js';
import type { CommandDeps } from '../../../commands/command.js';
import type { Redactor } from '../../redaction/redactor.js';
import type { Logger } from '../../logger.js';
import { refusalText } from '../../../views/refusal.js';
import { commandAck } from '../../metrics/metrics.js';

const QUEUE_DOWN = new ApolloError(ErrorCode.QueueUnavailable, 'The queue is unavailable (Redis is not answering); try again in a minute. Nothing was queued.');

/**
 * `/apollo …`: validation errors and replies known at once (help) are answered in the ack itself;
 * everything else is acked at once and done afterwards, with failures sent to the user as an
 * ephemeral message.
 */
/** What `/apollo` uses: the commands' dependencies, the requester policy, and how to answer. */
export type ApolloCommandDeps = CommandDeps & {
  requesters: Pick<RequesterPolicy, 'checkTeam' | 'checkActor'>;
  redactor: Pick<Redactor, 'redact' | 'redactDeep'>;
  logger: Logger;
  /** Whether the queue's Redis answers within `timeoutMs` (a down Redis is said in the ack). */
  queueAnswers(timeoutMs: number): Promise<boolean>;
};

export function registerApolloCommand(app: App, services: ApolloCommandDeps, commandName = '/apollo'): void {
  app.command(commandName, async ({ command, ack: boltAck, respond, client }) => {
    // Slack gives up on an ack after 3 s: how close each one comes is a metric.
    const started = process.hrtime.bigint();
    const ack = async (answer?: Parameters<typeof boltAck>[0], outcome = 'ok') => {
      await boltAck(answer);
      commandAck.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    };
    const requester = commandRequester(command as unknown as Record<string, unknown>);
    // Another team or enterprise gets nothing but the refusal, not even help.
    const foreign = await services.requesters.checkTeam(requester);
    if (foreign) {
      await ack({ response_type: 'ephemeral', text: refusalText(foreign) }, 'refused');
      return;
    }
    let prepared: PreparedCommand;
    try {
      prepared = prepareCommand(command.text ?? '', services.config);
    } catch (err) {
      await ack({ response_type: 'ephemeral', text: services.redactor.redact(errorText(err)) }, 'invalid');
      return;
    }
    // A reply known at once (help) is the ack itself: no Redis, no second request.
    if (prepared.answer !== undefined && !prepared.acts) {
      await ack({ response_type: 'ephemeral', text: services.redactor.redact(prepared.answer) });
      return;
    }
    // Everything else needs Redis: when it is down, say so in the ack (within Slack's 3 s) rather than hang.
    if (!(await services.queueAnswers(1000))) {
      await ack({ response_type: 'ephemeral', text: errorText(QUEUE_DOWN) }, 'queue_down');
      return;
    }
    await ack();
    const reply = async (message: string | Message) => {
      const { text, blocks } = typeof message === 'string' ? { text: message, blocks: undefined } : message;
      await respond({ response_type: 'ephemeral', replace_original: false, text: services.redactor.redact(text), ...(blocks ? { blocks: services.redactor.redactDeep(blocks) } : {}) });
    };
    try {
      if (prepared.acts) {
        const refusal = await services.requesters.checkActor(requester);
        if (refusal) {
          await reply(refusalText(refusal));
          return;
        }
      }
      const openView = async (view: ModalView) => {
        await client.views.open({ trigger_id: command.trigger_id, view: services.redactor.redactDeep(view) });
      };
      await prepared.run({ userId: command.user_id, channelId: command.channel_id, reply, openView, services });
    } catch (caught) {
      const err = isRedisUnavailable(caught) ? QUEUE_DOWN : caught;
      if (!isApolloError(err)) services.logger.error({ err, command: prepared.name }, 'command failed');
      await reply(errorText(err)).catch((replyErr: unknown) => services.logger.warn({ err: replyErr }, 'could not reply to the user'));
    }
  });
}
