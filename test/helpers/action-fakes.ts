import { ConfigSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import type { AuditEntry } from '../../src/audit/audit-log.js';
import type { Access } from '../../src/access/access.js';
import type { GitMirror } from '../../src/git/mirror.js';
import type { CloudLocks, LockHolder } from '../../src/queue/cloud-locks.js';
import type { LanePhase, RunStore } from '../../src/runs/run-store.js';
import type { Decision, DestroyRequest, Lane, Run, RunKind, RunMeta } from '../../src/runs/run.js';
import type { Cards } from '../../src/actions/ports.js';
import type { ExpiryQueue } from '../../src/queue/expiry-queue.js';
import type { GreenBuilds, GreenSource } from '../../src/runs/green-builds.js';

/**
 * In-memory stand-ins for the narrow ports actions declare. Each records what it was asked, so a
 * test can say both what the action answered and what it touched; none needs Redis or Slack.
 */

export const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const CHANNEL = 'C0DEPLOYS';
export const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

/** A parsed configuration: the schema fills the defaults the actions read. */
export function testConfig(input: Partial<ConfigInput> = {}): Config {
  return ConfigSchema.parse({ repository: '/srv/repo.git', build: { steps: [{ name: 'compile', run: 'make' }] }, ...input });
}

/** Principals as `Access.allows` reads them, without usergroups (those need Slack). */
export function fakeAccess(): Pick<Access, 'allows'> & { asked: Array<{ principals: readonly string[]; user: string }> } {
  const asked: Array<{ principals: readonly string[]; user: string }> = [];
  return {
    asked,
    async allows(principals, user) {
      asked.push({ principals, user });
      return principals.includes('*') || principals.includes(user);
    },
  };
}

export function memoryAudit(options: { fails?: boolean } = {}): { append(entry: Omit<AuditEntry, 'at'>): Promise<void>; entries: Array<Omit<AuditEntry, 'at'>> } {
  const entries: Array<Omit<AuditEntry, 'at'>> = [];
  return {
    entries,
    async append(entry) {
      if (options.fails) throw new Error('audit stream unavailable');
      entries.push(entry);
    },
  };
}

export function fakeLogger(): { warn: (obj: unknown, msg?: string) => void; warnings: Array<{ obj: unknown; msg?: string }> } {
  const warnings: Array<{ obj: unknown; msg?: string }> = [];
  return {
    warnings,
    warn(obj: unknown, msg?: string) {
      warnings.push({ obj, msg });
    },
  };
}

/** Resolves refs from a table: a ref missing from it is unknown, as the mirror would say. */
export function fakeMirror(
  refs: Record<string, { sha: string; branches: string[] }> = { main: { sha: SHA, branches: ['main'] }, [SHA]: { sha: SHA, branches: ['main'] } },
  /** Files of the commits, by path (the same for every commit). */
  files: Record<string, string> = {},
): Pick<GitMirror, 'resolve' | 'commitInfo' | 'readFile'> & { resolved: string[] } {
  const resolved: string[] = [];
  return {
    resolved,
    async readFile(_sha, path) {
      return files[path];
    },
    async resolve(ref) {
      resolved.push(ref);
      const found = refs[ref];
      if (!found) throw new Error(`unknown ref ${ref}`);
      return found;
    },
    async commitInfo(sha) {
      return { sha, subject: 'Make it so', author: 'Jean-Luc' };
    },
  };
}

/** Cards that record what was posted and flushed; `post` fails when `postFails` is given. */
export function fakeCards(options: { postFails?: Error } = {}): Cards & { posted: Array<{ runId: string; channel: string }>; flushed: string[]; refreshed: string[] } {
  const posted: Array<{ runId: string; channel: string }> = [];
  const flushed: string[] = [];
  const refreshed: string[] = [];
  return {
    posted,
    flushed,
    refreshed,
    async post(runId, channel) {
      if (options.postFails) throw options.postFails;
      posted.push({ runId, channel });
      return { ts: '1.1' };
    },
    async flush(runId) {
      flushed.push(runId);
    },
    refresh(runId) {
      refreshed.push(runId);
    },
  };
}

/** Locks whose blockers are given per cloud; records each question. */
export function fakeLocks(blockers: Record<string, { kind: 'run' | 'sticky'; holder: LockHolder }> = {}): Pick<CloudLocks, 'blocker'> & { asked: Array<{ cloud: string; user: string; exceptRunId?: string }> } {
  const asked: Array<{ cloud: string; user: string; exceptRunId?: string }> = [];
  return {
    asked,
    async blocker(cloud, user, exceptRunId) {
      asked.push({ cloud, user, ...(exceptRunId !== undefined ? { exceptRunId } : {}) });
      return blockers[cloud];
    },
  };
}

type RunsPort = Pick<RunStore, 'get' | 'addApproval' | 'addDestroyVote' | 'decide' | 'undoDecision' | 'startDestroy' | 'undoDestroy' | 'markCancelled' | 'saveLane' | 'nextId' | 'create' | 'delete' | 'setKeepUntil' | 'clearKeep' | 'moveKeep'>;

export interface MemoryRuns extends RunsPort {
  /** The stored runs, by id; tests may change them to set up a race. */
  readonly stored: Map<string, Run>;
  readonly calls: Array<{ method: keyof RunsPort; args: unknown[] }>;
  callsOf(method: keyof RunsPort): unknown[][];
}

/**
 * RunStore's semantics without Redis: the once-written fields (decision, destroy, the cancel flags)
 * are first-write-wins, like its HSETNX; `get` returns a copy, like reading the hash.
 */
export function memoryRuns(...runs: Run[]): MemoryRuns {
  const stored = new Map(runs.map((r) => [r.id, structuredClone(r)]));
  const calls: MemoryRuns['calls'] = [];
  let seq = 0;
  const record = (method: keyof RunsPort, args: unknown[]) => calls.push({ method, args: structuredClone(args) });
  const must = (runId: string) => {
    const run = stored.get(runId);
    if (!run) throw new Error(`no run ${runId}`);
    return run;
  };
  return {
    stored,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
    async get(runId) {
      record('get', [runId]);
      const run = stored.get(runId);
      return run ? structuredClone(run) : undefined;
    },
    async decide(runId, decision: Decision) {
      record('decide', [runId, decision]);
      const run = must(runId);
      if (run.decision) return { won: false, decision: run.decision };
      run.decision = decision;
      return { won: true, decision };
    },
    async addApproval(runId, by, at) {
      record('addApproval', [runId, by, at]);
      const run = must(runId);
      if (run.approvals?.some((a) => a.by === by)) return false;
      run.approvals = [...(run.approvals ?? []), { by, at }];
      return true;
    },
    async addDestroyVote(runId, by, at, staleBefore) {
      record('addDestroyVote', [runId, by, at, staleBefore]);
      const run = must(runId);
      const mine = run.destroyVotes?.find((v) => v.by === by);
      if (mine && mine.at >= staleBefore) return false;
      run.destroyVotes = [...(run.destroyVotes ?? []).filter((v) => v.by !== by), { by, at }];
      return true;
    },
    async undoDecision(runId) {
      record('undoDecision', [runId]);
      delete must(runId).decision;
    },
    async startDestroy(runId, request: DestroyRequest, lanes: Lane[], onlyIfKeepUntil?: number) {
      record('startDestroy', [runId, request, lanes]);
      const run = must(runId);
      if (run.destroy) return false;
      if (onlyIfKeepUntil !== undefined && run.keepUntil !== onlyIfKeepUntil) return false;
      run.destroy = request;
      run.destroyLanes = lanes;
      return true;
    },
    async undoDestroy(runId, clouds) {
      record('undoDestroy', [runId, clouds]);
      const run = must(runId);
      delete run.destroy;
      run.destroyLanes = (run.destroyLanes ?? []).filter((l) => !clouds.includes(l.name));
    },
    async markCancelled(runId, by, phase: LanePhase = 'run') {
      record('markCancelled', [runId, by, phase]);
      const run = must(runId);
      const field = phase === 'run' ? 'cancelledBy' : 'destroyCancelledBy';
      if (run[field]) return false;
      run[field] = by;
      return true;
    },
    async saveLane(runId, lane, phase: LanePhase = 'run') {
      record('saveLane', [runId, lane, phase]);
      const run = must(runId);
      const lanes = phase === 'run' ? run.lanes : (run.destroyLanes ??= []);
      const at = lanes.findIndex((l) => l.name === lane.name);
      if (at >= 0) lanes[at] = lane;
      else lanes.push(lane);
      return true;
    },
    async nextId(kind: RunKind) {
      record('nextId', [kind]);
      seq += 1;
      return `${kind === 'build' ? 'b' : 'd'}${seq}`;
    },
    async create(meta: RunMeta, lanes: Lane[]) {
      record('create', [meta, lanes]);
      stored.set(meta.id, { ...meta, lanes });
    },
    async setKeepUntil(runId, at) {
      record('setKeepUntil', [runId, at]);
      must(runId).keepUntil = at;
    },
    async moveKeep(runId, from, to) {
      record('moveKeep', [runId, from, to]);
      const run = must(runId);
      if (run.keepUntil !== from || run.destroy) return false;
      run.keepUntil = to;
      return true;
    },
    async clearKeep(runId) {
      record('clearKeep', [runId]);
      delete must(runId).keepUntil;
    },
    async delete(runId) {
      record('delete', [runId]);
      stored.delete(runId);
    },
  };
}

/** A run as RunStore would return it; lanes default to one queued lane per name. */
export function aRun(kind: RunKind, overrides: Partial<Run> = {}): Run {
  const laneNames = overrides.laneNames ?? (kind === 'build' ? ['build'] : ['aws']);
  return {
    id: kind === 'build' ? 'b7' : 'd7',
    kind,
    ref: 'main',
    sha: SHA,
    subject: 'Make it so',
    author: 'Jean-Luc',
    requestedBy: 'U0REQUESTER',
    channel: CHANNEL,
    createdAt: T0,
    laneNames,
    lanes: laneNames.map((name) => ({ name, steps: [{ name: 'apply', status: 'queued' }] })),
    ...overrides,
  };
}

/** A lane that ran to the end with every step passed. */
export function passedLane(name: string, at = T0): Lane {
  return { name, startedAt: at, finishedAt: at + 1000, steps: [{ name: 'apply', status: 'passed', startedAt: at, finishedAt: at + 1000, exitCode: 0 }] };
}

/** A lane whose first step is running. */
export function runningLane(name: string, at = T0): Lane {
  return { name, startedAt: at, steps: [{ name: 'apply', status: 'running', startedAt: at }, { name: 'test', status: 'queued' }] };
}

/** The `access:` section as apollo.yml spells it. */
export type AccessInput = NonNullable<ConfigInput['access']>;

/** Green commits from a list; records what was made green. */
export function fakeGreenBuilds(green: string[] = []): Pick<GreenBuilds, 'green' | 'record'> & { recorded: Array<{ sha: string; source: GreenSource }> } {
  const recorded: Array<{ sha: string; source: GreenSource }> = [];
  return {
    recorded,
    async green(sha) {
      return green.includes(sha) || recorded.some((r) => r.sha === sha) ? { kind: 'build', runId: 'b1' } : undefined;
    },
    async record(sha, source) {
      recorded.push({ sha, source });
    },
  };
}

/** The deploys' timers, recorded instead of queued; `fails` makes every schedule throw. */
export function fakeExpiry(options: { fails?: Error } = {}): Pick<ExpiryQueue, 'schedule' | 'scheduleApprovalExpiry'> & {
  approvals: Array<{ runId: string; at: number }>;
  lifetimes: Array<{ runId: string; at: number; remindAt: number }>;
} {
  const approvals: Array<{ runId: string; at: number }> = [];
  const lifetimes: Array<{ runId: string; at: number; remindAt: number }> = [];
  return {
    approvals,
    lifetimes,
    async scheduleApprovalExpiry(runId, at) {
      if (options.fails) throw options.fails;
      approvals.push({ runId, at });
    },
    async schedule(runId, at, remindAt) {
      if (options.fails) throw options.fails;
      lifetimes.push({ runId, at, remindAt });
    },
  };
}
