import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { renderNotification, slackUrl, testLine } from '../../views/notification.js';
import { LIMITS, limitViolations, type Message } from '../../views/limits.js';
import type { Notification } from '../../src/notifications/notification.js';

const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';

function notification(extra: Partial<Notification> = {}): Notification {
  return {
    source: 'workflow_run',
    repo: 'Capgemini/Apollo',
    pipeline: 'CI',
    runId: '9876543210',
    runNumber: 562,
    attempt: 1,
    status: 'passed',
    branch: 'master',
    sha: SHA,
    subject: 'Add serverspec for marathon',
    author: 'ada-ops',
    durationMs: 252_000,
    links: {
      run: 'https://github.com/Capgemini/Apollo/actions/runs/9876543210',
      repo: 'https://github.com/Capgemini/Apollo',
      branch: 'https://github.com/Capgemini/Apollo/tree/master',
      commit: `https://github.com/Capgemini/Apollo/commit/${SHA}`,
    },
    ...extra,
  };
}

function allBlocks(message: Message): KnownBlock[] {
  return [...message.blocks, ...(message.attachments ?? []).flatMap((a) => a.blocks)];
}

function texts(blocks: KnownBlock[]): string[] {
  return blocks.map((b) => {
    const text = (b as { text?: { text?: string } }).text?.text;
    const elements = ((b as { elements?: { text?: string }[] }).elements ?? []).map((e) => e.text ?? '');
    return [text ?? '', ...elements].join(' ');
  });
}

function all(message: Message): string {
  return texts(allBlocks(message)).join('\n');
}

