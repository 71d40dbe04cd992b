import { FlowProducer, Queue, type ConnectionOptions } from 'bullmq';
import type { Keys } from '../redis/keys.js';
import { RETENTION } from './build-queue.js';

/** Parent jobs: one per deploy or destroy; they run when every cloud's child is done. */
export const DEPLOY_QUEUE = 'apollo-deploy';
/** Child jobs: one per cloud, run in parallel by the workers. */
export const CLOUD_QUEUE = 'apollo-cloud';

/** `plan` runs when a deploy is requested (deploy.plan), before anyone approves. */
export type DeployPhase = 'deploy' | 'destroy' | 'plan';

export interface DeployJobData {
  runId: string;
  phase: DeployPhase;
}

export interface CloudJobData extends DeployJobData {
  cloud: string;
}

/** Deterministic ids (BullMQ ignores an add whose id exists): a repeated approval adds nothing. */
export function deployJobId(runId: string, phase: DeployPhase): string {
  return `${runId}-${phase}`;
}

export function cloudJobId(runId: string, phase: DeployPhase, cloud: string): string {
  return `${runId}-${phase}-${cloud}`;
}

export class DeployFlow {
  private readonly producer: FlowProducer;
  readonly cloudQueue: Queue<CloudJobData>;
  readonly deployQueue: Queue<DeployJobData>;

  constructor(connection: ConnectionOptions, keys: Keys) {
    this.producer = new FlowProducer({ connection, prefix: keys.bullPrefix });
    this.cloudQueue = new Queue<CloudJobData>(CLOUD_QUEUE, { connection, prefix: keys.bullPrefix });
    this.deployQueue = new Queue<DeployJobData>(DEPLOY_QUEUE, { connection, prefix: keys.bullPrefix });
  }

  /** Queues one child per cloud under one parent. */
  async add(runId: string, phase: DeployPhase, clouds: string[]): Promise<void> {
    await this.producer.add({
      name: phase,
      queueName: DEPLOY_QUEUE,
      data: { runId, phase } satisfies DeployJobData,
      opts: { jobId: deployJobId(runId, phase), ...RETENTION },
      children: clouds.map((cloud) => ({
        name: `${phase}:${cloud}`,
        queueName: CLOUD_QUEUE,
        data: { runId, phase, cloud } satisfies CloudJobData,
        opts: {
          jobId: cloudJobId(runId, phase, cloud),
          // A cloud that crashes must not keep the parent (and the final card) waiting forever,
          // nor cancel the other clouds.
          ignoreDependencyOnFailure: true,
          ...RETENTION,
        },
      })),
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.producer.close(), this.cloudQueue.close(), this.deployQueue.close()]);
  }
}
