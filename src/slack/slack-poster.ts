import type { WebClient } from '@slack/web-api';
import { logFileName, logTitle } from '../../views/log-upload.js';
import { enforceLimits, type Message } from '../../views/limits.js';
import { Redactor } from '../redaction/redactor.js';

/** `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>` → shown as text, never a ping. */
export function noBroadcast(text: string): string {
  return text.replaceAll('<!', '&lt;!');
}

export type { MessageRef } from '../runs/message-ref.js';
import type { MessageRef } from '../runs/message-ref.js';

/**
 * The one door through which the bot's messages leave for Slack. Everything posted, edited or
 * uploaded goes through here, so that cross-cutting rules (redaction, retries) live in one place.
 */
export class SlackPoster {
  constructor(
    readonly client: WebClient,
    readonly redactor: Redactor = new Redactor(),
  ) {}

  /**
   * Every message passes the redactor, then the limits again (a marker may be longer than what it
   * hid). Notification texts (the fallback `text`) can never ping a channel: a commit subject or a
   * workflow name saying <!channel> stays text.
   */
  private clean(message: Message): Message {
    const redacted = this.redactor.redactDeep(message);
    return {
      ...redacted,
      text: noBroadcast(redacted.text),
      blocks: enforceLimits(redacted.blocks),
      ...(redacted.attachments ? { attachments: redacted.attachments.map((a) => (a.fallback ? { ...a, fallback: noBroadcast(a.fallback) } : a)) } : {}),
    };
  }

  /** A message's permalink, or undefined when Slack cannot give one. */
  async permalink(ref: MessageRef): Promise<string | undefined> {
    try {
      return (await this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts })).permalink;
    } catch {
      return undefined;
    }
  }

  async postMessage(channel: string, original: Message, threadTs?: string): Promise<MessageRef> {
    const message = this.clean(original);
    const result = await this.client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      ...(message.attachments ? { attachments: message.attachments } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!result.ts || !result.channel) throw new Error('chat.postMessage returned no ts');
    return { channel: result.channel, ts: result.ts };
  }

  async updateMessage(ref: MessageRef, original: Message): Promise<void> {
    const message = this.clean(original);
    await this.client.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: message.text,
      blocks: message.blocks,
      // Without the field Slack keeps the old attachments, so a message without any leaves them alone.
      ...(message.attachments ? { attachments: message.attachments } : {}),
    });
  }

  async postEphemeral(channel: string, user: string, text: string): Promise<void> {
    await this.client.chat.postEphemeral({ channel, user, text: this.redactor.redact(text) });
  }

  /** Uploads text as a file into a message's thread (files.getUploadURLExternal + completeUploadExternal). */
  /** A run's log as a file in its card's thread. */
  async uploadRunLog(thread: MessageRef, log: { runId: string; lane: string; phase: 'run' | 'destroy' | 'plan'; text: string }): Promise<void> {
    const laneKey = log.phase === 'run' ? log.lane : `${log.phase}-${log.lane}`;
    await this.uploadText(thread, logFileName(log.runId, laneKey), logTitle(log.runId, log.lane, log.phase), log.text);
  }

  async uploadText(thread: MessageRef, filename: string, title: string, content: string): Promise<void> {
    await this.client.filesUploadV2({ channel_id: thread.channel, thread_ts: thread.ts, filename, title: this.redactor.redact(title), content: this.redactor.redact(content) });
  }
}
