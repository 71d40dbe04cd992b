/** Every Redis key the bot writes, in one place, under one prefix (tests use a unique one each). */
export class Keys {
  constructor(readonly prefix: string) {}

  /** BullMQ's own key prefix. */
  get bullPrefix(): string {
    return `${this.prefix}-bull`;
  }
  runSeq(): string {
    return `${this.prefix}:run-seq`;
  }
  run(runId: string): string {
    return `${this.prefix}:run:${runId}`;
  }
  runsIndex(): string {
    return `${this.prefix}:runs`;
  }
  card(runId: string, part: 'ver' | 'sent' | 'lock' | 'last'): string {
    return `${this.prefix}:card:${runId}:${part}`;
  }
}
