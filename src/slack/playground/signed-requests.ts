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
    trigger_id: triggerId(actor),
  }).toString();
}

/** A trigger id that names its person: the playground's channel shows a modal opened with it to them. */
export function triggerId(actor: Pick<SlackActor, 'userId'>): string {
  return `${Date.now()}.playground.${actor.userId}`;
}

/** The person a playground trigger id was made for. */
export function triggerUser(trigger: string): string | undefined {
  return /\.playground\.([UW][A-Z0-9]{2,})$/.exec(trigger)?.[1];
}

/** A modal's view_submission, as Slack sends it: the view's callback id, metadata and typed values. */
export function viewSubmissionForm(actor: SlackActor, view: { callbackId: string; privateMetadata: string }, values: Record<string, Record<string, string>>): string {
  const state = Object.fromEntries(Object.entries(values).map(([block, actions]) => [block, Object.fromEntries(Object.entries(actions).map(([action, value]) => [action, { type: 'plain_text_input', value }]))]));
  const payload = {
    type: 'view_submission',
    team: { id: actor.teamId, domain: 'playground' },
    user: { id: actor.userId, username: actor.userName, name: actor.userName, team_id: actor.teamId },
    api_app_id: 'A0PLAYGROUND',
    token: 'playground',
    trigger_id: triggerId(actor),
    view: { id: 'V0PLAYGROUND', type: 'modal', callback_id: view.callbackId, private_metadata: view.privateMetadata, state: { values: state } },
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
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
    trigger_id: triggerId(actor),
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
