// Floor for the ack figures: bare Bolt over HTTP, as apollo's web process receives Slack (same
// receiver, same signature check). `/apollo help` is acked with its text; any other text is acked,
// then one message is posted (what apollo's build does at the least: ack, post its card).
// Run by bench/index.ts with plain node: PORT, SLACK_SIGNING_SECRET, SLACK_API_URL.
import bolt from '@slack/bolt';

const { App, HTTPReceiver, LogLevel } = bolt;
const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET, endpoints: '/slack/events', logLevel: LogLevel.ERROR });
const app = new App({
  token: 'xoxb-floor',
  receiver,
  logLevel: LogLevel.ERROR,
  tokenVerificationEnabled: false,
  botId: 'B0FLOOR',
  botUserId: 'U0FLOOR',
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});
app.command('/apollo', async ({ command, ack, client }) => {
  if (command.text === 'help') {
    await ack({ response_type: 'ephemeral', text: 'help' });
    return;
  }
  await ack();
  await client.chat.postMessage({ channel: command.channel_id, text: `build ${command.text}` });
});
await app.start(Number(process.env.PORT));
console.log('ready');
