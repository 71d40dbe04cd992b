import type { App } from '@slack/bolt';
import { z } from 'zod';
import { requestDeploy, type RequestDeployDeps } from '../../actions/request-deploy.js';
import { viewSubmission, type ModalListenerDeps } from './view-submission.js';
import { GitRef } from '../../git/ref.js';
import { KeepDuration } from '../../../commands/deploy.js';
import { formatIssues } from '../../config/issues.js';
import { DEPLOY_MODAL } from '../../../views/deploy-modal.js';
import { refusalText } from '../../../views/refusal.js';
import { errorText } from '../../../views/error-text.js';
import { isApolloError } from '../../errors.js';

const Selected = z.object({ selected_options: z.array(z.object({ value: z.string().max(150) })).max(10).nullable().optional() });
const Typed = z.object({ value: z.string().max(300).nullable().optional() });
const block = <T extends z.ZodType>(id: string, element: T) => z.object({ [id]: element }).optional();

/** The deploy form's view_submission, checked field by field before anything acts on it. */
const Submission = viewSubmission(
  DEPLOY_MODAL.callbackId,
  z.object({ channel: z.string().regex(/^[CG][A-Z0-9]{2,}$/) }),
  z.object({
    [DEPLOY_MODAL.clouds]: block(DEPLOY_MODAL.clouds, Selected),
    [DEPLOY_MODAL.ref]: block(DEPLOY_MODAL.ref, Typed),
    [DEPLOY_MODAL.tests]: block(DEPLOY_MODAL.tests, Selected),
    [DEPLOY_MODAL.lifetime]: block(DEPLOY_MODAL.lifetime, z.object({ selected_option: z.object({ value: z.enum(['stays', 'ephemeral', 'keep']) }).nullable().optional() })),
    [DEPLOY_MODAL.keep]: block(DEPLOY_MODAL.keep, Typed),
    [DEPLOY_MODAL.reason]: block(DEPLOY_MODAL.reason, Typed),
  }),
);

export type DeployModalDeps = RequestDeployDeps & ModalListenerDeps;

/**
 * The deploy form, submitted: what can be checked at once (the fields, who is asking) is answered
 * in the form; then the form closes and the request goes the way `/apollo deploy` goes (the mirror
 * may take longer than Slack waits for an answer), its refusals said privately in the channel.
 */
export function registerDeployModal(app: App, services: DeployModalDeps): void {
  app.view(DEPLOY_MODAL.callbackId, async ({ ack, body }) => {
    const parsed = Submission.safeParse(body);
    if (!parsed.success) {
      await ack({ response_action: 'errors', errors: { [DEPLOY_MODAL.ref]: `That form could not be read (${formatIssues(parsed.error).join('; ').slice(0, 200)}); nothing changed.` } });
      return;
    }
    const { user, team, view } = parsed.data;
    const { channel } = view.private_metadata;
    const values = view.state.values;
    const errors: Record<string, string> = {};
    const clouds = (values[DEPLOY_MODAL.clouds]?.[DEPLOY_MODAL.clouds]?.selected_options ?? []).map((o) => o.value);
    if (clouds.length === 0) errors[DEPLOY_MODAL.clouds] = 'Choose at least one cloud.';
    const ref = GitRef.safeParse((values[DEPLOY_MODAL.ref]?.[DEPLOY_MODAL.ref]?.value ?? '').trim());
    if (!ref.success) errors[DEPLOY_MODAL.ref] = ref.error.issues[0]?.message ?? 'not a commit, branch or tag';
    const lifetime = values[DEPLOY_MODAL.lifetime]?.[DEPLOY_MODAL.lifetime]?.selected_option?.value ?? 'stays';
    const keepText = (values[DEPLOY_MODAL.keep]?.[DEPLOY_MODAL.keep]?.value ?? '').trim();
    const keep = KeepDuration.safeParse(keepText);
    if (lifetime === 'keep' && !keep.success) errors[DEPLOY_MODAL.keep] = 'Give a lifetime like 90m, 4h or 2d.';
    const testsBlock = values[DEPLOY_MODAL.tests]?.[DEPLOY_MODAL.tests];
    const reason = (values[DEPLOY_MODAL.reason]?.[DEPLOY_MODAL.reason]?.value ?? '').trim();
    try {
      const refusal = await services.requesters.checkActor({ userId: user.id, teamIds: [team?.id, user.team_id].filter((t): t is string => Boolean(t)), enterpriseIds: [], channelId: channel });
      if (refusal) errors[DEPLOY_MODAL.clouds] = refusalText(refusal);
      else if (!(await services.access.allows(services.config.access.deployers, user.id))) errors[DEPLOY_MODAL.clouds] = 'You are not allowed to request deploys (`access.deployers`).';
    } catch (err) {
      errors[DEPLOY_MODAL.clouds] = errorText(err);
    }
    if (Object.keys(errors).length > 0 || !ref.success) {
      await ack({ response_action: 'errors', errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, services.redactor.redact(v).slice(0, 1000)])) });
      return;
    }
    await ack();
    try {
      await requestDeploy(services, {
        clouds,
        ref: ref.data,
        requestedBy: user.id,
        channel,
        ...(testsBlock ? { tests: (testsBlock.selected_options ?? []).map((o) => o.value) } : {}),
        ...(lifetime === 'ephemeral' ? { ephemeral: true } : lifetime === 'keep' && keep.success ? { keepMs: keep.data } : {}),
        ...(reason ? { reason } : {}),
      });
    } catch (err) {
      if (!isApolloError(err)) services.logger.error({ err }, 'deploy form failed');
      await services.slack.postEphemeral(channel, user.id, errorText(err)).catch((e: unknown) => services.logger.warn({ err: e }, 'could not answer the deploy form'));
    }
  });
}
