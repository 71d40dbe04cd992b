/** Where a Slack message is: its channel and timestamp. */
export interface MessageRef {
  channel: string;
  ts: string;
}