describe('CI notification view', () => {
  it('shows header, where, who, how long and the link to the run, with a green bar', () => {
    const message = renderNotification(notification());
    const [head] = message.blocks;
    expect(head).toEqual({ type: 'header', text: { type: 'plain_text', text: '✅ CI #562 passed · Capgemini/Apollo', emoji: true } });
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments![0]!.color).toBe('good');
    const text = all(message);
    expect(text).toContain('*<https://github.com/Capgemini/Apollo|Capgemini/Apollo>*');
    expect(text).toContain('<https://github.com/Capgemini/Apollo/tree/master|master>');
    expect(text).toContain(`<https://github.com/Capgemini/Apollo/commit/${SHA}|4d124eb>`);
    expect(text).toContain('Add serverspec for marathon');
    expect(text).toContain('by ada-ops');
    expect(text).toContain('took 4m 12s');
    expect(text).toContain('<https://github.com/Capgemini/Apollo/actions/runs/9876543210|View run #562>');
    expect(text).not.toContain('🧪');
    expect(message.text).toBe('✅ Capgemini/Apollo: CI #562 passed on master (4d124eb)');
    // A pass is not news: nothing above the bar but the header.
    expect(message.blocks).toHaveLength(1);
  });

  it('colours the bar by status', () => {
    const colours = (['queued', 'running', 'passed', 'failed', 'canceled', 'skipped'] as const).map(
      (status) => renderNotification(notification({ status })).attachments![0]!.color,
    );
    expect(colours).toEqual(['warning', 'warning', 'good', 'danger', '#9e9e9e', '#9e9e9e']);
  });

  it('mentions the Slack user the sender names only when the run failed', () => {
    const failed = renderNotification(notification({ source: 'ci', status: 'failed', slackUser: 'U0ALICE' }));
    expect(texts(failed.blocks).join('\n')).toContain('cc <@U0ALICE>');
    const passed = renderNotification(notification({ source: 'ci', status: 'passed', slackUser: 'U0ALICE' }));
    expect(all(passed)).not.toContain('<@');
    const running = renderNotification(notification({ source: 'ci', status: 'running', slackUser: 'U0ALICE' }));
    expect(all(running)).not.toContain('<@');
  });

  it('never mentions the author, even one shaped like a Slack user id', () => {
    const failed = renderNotification(notification({ status: 'failed', author: 'U0VICTIM1' }));
    expect(texts(failed.blocks).join('\n')).toContain('cc U0VICTIM1');
    expect(JSON.stringify(failed)).not.toContain('<@');
  });

  it('names a GitHub login on failure as plain text, never as a mention', () => {
    const failed = renderNotification(notification({ status: 'failed', author: '<!channel> ada' }));
    const top = texts(failed.blocks).join('\n');
    expect(top).toContain('cc &lt;!channel&gt; ada');
    expect(all(failed)).not.toContain('<!channel>');
  });

  it('says what a verdict means for the branch', () => {
    const broken = renderNotification(notification({ status: 'failed', transition: 'broken' }));
    expect(texts(broken.blocks)[1]).toBe('💥 *Broken by `4d124eb`*  ·  cc ada-ops');
    expect(broken.text).toContain('— Broken by 4d124eb');
    const still = renderNotification(notification({ status: 'failed', transition: 'still_failing' }));
    expect(texts(still.blocks)[1]).toBe('🔁 *Still failing*  ·  cc ada-ops');
    const fixed = renderNotification(notification({ status: 'passed', transition: 'fixed' }));
    expect(texts(fixed.blocks)[1]).toBe('🎉 *Fixed — back to normal*');
    expect(fixed.text).toContain('— Fixed — back to normal');
  });

  it('adds the test summary when counts are given', () => {
    expect(testLine({ passed: 118, failed: 0, skipped: 3 })).toBe('🧪 118 passed · 0 failed · 3 skipped');
    expect(testLine({ passed: 46, failed: 8, skipped: 0 })).toBe('🧪 46 passed · *8 failed*');
    const message = renderNotification(notification({ status: 'failed', tests: { passed: 46, failed: 8, skipped: 0 } }));
    expect(all(message)).toContain('🧪 46 passed · *8 failed*');
  });

  it('shows a run without links or extras as plain names', () => {
    const message = renderNotification(
      notification({ source: 'ci', runNumber: undefined, runId: 'jenkins-8812', links: {}, durationMs: undefined, author: undefined, subject: undefined, attempt: 2 }),
    );
    const text = all(message);
    expect(text).toContain('*Capgemini/Apollo*  ·  `master`  ·  `4d124eb`');
    expect(text).toContain('run jenkins-8812');
    expect(text).toContain('attempt 2');
    expect(text).not.toContain('by ');
  });

  it('links only http(s) URLs, and escapes what would end a link early', () => {
    expect(slackUrl('javascript:alert(1)')).toBeUndefined();
    expect(slackUrl('not a url')).toBeUndefined();
    expect(slackUrl('https://ci.example/run?a=1&b=<x>|y')).toBe('https://ci.example/run?a=1&amp;b=%3Cx%3E%7Cy');
    const message = renderNotification(notification({ links: { run: 'javascript:alert(1)' } }));
    expect(all(message)).not.toContain('javascript:');
  });

  it('keeps every Block Kit limit with absurd inputs', () => {
    const huge = 'x'.repeat(100_000);
    const n = notification({
      status: 'failed',
      transition: 'broken',
      repo: `${huge}/${huge}`,
      pipeline: `pipe <${huge}> & |`,
      runId: huge,
      runNumber: Number.MAX_SAFE_INTEGER,
      attempt: 999,
      branch: `feature/${'`'.repeat(50_000)}${huge}`,
      subject: `${'*_~'.repeat(30_000)}\n${huge}`,
      author: huge,
      durationMs: 40 * 24 * 3600 * 1000,
      tests: { passed: 100_000_000, failed: 100_000_000, skipped: 100_000_000 },
      links: {
        run: `https://ci.example/${huge}`,
        repo: `https://github.example/${'a'.repeat(570)}`,
        branch: `https://github.example/${'b'.repeat(570)}`,
        commit: `https://github.example/${'c'.repeat(570)}`,
      },
    });
    const message = renderNotification(n);
    const blocks = allBlocks(message);
    expect(limitViolations(message.blocks)).toEqual([]);
    expect(limitViolations(message.attachments![0]!.blocks)).toEqual([]);
    expect(limitViolations(blocks)).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(message.attachments![0]!.fallback!.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    // Values are capped before mrkdwn lines are composed, so no clamp cuts a link in half.
    for (const text of texts(blocks.filter((b) => b.type !== 'header'))) {
      expect(text.split('<').length).toBe(text.split('>').length);
      expect(text.lastIndexOf('<')).toBeLessThanOrEqual(text.lastIndexOf('>'));
    }
    // Long but valid links are kept; the run link (too long to be safe) is dropped, not cut.
    expect(all(message)).toContain(`<https://github.example/${'c'.repeat(570)}|4d124eb>`);
    expect(all(message)).not.toContain('https://ci.example/');
  });
});
