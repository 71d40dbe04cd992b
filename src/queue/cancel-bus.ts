import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.js';

/** The reason an abort carries when a person cancelled the run (shutdown uses another). */
export const CANCEL_REASON = 'cancel';

/**
 * Cancel requests reach every worker process through Redis pub/sub; each aborts the jobs of that
 * run it holds. A process-local registry maps run ids to the abort controllers of their live jobs.
 */
export class CancelBus {
  private readonly live = new Map<string, Set<AbortController>>();
  private readonly shutdownOnly = new Set<AbortController>();
  private subscriber: Redis | undefined;

  constructor(
    private readonly publisher: Redis,
    private readonly keys: Keys,
  ) {}

  get channel(): string {
    return `${this.keys.prefix}:cancel`;
  }

  /** Listens for cancel requests on a connection of its own (a subscribed connection can do nothing else). */
  async listen(subscriber: Redis): Promise<void> {
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, runId: string) => {
      if (channel === this.channel) this.abortLocal(runId);
    });
    await subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    if (this.subscriber) {
      await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
      this.subscriber.disconnect();
    }
  }

  /** A controller for one job of `runId`, aborted when the run is cancelled anywhere. */
  register(runId: string): { signal: AbortSignal; shutdownSignal: AbortSignal; abort: (reason: string) => void; release: () => void } {
    const controller = new AbortController();
    // Aborted by the shutdown only, never by a cancel: an ephemeral deploy's teardown listens to it.
    const shutdown = new AbortController();
    const set = this.live.get(runId) ?? new Set();
    set.add(controller);
    this.live.set(runId, set);
    this.shutdownOnly.add(shutdown);
    return {
      signal: controller.signal,
      shutdownSignal: shutdown.signal,
      abort: (reason) => controller.abort(reason),
      release: () => {
        set.delete(controller);
        this.shutdownOnly.delete(shutdown);
        if (set.size === 0) this.live.delete(runId);
      },
    };
  }

  /**
   * Aborts every live job of this process (shutdown after the grace period). Ephemeral deploys'
   * teardowns keep running: they are stopped only by `abortTeardowns`, a grace period later.
   */
  abortAll(reason: string): number {
    let count = 0;
    for (const set of this.live.values()) {
      for (const controller of set) {
        controller.abort(reason);
        count++;
      }
    }
    return count;
  }

  /** Stops the teardowns still running (the shutdown's second grace period is over too). */
  abortTeardowns(reason: string): number {
    for (const controller of this.shutdownOnly) controller.abort(reason);
    return this.shutdownOnly.size;
  }

  get liveRuns(): string[] {
    return [...this.live.keys()];
  }

  async publish(runId: string): Promise<void> {
    await this.publisher.publish(this.channel, runId);
  }

  private abortLocal(runId: string): void {
    for (const controller of this.live.get(runId) ?? []) controller.abort(CANCEL_REASON);
  }
}
