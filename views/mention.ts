import { escapeMrkdwn } from './limits.js';

import { SLACK_USER_ID } from '../src/config/slack-ids.js';

export { SLACK_USER_ID };

/**
 * `<@U123>` for a Slack user id; anything else (`github:octocat`, a name) as escaped text. Only ids
 * Slack itself gave the bot (who typed the command, who clicked) or a CI event's validated
 * `slackUser` come here: a GitHub login can be shaped like an id (`U0VICTIM1`), so webhook authors
 * are carried in fields that are never mentioned, and webhook-started runs say `github:<login>`.
 */
export function mention(who: string): string {
  return SLACK_USER_ID.test(who) ? `<@${who}>` : escapeMrkdwn(who);
}
