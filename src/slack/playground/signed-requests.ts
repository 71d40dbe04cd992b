import { signedSlackHeaders } from '../signing.js';

/** The person and place a request comes from, as Slack names them in the payload. */
export interface SlackActor {
  userId: string;
  userName: string;
  teamId: string;
  channelId: string;
  channelName: string;
}

/** A slash command's form body, as Slack sends it (unsigned). */
export function slashCommandForm(actor: SlackActor, command: string, text: string, responseUrl: string): string {
  return new URLSearchParams({
    token: 'playground',
    team_id: actor.teamId,
    channel_id: actor.channelId,
    channel_name: actor.channelName,
    user_id: actor.userId,
    user_name: actor.userName,
    command,
    text,
    response_url: responseUrl,
    trigger_id: `${Date.now()}.playground`,
  }).toString();
}

/** The button that was pressed, and the message it was on. */
export interface PressedButton {
  actionId: string;
  blockId: string;
  value: string;
  text: string;
  messageTs: string;
  ephemeral: boolean;
}

/** A block_actions interaction, as Slack sends a button press: a form with one `payload` field of JSON. */
export function blockActionsForm(actor: SlackActor, button: PressedButton, responseUrl: string): string {
  const now = Date.now() / 1000;
  const payload = {
    type: 'block_actions',
    user: { id: actor.userId, username: actor.userName, name: actor.userName, team_id: actor.teamId },
    api_app_id: 'A0PLAYGROUND',
    token: 'playground',
    container: { type: 'message', message_ts: button.messageTs, channel_id: actor.channelId, is_ephemeral: button.ephemeral },
    trigger_id: `${Date.now()}.playground`,
    team: { id: actor.teamId, domain: 'playground' },
    channel: { id: actor.channelId, name: actor.channelName },
    message: { type: 'message', ts: button.messageTs, text: '' },
    response_url: responseUrl,
    actions: [
      { action_id: button.actionId, block_id: button.blockId, value: button.value, type: 'button', text: { type: 'plain_text', text: button.text }, action_ts: now.toFixed(6) },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** What the bot's endpoint answered (a slash command's ack may carry an ephemeral reply). */
export interface SignedAnswer {
  status: number;
  body: string;
}

/** POSTs a form to the bot's Slack endpoint, signed with its signing secret, as Slack would. */
export async function sendSigned(endpoint: string, signingSecret: string, form: string): Promise<SignedAnswer> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(signingSecret, form) },
    body: form,
  });
  return { status: res.status, body: await res.text() };
}
