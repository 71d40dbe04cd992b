import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { renderRunCard, progressBar } from '../../views/run-card.js';
import { codeBlock, limitViolations, LIMITS, button, capBlocks, section } from '../../views/limits.js';
import { newLane, type Run, type StepState } from '../../src/runs/run.js';
import { blockLane, failLane } from '../../src/runs/lane.js';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

function run(steps: StepState[], extra: Partial<Run> = {}): Run {
  return {
    id: 'b7',
    kind: 'build',
    ref: 'main',
    sha: '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9',
    subject: 'Add serverspec for marathon',
    author: 'Enxebre',
    requestedBy: 'U0ALICE',
    channel: 'C0APOLLO',
    createdAt: T0,
    laneNames: ['build'],
    lanes: [{ name: 'build', steps, startedAt: T0 + 1000, ...(steps.every((s) => s.status !== 'queued' && s.status !== 'running') ? { finishedAt: T0 + 65_000 } : {}) }],
    ...extra,
  };
}

function text(blocks: KnownBlock[]): string {
  return blocks.map((b) => (b as { text?: { text?: string } }).text?.text ?? '').join('\n');
}

describe('run card', () => {
  it('shows each step with its icon and duration, progress and verdict', () => {
    const card = renderRunCard(
      run([
        { name: 'packer validate', status: 'passed', startedAt: T0 + 1000, finishedAt: T0 + 13_000, exitCode: 0 },
        { name: 'ansible-lint', status: 'running', startedAt: T0 + 13_000 },
        { name: 'bash tests', status: 'queued' },
      ]),
      T0 + 20_000,
    );
    const all = text(card.blocks);
    expect(all).toContain('✅ packer validate  _12s_');
    expect(all).toContain('🔄 ansible-lint  _7s_');
    expect(all).toContain('⏳ bash tests');
    expect(all).toContain('▰▰▰▰▱▱▱▱▱▱▱▱ 1/3 steps');
    expect(all).toContain('running for 19s');
    expect(all).toContain('requested by <@U0ALICE>');
    expect(card.text).toContain('Build 4d124eb · b7: running');
  });

  it('shows the verdict, total time and the failing step’s last lines', () => {
    const tail = Array.from({ length: 20 }, (_, i) => `line ${i + 11}`);
    const card = renderRunCard(
      run([
        { name: 'packer validate', status: 'passed', startedAt: T0 + 1000, finishedAt: T0 + 2000, exitCode: 0 },
        { name: 'ansible-lint', status: 'failed', startedAt: T0 + 2000, finishedAt: T0 + 65_000, exitCode: 2, reason: 'exit code 2', tail },
        { name: 'bash tests', status: 'skipped' },
      ]),
    );
    const all = text(card.blocks);
    expect(all).toContain('❌ ansible-lint  _1m 03s_ (exit code 2)');
    expect(all).toContain('⏭️ bash tests');
    expect(all).toContain('*failed* in 1m 04s');
    expect(all).toContain('```line 11\n');
    expect(all).toContain('line 30\n```');
  });

  it('stays within Block Kit limits whatever the run holds', () => {
    const huge = 'x'.repeat(5000);
    const steps: StepState[] = Array.from({ length: 120 }, (_, i) => ({
      name: `step ${i} ${'n'.repeat(70)}`,
      status: i === 119 ? 'failed' : 'passed',
      startedAt: T0,
      finishedAt: T0 + 1000,
      reason: huge,
      ...(i === 119 ? { tail: Array.from({ length: 20 }, () => huge) } : {}),
    }));
    const card = renderRunCard(run(steps, { subject: huge, author: huge, ref: 'r'.repeat(200) }));
    expect(limitViolations(card.blocks)).toEqual([]);
    expect(card.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);

    const lanes = Array.from({ length: 80 }, (_, i) => ({ name: `cloud${i}`, steps: [{ name: huge, status: 'failed' as const, tail: [huge], startedAt: T0, finishedAt: T0 + 1 }], startedAt: T0, finishedAt: T0 + 1 }));
    const deploy = renderRunCard({ ...run([]), kind: 'deploy', laneNames: lanes.map((l) => l.name), lanes });
    expect(deploy.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
    expect(limitViolations(deploy.blocks)).toEqual([]);
  });

  it('escapes mrkdwn in everything that comes from git or steps', () => {
    const card = renderRunCard(run([{ name: 'a', status: 'failed', tail: ['<!channel> & ```'], startedAt: T0, finishedAt: T0 }], { subject: '<!here> ping' }));
    const all = text(card.blocks);
    expect(all).not.toContain('<!here>');
    expect(all).not.toContain('<!channel>');
    expect(all).toContain('&lt;!here&gt;');
  });

  it('words a lane that could not run from its data: the lock holder as a mention, the failure text escaped once', () => {
    const locked = blockLane(newLane('aws', ['apply']), { kind: 'locked', lock: 'sticky', cloud: 'aws', by: 'U0OWNER', since: T0, reason: 'soak <!here>' }, T0);
    const broken = failLane(newLane('gcp', ['apply']), 'fetch failed: <@U0VICTIM>', T0);
    const card = renderRunCard({ ...run([]), kind: 'deploy', laneNames: ['aws', 'gcp'], lanes: [locked, broken] }, T0 + 60_000);
    const all = text(card.blocks);
    expect(all).toContain('*aws* is locked by <@U0OWNER> since 09:00 UTC: soak &lt;!here&gt;');
    expect(all).toContain('fetch failed: &lt;@U0VICTIM&gt;');
    expect(all).not.toContain('&amp;lt;');
  });
});

describe('limits helpers', () => {
  it('detects each kind of violation', () => {
    const tooMany = Array.from({ length: 51 }, () => section('a'));
    expect(limitViolations(tooMany)).toEqual(['51 blocks > 50']);
    expect(limitViolations([{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }])[0]).toMatch(/3001 > 3000/);
    expect(limitViolations([{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'b'.repeat(76) } }] }])[0]).toMatch(/76 > 75/);
  });

  it('clamps what it builds', () => {
    // Inside an actions block, where the limits are checked: a long label and action id are clamped.
    expect(limitViolations([{ type: 'actions', elements: [button('b'.repeat(200), 'a'.repeat(300), 'v')] }])).toEqual([]);
    expect((button('b'.repeat(200), 'id', 'v').text as { text: string }).text).toHaveLength(75);
    expect(capBlocks(Array.from({ length: 60 }, () => section('a')))).toHaveLength(50);
    expect(codeBlock('y'.repeat(10_000)).length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(progressBar(0, 0)).toBe('▰▰▰▰▰▰▰▰▰▰▰▰ 0/0 steps');
  });
});
