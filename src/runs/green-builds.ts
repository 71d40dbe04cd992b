import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/** Where a commit's green came from: a passed `/apollo build`, or a CI run that said "passed". */
export type GreenSource = { kind: 'build'; runId: string } | { kind: 'ci'; pipeline: string };

/** How long a green build counts: a deploy of a commit built long ago is still of a built commit. */
const GREEN_TTL_SECONDS = 90 * 24 * 3600;

/** A CI may name a commit by a prefix (7–40 hex): these are the lengths looked up. */
const MIN_PREFIX = 7;

/**
 * The commits that passed a build, for the deploy gate (`deploy.requireGreenBuild`). A passed build
 * is recorded by its full SHA; a CI notification by the SHA (or prefix) it gave, so a full SHA is
 * green when it or any prefix of it of 7 or more digits was recorded. The only owner of these keys.
 */
export class GreenBuilds {
  constructor(
    private readonly redis: Pick<Redis, 'set' | 'mget'>,
    private readonly keys: Pick<Keys, 'greenCommit'>,
  ) {}

  async record(sha: string, source: GreenSource): Promise<void> {
    await this.redis.set(this.keys.greenCommit(sha), JSON.stringify({ ...source, at: Date.now() }), 'EX', GREEN_TTL_SECONDS);
  }

  /** What made the commit green, if anything did. */
  async green(sha: string): Promise<GreenSource | undefined> {
    const lengths = Array.from({ length: sha.length - MIN_PREFIX + 1 }, (_, i) => sha.length - i);
    if (lengths.length === 0) return undefined;
    const found = (await this.redis.mget(...lengths.map((n) => this.keys.greenCommit(sha.slice(0, n))))).find((v): v is string => v !== null);
    return found ? (JSON.parse(found) as GreenSource) : undefined;
  }
}
