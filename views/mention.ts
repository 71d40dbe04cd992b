import { escapeMrkdwn } from './limits.js';

/** A Slack user id, as Slack writes them: the only values that may ever become a ping. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/**
 * `<@U123>` for a Slack user id; anything else (`github:octocat`, a name) as escaped text. Only ids
 * Slack itself gave the bot (who typed the command, who clicked) or a CI event's validated
 * `slackUser` come here: a GitHub login can be shaped like an id (`U0VICTIM1`), so webhook authors
 * are carried in fields that are never mentioned, and webhook-started runs say `github:<login>`.
 */
export function mention(who: string): string {
  return SLACK_USER_ID.test(who) ? `<@${who}>` : escapeMrkdwn(who);
}
