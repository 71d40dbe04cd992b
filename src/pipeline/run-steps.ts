import type { Config, Step } from '../config/schema.js';
import type { StepRole } from '../runs/run.js';

/**
 * The steps a run runs: the server's `apollo.yml`, or (with `pipeline.fromRepo`) the file in the
 * commit being run, read once when the run is requested and kept on the run, so that its build,
 * deploy, teardown and later destroy all run the steps that were shown and approved.
 */
export interface PipelineSteps {
  build: Step[];
  deploy?: { steps: Step[]; tests: Step[] };
  destroy?: Step[];
  /** Where the steps came from, for the card: the repository file's path, when it is one. */
  source?: string;
}

export function serverPipeline(config: Pick<Config, 'build' | 'deploy' | 'destroy'>): PipelineSteps {
  return {
    build: config.build.steps,
    ...(config.deploy ? { deploy: { steps: config.deploy.steps, tests: config.deploy.tests } } : {}),
    ...(config.destroy ? { destroy: config.destroy.steps } : {}),
  };
}

/**
 * One cloud's deploy lane: the deploy steps, the test suites, and for an ephemeral deploy the
 * destroy steps as its teardown. `roles[i]` says what step i is for.
 */
export function deployLaneSteps(pipeline: PipelineSteps, ephemeral: boolean): { steps: Step[]; roles: (StepRole | undefined)[] } {
  const deploy = pipeline.deploy?.steps ?? [];
  const tests = pipeline.deploy?.tests ?? [];
  const teardown = ephemeral ? (pipeline.destroy ?? []) : [];
  return {
    steps: [...deploy, ...tests, ...teardown],
    roles: [...deploy.map(() => undefined), ...tests.map((): StepRole => 'test'), ...teardown.map((): StepRole => 'teardown')],
  };
}
