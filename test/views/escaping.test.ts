import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-log.js';
import { lockMessage } from '../../views/lock-message.js';
import type { TestSummary } from '../../src/reports/summary.js';
import type { Lane, Run, StepState } from '../../src/runs/run.js';
import type { Notification } from '../../src/notifications/notification.js';
import { confirmDialog } from '../../views/actions.js';
import { branchesNote, MAX_BRANCHES_SHOWN, renderDeployCard } from '../../views/deploy-card.js';
import { renderFailuresThread } from '../../views/failures-thread.js';
import { renderHistory } from '../../views/history.js';
import { button, header, inlineCode, limitViolations, LIMITS, plainText, type Message } from '../../views/limits.js';
import { mention } from '../../views/mention.js';
import { renderNotification, slackUrl } from '../../views/notification.js';
import { renderRunCard } from '../../views/run-card.js';
import { summaryLine } from '../../views/summary-line.js';
import { renderVerdict } from '../../views/verdict.js';

/*
 * Threat model: whoever can open a pull request writes commit messages, branch and workflow names
 * and GitHub logins; anyone in Slack writes lock reasons. None of it may ping, link or mention.
 */
const SUBJECT = 'fix <!here> <@U0VICTIM1> <https://evil.example|click me> <!subteam^S0OPS> & <#C0GENERAL>';
const BRANCH = 'feature/<!channel>|x`y';
const PIPELINE = 'CI <@U0VICTIM2> <!everyone>';
const LOGIN = 'U0VICTIM3';
const AUTHOR = '<!channel> Mallory <@U0VICTIM4>';
const TAIL = ['error: <!here> see <https://evil.example/tail|logs> & <@U0VICTIM5>'];

const FORBIDDEN = ['<!here', '<!channel', '<!everyone', '<!subteam', '<@U0VICTIM', '<#C0GENERAL', '<https://evil', '<javascript'];
const DOUBLE_ESCAPED = ['&amp;lt;', '&amp;gt;', '&amp;amp;'];

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const SHA = '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9';

/** Every text object in a message (blocks, attachments, buttons, dialogs), with its type. */
function textObjects(value: unknown, out: { type: string; text: string }[] = []): { type: string; text: string }[] {
  if (Array.isArray(value)) for (const v of value) textObjects(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ((o.type === 'plain_text' || o.type === 'mrkdwn') && typeof o.text === 'string') out.push({ type: o.type, text: o.text });
    for (const v of Object.values(o)) textObjects(v, out);
  }
  return out;
}

