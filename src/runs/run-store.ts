import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';
import { SCRIPTS } from '../redis/scripts.js';
import type { Decision, DestroyRequest, Lane, Run, RunKind, RunMeta } from './run.js';

/** How long a finished run's record is kept for cards, `/apollo status` and history. */
const RUN_TTL_SECONDS = 30 * 24 * 3600;

/** One field per approval of a deploy request: `approval:<user>` → when. */
const APPROVAL_FIELD = 'approval:';
/** One field per destroyer who confirmed a destroy (`destroy.requiredApprovals`): `destroy-vote:<user>` → when. */
const DESTROY_VOTE_FIELD = 'destroy-vote:';

/** Where the run's card was posted (`{ channel, ts }`); older versions kept it in `meta`. */
const MESSAGE_FIELD = 'message';

/** A deploy's lanes: its plan (before the approval), its run, and its destroy. */
export type LanePhase = 'run' | 'destroy' | 'plan';

/** Each phase has its own cancel flag: a cancelled deploy can still be destroyed. */
export function cancelField(phase: LanePhase): string {
  return phase === 'run' ? 'cancel' : `cancel:${phase}`;
}

function laneField(name: string, phase: LanePhase): string {
  return phase === 'run' ? `lane:${name}` : `${phase}:${name}`;
}

/** A lane's step `i`, when the lane is stored step by step (see RunStore.saveLane). */
function stepField(lane: string, i: number): string {
  return `${lane}#${i}`;
}

/** A lane stored step by step: its own fields, and how many step fields follow it. */
type StoredLaneHeader = Omit<Lane, 'steps'> & { stepFields: number };

/**
 * Runs live in Redis, one hash per run: `meta`, each lane (a field for the lane, and once its job
 * saves it, a field per step: `lane:aws`, `lane:aws#0`…), and the fields written once (`decision`,
 * `destroy`, `cancel`) with HSETNX so that concurrent clicks agree on one outcome. A lane is written
 * only by the job that runs it, so parallel clouds never overwrite each other.
 */
