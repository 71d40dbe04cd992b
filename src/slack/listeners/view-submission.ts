import { z } from 'zod';
import type { RequesterPolicy } from '../../access/requester-policy.js';
import type { Redactor } from '../../redaction/redactor.js';
import type { Logger } from '../../logger.js';
import type { SlackPoster } from '../slack-poster.js';

/** What every modal's submission listener uses besides its action: who may act, and how to answer. */
export type ModalListenerDeps = {
  requesters: Pick<RequesterPolicy, 'checkActor'>;
  redactor: Pick<Redactor, 'redact'>;
  slack: Pick<SlackPoster, 'postEphemeral'>;
  logger: Logger;
};

/**
 * A modal's view_submission, checked before anything acts on it: the person (a user id), their
 * team, the modal's callback id, its private_metadata (JSON the bot wrote, read back through
 * `metadata`, since the client sends it back) and its input values (`values`).
 */
export function viewSubmission<M extends z.ZodType, V extends z.ZodType>(callbackId: string, metadata: M, values: V) {
  return z.object({
    type: z.literal('view_submission'),
    user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]{2,}$/), team_id: z.string().optional() }),
    team: z.object({ id: z.string() }).nullable().optional(),
    view: z.object({
      callback_id: z.literal(callbackId),
      private_metadata: z
        .string()
        .max(3000)
        .transform((raw, ctx) => {
          try {
            return JSON.parse(raw) as unknown;
          } catch {
            ctx.addIssue({ code: 'custom', message: 'not JSON' });
            return z.NEVER;
          }
        })
        .pipe(metadata),
      state: z.object({ values }),
    }),
  });
}