/** What a person reads in a mrkdwn text: Slack decodes the three entities. */
function seen(mrkdwn: string): string {
  return mrkdwn.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/** What a person reads in a plain text: as written, the invisible word joiner aside. */
function seenPlain(text: string): string {
  return text.replaceAll('\u2060', '');
}

function expectUnforgeable(message: Message): void {
  const json = JSON.stringify(message);
  for (const bad of FORBIDDEN) expect(json, `message carries ${bad}`).not.toContain(bad);
  for (const bad of DOUBLE_ESCAPED) expect(json, `message is escaped twice (${bad})`).not.toContain(bad);
  for (const { text } of textObjects(message).filter((t) => t.type === 'plain_text')) {
    expect(text, 'plain text shows an HTML entity').not.toMatch(/&(lt|gt|amp);/);
  }
  for (const fallback of (message.attachments ?? []).map((a) => a.fallback ?? '')) expect(fallback).not.toMatch(/&(lt|gt|amp);/);
  expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
  expect(limitViolations(message.blocks)).toEqual([]);
}

/** The links a mrkdwn text makes: `<url|label>`. */
function links(mrkdwn: string): { url: string; label: string }[] {
  return [...mrkdwn.matchAll(/<([^<>]*)>/g)].filter((m) => !m[1]!.startsWith('@')).map((m) => {
    const [url = '', ...rest] = m[1]!.split('|');
    return { url, label: rest.join('|') };
  });
}

function mrkdwnOf(message: Message): string {
  return textObjects({ blocks: message.blocks, attachments: message.attachments })
    .filter((t) => t.type === 'mrkdwn')
    .map((t) => t.text)
    .join('\n');
}

function plainOf(message: Message): string {
  return textObjects(message.blocks)
    .filter((t) => t.type === 'plain_text')
    .map((t) => t.text)
    .join('\n');
}

function notification(extra: Partial<Notification> = {}): Notification {
  return {
    source: 'workflow_run',
    repo: 'Capgemini/Apollo',
    pipeline: PIPELINE,
    runId: '9876543210',
    runNumber: 562,
    attempt: 1,
    status: 'failed',
    transition: 'broken',
    branch: BRANCH,
    sha: SHA,
    subject: SUBJECT,
    author: LOGIN,
    durationMs: 81_000,
    links: {
      run: 'https://github.com/Capgemini/Apollo/actions/runs/9876543210',
      repo: 'https://github.com/Capgemini/Apollo',
      branch: `https://github.com/Capgemini/Apollo/tree/${BRANCH.split('/').map(encodeURIComponent).join('/')}`,
      commit: `https://github.com/Capgemini/Apollo/commit/${SHA}`,
    },
    ...extra,
  };
}

function step(extra: Partial<StepState> = {}): StepState {
  return { name: 'bash tests', status: 'failed', startedAt: T0, finishedAt: T0 + 1000, exitCode: 1, reason: 'exit code 1', tail: TAIL, ...extra };
}

function run(extra: Partial<Run> = {}): Run {
  return {
    id: 'b7',
    kind: 'build',
    ref: BRANCH,
    sha: SHA,
    subject: SUBJECT,
    author: AUTHOR,
    requestedBy: `github:${LOGIN}`,
    channel: 'C0APOLLO',
    createdAt: T0,
    laneNames: ['build'],
    lanes: [{ name: 'build', steps: [step()], startedAt: T0, finishedAt: T0 + 1000 }],
    ...extra,
  };
}

function deploy(extra: Partial<Run> = {}): Run {
  const lanes: Lane[] = [{ name: 'aws', steps: [step({ name: 'serverspec' })], startedAt: T0, finishedAt: T0 + 1000 }];
  return run({ id: 'd3', kind: 'deploy', requestedBy: 'U0ALICE', laneNames: ['aws'], lanes, tests: ['serverspec', '<!here>'], ...extra });
}

describe('text helpers', () => {
  it('plain text is never HTML-escaped, and no Slack entity survives in it', () => {
    const raw = '<@U0VICTIM1> & <!here> <https://evil.example|x>';
    expect(seenPlain(plainText(raw))).toBe(raw);
    expect(plainText(plainText(raw))).toBe(plainText(raw));
    // Only a `<` that could open an entity changes; other text stays byte for byte (and redactable).
    expect(plainText('a < b <c> <= <3')).toBe('a < b <c> <= <3');
    for (const block of [header(raw), { type: 'actions', elements: [button(raw, 'a', 'v')] }, { type: 'section', text: { type: 'mrkdwn', text: 'x' }, accessory: confirmDialog(raw, raw, raw) }]) {
      const texts = textObjects(block).filter((t) => t.type === 'plain_text');
      expect(texts.length).toBeGreaterThan(0);
      for (const { text } of texts) {
        expect(text).not.toMatch(/&(lt|gt|amp);/);
        for (const bad of FORBIDDEN) expect(text).not.toContain(bad);
      }
    }
  });

  it('inline code cannot be closed early and escapes once', () => {
    expect(inlineCode('a`<!here>&')).toBe("`a'&lt;!here&gt;&amp;`");
  });

  it('links only plain http(s) URLs, without anything that would end the URL part', () => {
    expect(slackUrl('https://ci.example/run?a=1&b=<x>|y')).toBe('https://ci.example/run?a=1&amp;b=%3Cx%3E%7Cy');
    expect(slackUrl('https://ci.example/a b\t|<!here>')).toBe('https://ci.example/a%20b%7C%3C!here%3E');
    expect(slackUrl('https://github.com@evil.example/x')).toBeUndefined();
    expect(slackUrl('https://u:p@ci.example/x')).toBeUndefined();
    expect(slackUrl('javascript:alert(1)//https://x')).toBeUndefined();
    expect(slackUrl('ftp://ci.example/x')).toBeUndefined();
    for (const url of ['https://ci.example/a b', 'https://ci.example/<@U0VICTIM1>', 'https://ci.example/?q=|x']) {
      expect(slackUrl(url)).toMatch(/^https:\/\/[^\s<>|]+$/);
    }
  });

  it('pings only Slack user ids; a webhook-started run’s requester stays text', () => {
    expect(mention('U0ALICE')).toBe('<@U0ALICE>');
    expect(mention(`github:${LOGIN}`)).toBe(`github:${LOGIN}`);
    expect(mention('<!here>')).toBe('&lt;!here&gt;');
  });
});

describe('CI notification with hostile names', () => {
  it('shows every name as text, never a ping or a link; the author is never mentioned', () => {
    const message = renderNotification(notification());
    expectUnforgeable(message);
    const mrkdwn = mrkdwnOf(message);
    expect(mrkdwn).not.toContain('<@');
    expect(seen(mrkdwn)).toContain(SUBJECT.replace(/\s+/g, ' '));
    expect(mrkdwn).toContain(`cc ${LOGIN}`);
    expect(mrkdwn).toContain(`by ${LOGIN}`);
    // The header (plain text) shows the workflow's name as it is written.
    expect(seenPlain(plainOf(message))).toContain(PIPELINE);
  });

  it('keeps link labels and URLs from ending a link early', () => {
    const hostileRepo = 'evil|<https://evil.example|x>';
    const message = renderNotification(
      notification({ source: 'ci', repo: hostileRepo, runNumber: undefined, runId: 'r|1>', links: { repo: 'https://ci.example/r', run: 'https://ci.example/run|<!here>', branch: 'https://ci.example/b b' } }),
    );
    expectUnforgeable(message);
    const made = links(mrkdwnOf(message));
    expect(made.length).toBeGreaterThanOrEqual(3);
    for (const { url, label } of made) {
      expect(url).toMatch(/^https?:\/\/[^\s<>|]+$/);
      expect(label).not.toMatch(/[|<>]/);
    }
  });

  it('mentions only the Slack user the CI event names, only on failure', () => {
    const failed = renderNotification(notification({ source: 'ci', slackUser: 'U0ONCALL' }));
    expect(mrkdwnOf(failed).match(/<@[^>]*>/g)).toEqual(['<@U0ONCALL>']);
    expect(failed.text).not.toContain('<@');
    const passed = renderNotification(notification({ source: 'ci', slackUser: 'U0ONCALL', status: 'passed', transition: 'fixed' }));
    expect(JSON.stringify(passed)).not.toContain('<@');
  });

  it('escapes the fallback text (mrkdwn) and keeps the attachment fallback plain', () => {
    const message = renderNotification(notification());
    expect(message.text).toContain('CI &lt;@U0VICTIM2&gt; &lt;!everyone&gt; #562 failed on feature/&lt;!channel&gt;|x`y (4d124eb)');
    expect(seen(message.text)).toContain(`${PIPELINE} #562 failed on ${BRANCH}`);
    const fallback = message.attachments![0]!.fallback!;
    expect(seenPlain(fallback)).toContain(`${PIPELINE} #562 failed on ${BRANCH}`);
  });
});

describe('run cards with hostile commits', () => {
  it('a build card shows subject, author, ref and output as text', () => {
    const card = renderRunCard(run(), T0 + 5000);
    expectUnforgeable(card);
    const mrkdwn = seen(mrkdwnOf(card));
    expect(mrkdwn).toContain(SUBJECT);
    expect(mrkdwn).toContain(`by ${AUTHOR}`);
    expect(mrkdwn).toContain(`requested by github:${LOGIN}`);
    expect(mrkdwn).toContain(TAIL[0]);
    expect(card.text).toContain('&lt;@U0VICTIM1&gt;');
    expect(seen(card.text)).toContain(SUBJECT);
  });

  it('a running build card keeps its Cancel button and dialog plain', () => {
    const card = renderRunCard(run({ lanes: [{ name: 'build', steps: [step({ status: 'running', tail: undefined })], startedAt: T0 }] }), T0 + 5000);
    expectUnforgeable(card);
    expect(plainOf(card)).toContain('Cancel');
  });

  it('a deploy card shows subject, author, ref, tests and branches as text, in every state', () => {
    const branches = ['master', 'release-<!here>', 'tag:v1.0<@U0VICTIM6>'];
    const states: Partial<Run>[] = [
      {},
      { decision: { state: 'rejected', by: 'U0BOB', at: T0 } },
      { decision: { state: 'approved', by: 'U0BOB', at: T0 } },
      { decision: { state: 'approved', by: 'U0BOB', at: T0 }, destroy: { by: 'U0BOB', at: T0, laneNames: ['aws'] }, destroyLanes: [{ name: 'aws', steps: [step({ name: 'terraform destroy' })], startedAt: T0, finishedAt: T0 + 1 }] },
    ];
    for (const state of states) {
      const card = renderDeployCard(deploy({ branches, ...state }), { now: T0 + 5000, destroyConfigured: true, testSuites: ['serverspec', '<!here>', '<@U0VICTIM7>'] });
      expectUnforgeable(card);
      const mrkdwn = seen(mrkdwnOf(card));
      expect(mrkdwn).toContain(SUBJECT);
      expect(mrkdwn).toContain(`by ${AUTHOR}`);
      expect(mrkdwn).toContain('on branches: `master`, `release-<!here>` · tag: `v1.0<@U0VICTIM6>`');
    }
  });

  it('the verdict line, the failures thread and the history show hostile text as text', () => {
    expectUnforgeable(renderVerdict(run({ channel: 'D0DM' })));
    expect(seen(mrkdwnOf(renderVerdict(run())))).toContain(SUBJECT.slice(0, 100));

    const summary: TestSummary = {
      format: 'junit',
      verdict: 'failed',
      passed: 1,
      failed: 1,
      skipped: 0,
      errors: 0,
      total: 2,
      failures: [{ name: '<!here> test <@U0VICTIM1>', message: '<https://evil.example|boom>', location: '<#C0GENERAL>' }],
      notes: [],
    };
    const thread = renderFailuresThread({ name: 'aws', steps: [step({ summary })] }, '<!channel> aws');
    expectUnforgeable(thread!);
    expect(seen(mrkdwnOf(thread!))).toContain('<!here> test <@U0VICTIM1>');

    const entries: AuditEntry[] = [{ action: 'build.requested', by: `github:${LOGIN}`, at: T0, runId: 'b7', commit: SHA, reason: SUBJECT }];
    const history = renderHistory(entries, '<!here>');
    for (const bad of FORBIDDEN) expect(history).not.toContain(bad);
    expect(seen(history)).toContain(`github:${LOGIN} started build`);
  });

  it('report lines escape what a report says', () => {
    const terraform: TestSummary = {
      format: 'terraform',
      verdict: 'passed',
      passed: 0,
      failed: 0,
      skipped: 0,
      errors: 0,
      total: 0,
      failures: [],
      notes: [],
      details: { format: 'terraform', kind: 'outputs', count: 1, outputs: [{ name: '<!here>', value: '<@U0VICTIM1>' }] },
    };
    const line = summaryLine(terraform);
    for (const bad of FORBIDDEN) expect(line).not.toContain(bad);
    expect(seen(line)).toContain('<!here>=<@U0VICTIM1>');
  });
});

describe('lock messages', () => {
  it('show a reason as text, escaped once, and mention only the Slack user holding the lock', () => {
    const reason = '<!here> load test <@U0VICTIM1> & <https://evil.example|x>';
    const text = lockMessage('aws', 'sticky', { owner: 'U0OWNER', since: T0, reason });
    expect(text.match(/<@[^>]*>/g)).toEqual(['<@U0OWNER>']);
    for (const bad of FORBIDDEN) expect(text).not.toContain(bad);
    expect(seen(text)).toContain(reason);
    for (const bad of DOUBLE_ESCAPED) expect(text).not.toContain(bad);
  });
});

describe('branches on the approval card', () => {
  it('names the branches and tags holding the commit, capped, escaped', () => {
    expect(branchesNote(undefined)).toBeUndefined();
    expect(branchesNote([])).toBe('⚠️ on no branch or tag');
    expect(branchesNote(['master'])).toBe('on branch: `master`');
    expect(branchesNote(['master', 'release-1'])).toBe('on branches: `master`, `release-1`');
    expect(branchesNote(['tag:v1.0'])).toBe('on tag: `v1.0`');
    expect(branchesNote(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe('on branches: `a`, `b`, `c`, `d`, `e` · +2 more');
    expect(branchesNote(['a`b <!here>'])).toBe("on branch: `a'b &lt;!here&gt;`");
  });

  it('stays within Block Kit limits with 500 long branch names', () => {
    const branches = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? `tag:v${i}-${'t'.repeat(300)}` : `feature/${i}-<!here>-${'b'.repeat(300)}`));
    for (const state of [{}, { decision: { state: 'approved' as const, by: 'U0BOB', at: T0 } }]) {
      const card = renderDeployCard(deploy({ branches, ...state }), { now: T0 + 5000, testSuites: ['serverspec'] });
      expectUnforgeable(card);
      const line = textObjects(card.blocks).find((t) => t.text.includes('more'))!.text;
      expect(line).toContain(`+${500 - MAX_BRANCHES_SHOWN} more`);
      expect(line.length).toBeLessThanOrEqual(LIMITS.fieldText);
    }
  });
});

describe('Block Kit shape', () => {
  it('marks mrkdwn texts verbatim, so Slack links nothing a view did not write as a link', () => {
    const objects: Record<string, unknown>[] = [];
    const collect = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collect);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (o.type === 'mrkdwn') objects.push(o);
        Object.values(o).forEach(collect);
      }
    };
    collect(renderRunCard(run(), T0 + 5000).blocks);
    collect(renderNotification(notification()));
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) expect(o.verbatim).toBe(true);
  });
});