export class RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Short ids people can type: b12 for builds, d13 for deploys. */
  async nextId(kind: RunKind): Promise<string> {
    const n = await this.redis.incr(this.keys.runSeq());
    return `${kind === 'build' ? 'b' : 'd'}${n}`;
  }

  async create(meta: RunMeta, lanes: Lane[]): Promise<void> {
    const key = this.keys.run(meta.id);
    const fields: Record<string, string> = { meta: JSON.stringify(meta) };
    for (const lane of lanes) fields[laneField(lane.name, 'run')] = JSON.stringify(lane);
    await this.redis
      .multi()
      .hset(key, fields)
      .expire(key, RUN_TTL_SECONDS)
      .zadd(this.keys.runsIndex(), meta.createdAt, meta.id)
      .exec();
  }

  async get(runId: string): Promise<Run | undefined> {
    const hash = await this.redis.hgetall(this.keys.run(runId));
    if (!hash.meta) return undefined;
    const meta = JSON.parse(hash.meta) as RunMeta;
    const read = (names: string[], phase: LanePhase) =>
      names.flatMap((name) => {
        const field = laneField(name, phase);
        const raw = hash[field];
        return raw === undefined ? [] : [parseLane(raw, (i) => hash[stepField(field, i)])];
      });
    const run: Run = { ...meta, lanes: read(meta.laneNames, 'run') };
    const planLanes = read(meta.laneNames, 'plan');
    if (planLanes.length > 0) run.planLanes = planLanes;
    if (hash.decision) run.decision = JSON.parse(hash.decision) as Decision;
    if (hash.destroy) {
      run.destroy = JSON.parse(hash.destroy) as DestroyRequest;
      run.destroyLanes = read(run.destroy.laneNames, 'destroy');
    }
    const approvals = Object.entries(hash)
      .filter(([field]) => field.startsWith(APPROVAL_FIELD))
      .map(([field, at]) => ({ by: field.slice(APPROVAL_FIELD.length), at: Number(at) }))
      .sort((a, b) => a.at - b.at);
    if (approvals.length > 0) run.approvals = approvals;
    const destroyVotes = Object.entries(hash)
      .filter(([field]) => field.startsWith(DESTROY_VOTE_FIELD))
      .map(([field, at]) => ({ by: field.slice(DESTROY_VOTE_FIELD.length), at: Number(at) }))
      .sort((a, b) => a.at - b.at);
    if (destroyVotes.length > 0) run.destroyVotes = destroyVotes;
    if (hash[MESSAGE_FIELD]) run.message = JSON.parse(hash[MESSAGE_FIELD]) as Run['message'];
    if (hash.keep) run.keepUntil = Number(hash.keep);
    if (hash.cancel) run.cancelledBy = hash.cancel;
    if (hash[cancelField('destroy')]) run.destroyCancelledBy = hash[cancelField('destroy')];
    return run;
  }

  /**
   * Stores a lane. With `previous` (what the caller stored last), only what changed is written: the
   * lane's own fields if they changed, and each step that changed, each step in a field of its own.
   * A lane's final state (`finishedAt`) is always written whole, so it never depends on what another
   * writer (a cancel of a lane not started yet) wrote meanwhile. One HSET: readers never see half a save.
   * Returns whether anything was written.
   */
  async saveLane(runId: string, lane: Lane, phase: LanePhase = 'run', previous?: Lane): Promise<boolean> {
    const field = laneField(lane.name, phase);
    const { steps, ...own } = lane;
    const whole = previous === undefined || lane.finishedAt !== undefined || previous.steps.length !== steps.length;
    const fields: Record<string, string> = {};
    const header: StoredLaneHeader = { ...own, stepFields: steps.length };
    if (whole || !sameJson(own, withoutSteps(previous!))) fields[field] = JSON.stringify(header);
    steps.forEach((step, i) => {
      const before = previous?.steps[i];
      if (whole || (step !== before && !sameJson(step, before))) fields[stepField(field, i)] = JSON.stringify(step);
    });
    if (Object.keys(fields).length === 0) return false;
    await this.redis.hset(this.keys.run(runId), fields);
    return true;
  }

  /**
   * Where the run's card is: a field of its own (one command, no rewrite of `meta`), written only
   * while the run exists.
   */
  async setMessage(runId: string, message: { channel: string; ts: string }): Promise<void> {
    await this.redis.eval(SCRIPTS.hsetIfField, 1, this.keys.run(runId), 'meta', MESSAGE_FIELD, JSON.stringify(message));
  }

  /** Where the run's card is, read without the rest of the run; undefined before it is posted. */
  async message(runId: string): Promise<Run['message']> {
    const [message, meta] = await this.redis.hmget(this.keys.run(runId), MESSAGE_FIELD, 'meta');
    if (message) return JSON.parse(message) as Run['message'];
    // Runs recorded by an older version keep it in `meta`.
    return meta ? (JSON.parse(meta) as RunMeta).message : undefined;
  }

  /** Records the decision unless one exists; returns the decision that stands. */
  async decide(runId: string, decision: Decision): Promise<{ won: boolean; decision: Decision }> {
    const key = this.keys.run(runId);
    const won = (await this.redis.hsetnx(key, 'decision', JSON.stringify(decision))) === 1;
    if (won) return { won, decision };
    const current = await this.redis.hget(key, 'decision');
    return { won, decision: current ? (JSON.parse(current) as Decision) : decision };
  }

  /** Starts the destroy phase unless it was started; writes its queued lanes in the same step. */
  async startDestroy(runId: string, request: DestroyRequest, lanes: Lane[], onlyIfKeepUntil?: number): Promise<boolean> {
    const key = this.keys.run(runId);
    const fields = lanes.flatMap((lane) => [laneField(lane.name, 'destroy'), JSON.stringify(lane)]);
    // One script: nobody ever sees a destroy without its lanes, even if this process dies between.
    if (onlyIfKeepUntil !== undefined) {
      return (await this.redis.eval(SCRIPTS.startOnceIf, 1, key, 'keep', String(onlyIfKeepUntil), 'destroy', JSON.stringify(request), ...fields)) === 1;
    }
    return (await this.redis.eval(SCRIPTS.startOnce, 1, key, 'destroy', JSON.stringify(request), ...fields)) === 1;
  }

  /** Records one person's approval, once (HSETNX): false when they had approved already. */
  async addApproval(runId: string, by: string, at: number): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.run(runId), `${APPROVAL_FIELD}${by}`, String(at))) === 1;
  }

  /**
   * Records one destroyer's confirmation; a confirmation older than `staleBefore` is replaced (it
   * expired). False when this person's confirmation stands already.
   */
  async addDestroyVote(runId: string, by: string, at: number, staleBefore: number): Promise<boolean> {
    return (await this.redis.eval(SCRIPTS.setIfAbsentOrOlder, 1, this.keys.run(runId), `${DESTROY_VOTE_FIELD}${by}`, String(at), String(staleBefore))) === 1;
  }

  /** Takes back a decision whose follow-up failed (the queue was down), so the next click can try again. */
  async undoDecision(runId: string): Promise<void> {
    await this.redis.hdel(this.keys.run(runId), 'decision');
  }

  /** Takes back a destroy whose jobs could not be queued, so the button works again. */
  async undoDestroy(runId: string, clouds: string[]): Promise<void> {
    await this.redis.hdel(this.keys.run(runId), 'destroy', ...clouds.map((c) => laneField(c, 'destroy')));
  }

  /** When a deploy with a lifetime is destroyed automatically (set when it finishes). */
  async setKeepUntil(runId: string, at: number): Promise<void> {
    await this.redis.hset(this.keys.run(runId), 'keep', String(at));
  }

  /**
   * Extend: moves the end from `from` to `to`, unless it moved or a destroy started meanwhile; the
   * run's record is kept at least a week past the new end, so its timer always finds it.
   */
  async moveKeep(runId: string, from: number, to: number): Promise<boolean> {
    const keepFor = Math.max(RUN_TTL_SECONDS * 1000, to - Date.now() + 7 * 86_400_000);
    return (await this.redis.eval(SCRIPTS.moveKeep, 1, this.keys.run(runId), String(from), String(to), String(keepFor))) === 1;
  }

  /** The automatic destroy is off: the deploy was destroyed, or newer deploys took its clouds. */
  async clearKeep(runId: string): Promise<void> {
    await this.redis.hdel(this.keys.run(runId), 'keep');
  }

  /** Marks a phase of the run cancelled (once); returns false when it already was. */
  async markCancelled(runId: string, by: string, phase: LanePhase = 'run'): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.run(runId), cancelField(phase), by)) === 1;
  }

  /** Who cancelled this phase, read fresh (a job checks it while it runs). */
  async cancelledBy(runId: string, phase: LanePhase): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.run(runId), cancelField(phase))) ?? undefined;
  }

  async delete(runId: string): Promise<void> {
    await this.redis.multi().del(this.keys.run(runId)).zrem(this.keys.runsIndex(), runId).exec();
  }

  /** Newest first. */
  async recentIds(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.runsIndex(), 0, limit - 1);
  }
}

/** A stored lane: whole (its steps inside, as `create` and older versions write it) or step by step. */
function parseLane(raw: string, stepRaw: (i: number) => string | undefined): Lane {
  const parsed = JSON.parse(raw) as Lane | StoredLaneHeader;
  if (!('stepFields' in parsed)) return parsed;
  const { stepFields, ...own } = parsed;
  const steps = Array.from({ length: stepFields }, (_, i) => JSON.parse(stepRaw(i) ?? 'null') as Lane['steps'][number]);
  return { ...own, steps } as Lane;
}

function withoutSteps(lane: Lane): Omit<Lane, 'steps'> {
  const { steps: _steps, ...own } = lane;
  return own;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
