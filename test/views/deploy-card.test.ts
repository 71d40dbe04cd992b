import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { blockLane, failLane } from '../../src/runs/lane.js';
import { newLane, type Lane, type LaneBlock, type Run } from '../../src/runs/run.js';
import { laneProblem, renderDeployCard } from '../../views/deploy-card.js';
import { limitViolations } from '../../views/limits.js';

const T0 = Date.UTC(2026, 10, 26, 9, 12, 0);

function deploy(lanes: Lane[], extra: Partial<Run> = {}): Run {
  return {
    id: 'd7',
    kind: 'deploy',
    ref: 'main',
    sha: '4d124eb0c1f3a8e2b6d9f0a1b2c3d4e5f6a7b8c9',
    subject: 'Add serverspec for marathon',
    author: 'Enxebre',
    requestedBy: 'U0ALICE',
    channel: 'C0APOLLO',
    createdAt: T0,
    laneNames: lanes.map((l) => l.name),
    lanes,
    decision: { state: 'approved', by: 'U0BOB', at: T0 },
    ...extra,
  };
}

function text(blocks: KnownBlock[]): string {
  return blocks.map((b) => (b as { text?: { text?: string } }).text?.text ?? '').join('\n');
}

const blocked = (b: LaneBlock, name = 'aws') => blockLane(newLane(name, ['apply', 'serverspec']), b, T0 + 1000);

describe('deploy card: lanes that could not run', () => {
  it('a sticky lock names its owner as a mention, with the reason escaped exactly once', () => {
    const reason = 'load test <!here> & <@U0VICTIM>';
    const card = renderDeployCard(deploy([blocked({ kind: 'locked', lock: 'sticky', cloud: 'aws', by: 'U0OWNER', since: T0, reason })]), { now: T0 + 60_000 });
    const all = text(card.blocks);
    expect(all).toContain('❌ *aws* failed');
    expect(all).toContain('*aws* is locked by <@U0OWNER> since 09:12 UTC: load test &lt;!here&gt; &amp; &lt;@U0VICTIM&gt;');
    expect(all).not.toContain('&lt;@U0OWNER');
    expect(all).not.toContain('&amp;lt;');
    expect(all).not.toContain('&amp;amp;');
    expect(all.match(/<@U0OWNER>/g)).toHaveLength(1);
    expect(all).not.toContain('<!here>');
    expect(all).toContain('*failed*');
    expect(limitViolations(card.blocks)).toEqual([]);
  });

  it('a cloud another run holds names that run and its owner', () => {
    const card = renderDeployCard(deploy([blocked({ kind: 'locked', lock: 'run', cloud: 'aws', by: 'U0OTHER', since: T0, runId: 'd3' })]), { now: T0 + 60_000 });
    expect(text(card.blocks)).toContain('*aws* is in use by run `d3` (<@U0OTHER>) since 09:12 UTC');
  });

  it('a destroy refused because another deploy took the cloud over says which run carries it now', () => {
    expect(laneProblem(blocked({ kind: 'taken-over', cloud: 'aws', currentRunId: 'd9' }))).toBe('not destroyed: *aws* now carries run `d9`');
    expect(laneProblem(blocked({ kind: 'taken-over', cloud: 'aws' }))).toBe('not destroyed: *aws* now carries no deploy of this run');
  });

  it('a free-text failure is shown as text, escaped once', () => {
    const lane = failLane(newLane('digitalocean', ['apply']), 'fatal: <@U0VICTIM> & <!channel> not found', T0);
    const all = text(renderDeployCard(deploy([lane])).blocks);
    expect(all).toContain('fatal: &lt;@U0VICTIM&gt; &amp; &lt;!channel&gt; not found');
    expect(all).not.toContain('<@U0VICTIM>');
  });

  it('a lane with nothing wrong has no problem line', () => {
    expect(laneProblem(newLane('aws', ['apply']))).toBeUndefined();
  });
});

