import { escapeMrkdwn } from './limits.js';

/** `<@U123>` for a Slack user id; anything else (a GitHub login, "github:octocat") as plain text. */
export function mention(who: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(who) ? `<@${who}>` : escapeMrkdwn(who);
}
