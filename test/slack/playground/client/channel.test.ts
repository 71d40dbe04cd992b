import { describe, expect, it } from 'vitest';
import { PlaygroundChannel, type ChannelChange } from '../../../../src/slack/playground/client/channel.js';
import type { SlackCall } from '../../../../src/slack/playground/fake-slack.js';

const call = (method: string, body: Record<string, unknown>, response?: Record<string, unknown>): SlackCall => ({ method, body, at: Date.now(), ...(response ? { response } : {}) });

describe('the playground channel', () => {
  it('folds posts, edits in place, thread replies and uploads into messages', () => {
    const channel = new PlaygroundChannel('C0PLAYGROUND');
    const changes: ChannelChange[] = [];
    channel.subscribe((c) => changes.push(c));
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'v1' } }];
    channel.record(call('chat.postMessage', { channel: 'C0PLAYGROUND', text: 'card', blocks, attachments: [{ color: '#fff000' }] }, { ts: '1.1' }));
    channel.record(call('chat.update', { channel: 'C0PLAYGROUND', ts: '1.1', text: 'card', blocks: JSON.stringify([{ type: 'divider' }]) }));
    channel.record(call('chat.postMessage', { channel: 'C0PLAYGROUND', thread_ts: '1.1', text: 'reply' }, { ts: '1.2' }));
    channel.record(call('files.getUploadURLExternal', { filename: 'd1-sim-west.log', length: 42 }, { file_id: 'F9' }));
    channel.record(call('files.completeUploadExternal', { channel_id: 'C0PLAYGROUND', thread_ts: '1.1', files: JSON.stringify([{ id: 'F9', title: 'Log of d1' }]) }));

    const [card, reply, upload] = channel.all();
    expect(card).toMatchObject({ id: '1.1', edits: 1, blocks: [{ type: 'divider' }], attachments: [{ color: '#fff000' }] });
    expect(reply).toMatchObject({ threadTs: '1.1', text: 'reply' });
    expect(upload).toMatchObject({ threadTs: '1.1', files: [{ id: 'F9', name: 'd1-sim-west.log', title: 'Log of d1', size: 42 }] });
    expect(channel.fileName('F9')).toBe('d1-sim-west.log');
    expect(changes.map((c) => (c.kind === 'message' ? c.message.id : c.kind))).toEqual(['1.1', '1.1', '1.2', upload!.id]);
  });

  it('shows what the bot posts to a person (an answer to an App Home click) to that person only', () => {
    const channel = new PlaygroundChannel('C0PLAYGROUND');
    channel.record(call('chat.postMessage', { channel: 'U0DAVE', text: 'not allowed to request deploys' }, { ts: '2.1' }));
    channel.record(call('chat.postMessage', { channel: 'C0PLAYGROUND', text: 'card' }, { ts: '2.2' }));
    expect(channel.get('2.1')).toMatchObject({ ephemeralFor: 'U0DAVE' });
    expect(channel.get('2.2')?.ephemeralFor).toBeUndefined();
  });

  it('sends response_url answers to the person they were for: ephemeral, in channel, replacing or deleting the original', () => {
    const channel = new PlaygroundChannel('C0PLAYGROUND');
    channel.record(call('chat.postMessage', { channel: 'C0PLAYGROUND', text: 'card' }, { ts: '1.1' }));
    channel.expectResponse('r1', { user: 'U0ALICE', channel: 'C0PLAYGROUND', messageId: '1.1' });
    channel.record(call('response_url', { response_url_id: 'r1', response_type: 'ephemeral', text: 'only you' }));
    channel.record(call('response_url', { response_url_id: 'r1', replace_original: true, text: 'replaced' }));
    channel.record(call('response_url', { response_url_id: 'r1', response_type: 'in_channel', text: 'everyone' }));
    channel.record(call('response_url', { response_url_id: 'unknown', text: 'nobody asked' }));
    channel.record(call('chat.postEphemeral', { channel: 'C0PLAYGROUND', user: 'U0BOB', text: 'for bob' }));

    const all = channel.all();
    expect(all.find((m) => m.text === 'only you')).toMatchObject({ ephemeralFor: 'U0ALICE' });
    expect(channel.get('1.1')).toMatchObject({ text: 'replaced', edits: 1 });
    expect(all.find((m) => m.text === 'everyone')?.ephemeralFor).toBeUndefined();
    expect(all.find((m) => m.text === 'nobody asked')).toBeUndefined();
    expect(all.find((m) => m.text === 'for bob')).toMatchObject({ ephemeralFor: 'U0BOB' });

    channel.record(call('response_url', { response_url_id: 'r1', delete_original: true }));
    expect(channel.get('1.1')).toBeUndefined();
  });

  it('keeps modals and App Home per user, when the bot opens them', () => {
    const channel = new PlaygroundChannel('C0PLAYGROUND');
    channel.record(call('views.publish', { user_id: 'U0BOB', view: JSON.stringify({ type: 'home', blocks: [{ type: 'divider' }] }) }));
    channel.record(call('views.open', { user_id: 'U0BOB', view: { type: 'modal', title: { type: 'plain_text', text: 'Lock' }, blocks: [] } }));
    expect(channel.allSurfaces()).toEqual([
      { kind: 'home', user: 'U0BOB', title: 'Home', blocks: [{ type: 'divider' }] },
      { kind: 'modal', user: 'U0BOB', title: 'Lock', blocks: [], callbackId: '', privateMetadata: '' },
    ]);
  });

  it('shows a modal opened with a playground trigger id to the person it names, keeps what a submission needs, and closes it', () => {
    const channel = new PlaygroundChannel('C0PLAYGROUND');
    const view = { type: 'modal', callback_id: 'destroy_confirm', private_metadata: '{"runId":"d1"}', title: { type: 'plain_text', text: 'Destroy d1' }, submit: { type: 'plain_text', text: 'Destroy' }, blocks: [] };
    channel.record(call('views.open', { trigger_id: '1700000000.playground.U0CAROL', view: JSON.stringify(view) }));
    expect(channel.modalOf('U0CAROL')).toMatchObject({ user: 'U0CAROL', submit: 'Destroy', callbackId: 'destroy_confirm', privateMetadata: '{"runId":"d1"}' });
    channel.modalErrors('U0CAROL', { confirm: 'type aws' });
    expect(channel.modalOf('U0CAROL')?.errors).toEqual({ confirm: 'type aws' });
    channel.closeModal('U0CAROL');
    expect(channel.modalOf('U0CAROL')).toBeUndefined();
  });
});
