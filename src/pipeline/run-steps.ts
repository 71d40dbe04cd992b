import type { Config, Step } from '../config/schema.js';
import type { StepRole } from '../runs/run.js';

/**
 * The steps a run runs: the server's `apollo.yml`, or (with `pipeline.fromRepo`) the file in the
 * commit being run, read once when the run is requested and kept on the run, so that its build,
 * deploy, teardown and later destroy all run the steps that were shown and approved.
 */
export interface PipelineSteps {
  build: Step[];
  /** `plan`: run when the deploy is requested, and again first thing in each cloud's deploy lane. */
  deploy?: { steps: Step[]; tests: Step[]; plan?: Step[] };
  destroy?: Step[];
  /** Where the steps came from, for the card: the repository file's path, when it is one. */
  source?: string;
}

export function serverPipeline(config: Pick<Config, 'build' | 'deploy' | 'destroy'>): PipelineSteps {
  return {
    build: config.build.steps,
    ...(config.deploy ? { deploy: { steps: config.deploy.steps, tests: config.deploy.tests, ...(config.deploy.plan ? { plan: config.deploy.plan } : {}) } } : {}),
    ...(config.destroy ? { destroy: config.destroy.steps } : {}),
  };
}

/**
 * One cloud's deploy lane: the plan again (checked against the approved one), the deploy steps, the
 * test suites, and for an ephemeral deploy the destroy steps as its teardown. `roles[i]` says what
 * step i is for.
 */
export function deployLaneSteps(pipeline: PipelineSteps, ephemeral: boolean): { steps: Step[]; roles: (StepRole | undefined)[] } {
  const plan = pipeline.deploy?.plan ?? [];
  const deploy = pipeline.deploy?.steps ?? [];
  const tests = pipeline.deploy?.tests ?? [];
  const teardown = ephemeral ? (pipeline.destroy ?? []) : [];
  return {
    steps: [...plan, ...deploy, ...tests, ...teardown],
    roles: [...plan.map((): StepRole => 'plan'), ...deploy.map(() => undefined), ...tests.map((): StepRole => 'test'), ...teardown.map((): StepRole => 'teardown')],
  };
}
