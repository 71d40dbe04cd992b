import type { App } from '@slack/bolt';
import { z } from 'zod';
import { appHome, type AppHomeDeps } from '../../actions/app-home.js';
import type { RequesterPolicy } from '../../access/requester-policy.js';
import type { Redactor } from '../../redaction/redactor.js';
import type { Logger } from '../../logger.js';
import type { SlackEvents } from '../../runs/slack-events.js';
import { renderAppHome } from '../../../views/app-home.js';

/** The fields of an app_home_opened delivery the handler reads. */
const HomeOpened = z.object({
  event_id: z.string().min(1).max(100),
  team_id: z.string().optional(),
  event: z.object({ type: z.literal('app_home_opened'), user: z.string().regex(/^[UW][A-Z0-9]{2,}$/), tab: z.string().optional() }),
});

export type AppHomeListenerDeps = AppHomeDeps & {
  requesters: Pick<RequesterPolicy, 'checkTeam'>;
  slackEvents: Pick<SlackEvents, 'first'>;
  redactor: Pick<Redactor, 'redactDeep'>;
  logger: Logger;
};

/**
 * `app_home_opened` → `views.publish` of that person's App Home, read afresh. Slack retries an
 * event it thinks was lost (`X-Slack-Retry-Num`): the event id is claimed once, so a retry does
 * nothing twice. Another team's member gets nothing published.
 */
export function registerAppHome(app: App, services: AppHomeListenerDeps): void {
  app.event('app_home_opened', async ({ body, client }) => {
    const parsed = HomeOpened.safeParse(body);
    if (!parsed.success) {
      services.logger.warn({ issues: parsed.error.issues.length }, 'an app_home_opened event could not be read');
      return;
    }
    const { event, event_id: eventId, team_id: teamId } = parsed.data;
    if (event.tab !== undefined && event.tab !== 'home') return;
    try {
      if (!(await services.slackEvents.first(eventId))) return;
      if (await services.requesters.checkTeam({ userId: event.user, teamIds: teamId ? [teamId] : [], enterpriseIds: [], channelId: '' })) return;
      const home = await appHome(services, event.user);
      await client.views.publish({ user_id: event.user, view: services.redactor.redactDeep(renderAppHome(home)) });
    } catch (err) {
      services.logger.error({ err, eventId }, 'could not publish the App Home');
    }
  });
}
