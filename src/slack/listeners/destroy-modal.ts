import type { App } from '@slack/bolt';
import { z } from 'zod';
import { confirmDestroy, type ConfirmDestroyDeps } from '../../actions/confirm-destroy.js';
import { viewSubmission, type ModalListenerDeps } from './view-submission.js';
import { DESTROY_MODAL } from '../../../views/destroy-modal.js';
import { answerText, confirmDestroyAnswer, wrongNameText } from '../../../views/outcomes.js';
import { refusalText } from '../../../views/refusal.js';
import { errorText } from '../../../views/error-text.js';
import { isApolloError } from '../../errors.js';

/** The fields of the destroy modal's view_submission the handler reads, checked before anything acts. */
const Submission = viewSubmission(
  DESTROY_MODAL.callbackId,
  z.object({ runId: z.string().regex(/^d\d{1,12}$/), channel: z.string().regex(/^[CGD][A-Z0-9]{2,}$/) }),
  z.object({ [DESTROY_MODAL.block]: z.object({ [DESTROY_MODAL.action]: z.object({ value: z.string().max(200).nullable().optional() }) }) }),
);

export type DestroyModalDeps = ConfirmDestroyDeps & ModalListenerDeps;

/**
 * The destroy modal, submitted. A wrong cloud name, or a refusal, is said in the modal itself
 * (response_action errors) and nothing changes; otherwise the modal closes and the person is told
 * privately in the run's channel what happened (the card shows the destroy).
 */
export function registerDestroyModal(app: App, services: DestroyModalDeps): void {
  app.view(DESTROY_MODAL.callbackId, async ({ ack, body }) => {
    const parsed = Submission.safeParse(body);
    if (!parsed.success) {
      await ack({ response_action: 'errors', errors: { [DESTROY_MODAL.block]: 'That submission could not be read; nothing changed.' } });
      return;
    }
    const { user, team, view } = parsed.data;
    const { runId, channel } = view.private_metadata;
    const say = async (text: string) => ack({ response_action: 'errors', errors: { [DESTROY_MODAL.block]: services.redactor.redact(text).slice(0, 1000) } });
    try {
      const refusal = await services.requesters.checkActor({ userId: user.id, teamIds: [team?.id, user.team_id].filter((t): t is string => Boolean(t)), enterpriseIds: [], channelId: channel });
      if (refusal) return await say(refusalText(refusal));
      const typed = view.state.values[DESTROY_MODAL.block]![DESTROY_MODAL.action]!.value ?? '';
      const outcome = await confirmDestroy(services, runId, user.id, typed, channel);
      if (outcome.kind === 'wrong-name') return await say(wrongNameText(outcome.expected));
      const answer = confirmDestroyAnswer(outcome);
      if (answer.refused) return await say(answer.text ?? 'Nothing changed.');
      await ack();
      const text = answerText(answer);
      if (text) await services.slack.postEphemeral(channel, user.id, text).catch((err: unknown) => services.logger.warn({ err }, 'could not answer a destroy confirmation'));
    } catch (err) {
      if (!isApolloError(err)) services.logger.error({ err }, 'destroy modal failed');
      await say(errorText(err)).catch(() => undefined);
    }
  });
}
