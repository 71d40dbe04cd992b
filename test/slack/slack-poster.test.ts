import nock from 'nock';
import type { KnownBlock } from '@slack/types';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noBroadcast, SlackPoster } from '../../src/slack/slack-poster.js';
import { Redactor } from '../../src/redaction/redactor.js';
import { slackClientOptions } from '../../src/services.js';
import { limitViolations, section } from '../../views/limits.js';

describe('SlackPoster', () => {
  const bodies: URLSearchParams[] = [];
  beforeAll(() => {
    nock.disableNetConnect();
    nock('https://slack.test')
      .persist()
      .post('/api/chat.postMessage')
      .reply(200, (_uri, body) => {
        bodies.push(new URLSearchParams(body as string));
        return { ok: true, channel: 'C1', ts: '1.2' };
      });
  });
  afterAll(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('never lets a fallback text ping a channel', () => {
    expect(noBroadcast('Deploy d1: <!channel> fix')).toBe('Deploy d1: &lt;!channel> fix');
    expect(noBroadcast('<!here> <!subteam^S1>')).toBe('&lt;!here> &lt;!subteam^S1>');
  });

  it('redacts and re-clamps what it sends', async () => {
    const poster = new SlackPoster(new WebClient('xoxb-unit', slackClientOptions('https://slack.test/api/')), new Redactor(['abcdef-secret']));
    await poster.postMessage('C1', { text: 'leak abcdef-secret <!channel>', blocks: [section(`${'x'.repeat(2990)}abcdef-secret`)] });
    const sent = bodies.at(-1)!;
    expect(sent.get('text')).toBe('leak [REDACTED] &lt;!channel>');
    const blocks = JSON.parse(sent.get('blocks')!) as KnownBlock[];
    expect(JSON.stringify(blocks)).not.toContain('abcdef-secret');
    expect(limitViolations(blocks)).toEqual([]);
  });
});
