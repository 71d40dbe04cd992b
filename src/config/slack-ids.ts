/** A Slack user id, as Slack writes them: the only values that may ever become a ping. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