describe('deploy card: approvals from more than one person', () => {
  const contextText = (blocks: KnownBlock[]) => blocks.map((b) => (b.type === 'context' ? b.elements.map((e) => ('text' in e ? e.text : '')).join(' ') : '')).join('\n');

  it('a request shows who has approved so far and what each cloud needs, within the limits', () => {
    const pending = deploy([newLane('aws', ['apply']), newLane('gcp', ['apply'])], { approvalExpiresAt: T0 + 3_600_000, approvals: [{ by: 'U0BOB', at: T0 }] });
    delete pending.decision;
    const card = renderDeployCard(pending, { requiredApprovals: { aws: 2, gcp: 1 } });
    const all = contextText(card.blocks);
    expect(all).toContain('👥 approved so far by <@U0BOB>');
    expect(all).toContain('*aws* needs 2 approvals from different people, not the requester');
    expect(all).not.toContain('*gcp* needs');
    expect(limitViolations(card.blocks)).toEqual([]);
  });

  it('nothing is said while one approval is enough and none was given', () => {
    const pending = deploy([newLane('aws', ['apply'])], { approvalExpiresAt: T0 + 3_600_000 });
    delete pending.decision;
    expect(contextText(renderDeployCard(pending, { requiredApprovals: { aws: 1 } }).blocks)).not.toContain('approved so far');
  });

  it('the stamp names every approver whose approval counted', () => {
    const card = renderDeployCard(deploy([newLane('aws', ['apply'])], { decision: { state: 'approved', by: 'U0CAROL', at: T0, approvers: ['U0BOB', 'U0CAROL'] } }), { now: T0 + 60_000 });
    expect(contextText(card.blocks)).toContain('✅ Approved by <@U0BOB>, <@U0CAROL> at 09:12 UTC');
    // Seen on another day, the stamp says which.
    expect(contextText(renderDeployCard(deploy([newLane('aws', ['apply'])], { decision: { state: 'approved', by: 'U0CAROL', at: T0, approvers: ['U0CAROL'] } }), { now: T0 + 3 * 86_400_000 }).blocks)).toContain('at Thu 26 Nov 09:12 UTC');
  });
});

describe('deploy card: plans', () => {
  const resources = Array.from({ length: 60 }, (_, i) => ({ address: `aws_instance.node[${i}]`, action: (i % 3 === 0 ? 'delete' : i % 3 === 1 ? 'replace' : 'create') as 'delete' | 'replace' | 'create' }));
  const planned: Lane = {
    name: 'aws',
    startedAt: T0,
    finishedAt: T0 + 1,
    steps: [{ name: 'plan', status: 'passed', role: 'plan', summary: { format: 'terraform-plan', verdict: 'passed', passed: 0, failed: 0, skipped: 0, errors: 0, total: 0, failures: [], notes: [], details: { format: 'terraform-plan', add: 40, change: 0, destroy: 40, resources: resources.slice(0, 50), resourceCount: 60, digest: 'd'.repeat(64) } } }],
  };

  it('names resources (capped), highlights destroys, and stays within the limits', () => {
    const run = deploy([newLane('aws', ['plan', 'apply'])], { planLanes: [planned], approvalExpiresAt: T0 + 3_600_000 });
    delete run.decision;
    const card = renderDeployCard(run);
    const all = text(card.blocks);
    expect(all).toContain('📋 *aws*: `+40 ~0 −40`');
    expect(all).toContain('+52 more');
    expect(all).toContain('⚠️ *destroys 40*: `aws_instance.node[0]`, `aws_instance.node[1]` (replaced)');
    expect(limitViolations(card.blocks)).toEqual([]);
  });

  it('a plan still running or failed offers no Approve', () => {
    const failing = { ...planned, steps: [{ name: 'plan', status: 'failed' as const, role: 'plan' as const, reason: 'exit code 1' }] };
    const run = deploy([newLane('aws', ['plan', 'apply'])], { planLanes: [failing] });
    delete run.decision;
    const card = renderDeployCard(run);
    expect(text(card.blocks)).toContain('❌ *aws*: plan failed — plan (exit code 1)');
    const actions = card.blocks.filter((b) => b.type === 'actions').flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => ('text' in e && e.text ? e.text.text : '')) : []));
    expect(actions).toEqual(['Reject', 'Plan logs: aws']);
  });
});
