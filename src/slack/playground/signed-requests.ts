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

/** An option as Slack sends it back in a view's state: its text and value, as the bot gave them. */
export interface StateOption {
  text: { type: 'plain_text' | 'mrkdwn'; text: string };
  value: string;
}

/** One input's value in a view_submission's `state.values[block_id][action_id]`, as Slack shapes it. */
export type ViewStateValue =
  | { type: 'plain_text_input'; value: string }
  | { type: 'checkboxes'; selected_options: StateOption[] }
  | { type: 'radio_buttons'; selected_option: StateOption | null }
  | { type: 'static_select'; selected_option: StateOption | null };

/** A modal's view_submission, as Slack sends it: the view's callback id, metadata and the state of its inputs. */
export function viewSubmissionForm(actor: SlackActor, view: { callbackId: string; privateMetadata: string }, state: Record<string, Record<string, ViewStateValue>>): string {
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

/** A button pressed on a person's App Home: no message, no channel, no response_url (as Slack sends it). */
export function homeActionsForm(actor: SlackActor, button: Pick<PressedButton, 'actionId' | 'blockId' | 'value' | 'text'>): string {
  const payload = {
    type: 'block_actions',
    user: { id: actor.userId, username: actor.userName, name: actor.userName, team_id: actor.teamId },
    api_app_id: 'A0PLAYGROUND',
    token: 'playground',
    container: { type: 'view', view_id: `V0HOME${actor.userId}` },
    trigger_id: triggerId(actor),
    team: { id: actor.teamId, domain: 'playground' },
    view: { id: `V0HOME${actor.userId}`, type: 'home' },
    actions: [
      { action_id: button.actionId, block_id: button.blockId, value: button.value, type: 'button', text: { type: 'plain_text', text: button.text }, action_ts: (Date.now() / 1000).toFixed(6) },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API delivery of `app_home_opened` (JSON, not a form), with a fresh event id each time. */
export function appHomeOpenedEvent(actor: Pick<SlackActor, 'userId' | 'teamId'>, eventId: string): string {
  return JSON.stringify({
    token: 'playground',
    team_id: actor.teamId,
    api_app_id: 'A0PLAYGROUND',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user: actor.userId, channel: `D0${actor.userId.slice(1)}`, tab: 'home', event_ts: (Date.now() / 1000).toFixed(6) },
  });
}

/** What the bot's endpoint answered (a slash command's ack may carry an ephemeral reply). */
export interface SignedAnswer {
  status: number;
  body: string;
}

/** POSTs a form (or, with `application/json`, an event) to the bot's Slack endpoint, signed with its signing secret, as Slack would. */
export async function sendSigned(endpoint: string, signingSecret: string, form: string, contentType = 'application/x-www-form-urlencoded'): Promise<SignedAnswer> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': contentType, ...signedSlackHeaders(signingSecret, form) },
    body: form,
  });
  return { status: res.status, body: await res.text() };
}
