import { z } from 'zod';
import { parseDocument } from 'yaml';
import { hasPlanReport, laneStepGroups, Pipeline, PLAN_REPORT_NEEDED, refineStepNames, repeatedStepNames, Step, type Config } from '../config/schema.js';
import { formatIssues, formatPath, requiredErrorMap } from '../config/issues.js';
import { ApolloError, ErrorCode } from '../errors.js';
import type { GitMirror } from '../git/mirror.js';
import { serverPipeline, type PipelineSteps } from './run-steps.js';

/** A repository's pipeline file is read whole; anything bigger is not a pipeline. */
export const REPO_PIPELINE_MAX_BYTES = 64 * 1024;
const MAX_STEPS = 50;
/** A repository's step may not hold a worker longer than this (the server's own steps may). */
export const REPO_STEP_MAX_TIMEOUT_MS = 2 * 3_600_000;

/** A step of a repository file: the server's schema, with a bounded timeout and a one-line name. */
const RepoStep = Step.extend({
  name: z.string().min(1).max(80).regex(/^[^\n\r\t]+$/, 'expected one line'),
}).refine((step) => (step.timeout ?? 0) <= REPO_STEP_MAX_TIMEOUT_MS, { message: 'at most 2h in a repository pipeline', path: ['timeout'] });

/**
 * What a repository may say about its own pipeline: the steps, with the server's step schema. Not
 * who may run it, not the clouds or their credentials, not secrets, limits or the worker: those
 * stay in the server's apollo.yml, so a pull request can never grant itself access or credentials.
 */
const RepoPipeline = z.strictObject({
  build: Pipeline.extend({ steps: z.array(RepoStep).min(1).max(MAX_STEPS) }).optional(),
  deploy: z
    .strictObject({
      plan: z.array(RepoStep).min(1).max(MAX_STEPS).optional().refine(hasPlanReport, PLAN_REPORT_NEEDED),
      steps: z.array(RepoStep).min(1).max(MAX_STEPS),
      tests: z.array(RepoStep).max(MAX_STEPS).default([]),
    })
    .optional(),
  destroy: Pipeline.extend({ steps: z.array(RepoStep).min(1).max(MAX_STEPS) }).optional(),
}).superRefine(refineStepNames);

/** Keys of apollo.yml a repository file may not carry, and why. */
const SERVER_ONLY = ['repository', 'channel', 'secrets', 'access', 'clouds', 'notifications', 'worker', 'pipeline'];

/** Validates a repository pipeline file's text: YAML errors by line, schema errors by path. */
export function parseRepoPipeline(text: string, source: string): Omit<PipelineSteps, 'source'> & { build?: PipelineSteps['build'] } {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ApolloError(ErrorCode.PipelineInvalid, `${source} is not valid YAML:`, { details: doc.errors.map((e) => e.message.split('\n')[0] ?? e.message) });
  }
  let raw: unknown;
  try {
    // Aliases are few in a pipeline: a file that expands them into millions of nodes is refused.
    raw = doc.toJS({ maxAliasCount: 20 }) ?? {};
  } catch (err) {
    throw new ApolloError(ErrorCode.PipelineInvalid, `${source} is not a pipeline:`, { details: [err instanceof Error ? err.message.split('\n')[0]! : String(err)] });
  }
  const problems: string[] = [];
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const key of Object.keys(raw)) {
      if (SERVER_ONLY.includes(key)) problems.push(`${key}: not allowed in a repository pipeline (access, clouds, secrets and limits stay in the server's apollo.yml)`);
    }
  }
  const rest = problems.length > 0 ? Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([k]) => !SERVER_ONLY.includes(k))) : raw;
  const result = RepoPipeline.safeParse(rest, { error: requiredErrorMap });
  if (!result.success) problems.push(...formatIssues(result.error));
  if (problems.length > 0) throw new ApolloError(ErrorCode.PipelineInvalid, `${source} is invalid:`, { details: problems });
  const file = result.data!;
  return {
    build: file.build?.steps ?? [],
    ...(file.deploy ? { deploy: file.deploy } : {}),
    ...(file.destroy ? { destroy: file.destroy.steps } : {}),
  };
}

/**
 * The steps of a run of `sha`: with `pipeline.fromRepo`, what the commit's file says, section by
 * section over the server's (a commit without the file runs the server's pipeline); otherwise the
 * server's. Throws ApolloError(PipelineInvalid) with every problem by path.
 */
export async function pipelineForCommit(config: Pick<Config, 'pipeline' | 'build' | 'deploy' | 'destroy'>, mirror: Pick<GitMirror, 'readFile'>, sha: string): Promise<PipelineSteps | undefined> {
  const path = config.pipeline.fromRepo;
  if (path === undefined) return undefined;
  const text = await mirror.readFile(sha, path, REPO_PIPELINE_MAX_BYTES);
  if (text === undefined) return undefined;
  const source = `${path} in ${sha.slice(0, 7)}`;
  const file = parseRepoPipeline(text, source);
  const server = serverPipeline(config);
  const build = file.build && file.build.length > 0 ? file.build : server.build;
  const deploy = file.deploy ?? server.deploy;
  const destroy = file.destroy ?? server.destroy;
  // Sections taken from the server's file join the repository's in one lane (its deploy and the
  // server's destroy as teardown): their step names must not repeat either.
  const repeated = laneStepGroups({ build: { steps: build }, ...(deploy ? { deploy } : {}), ...(destroy ? { destroy: { steps: destroy } } : {}) }).flatMap((lane) => repeatedStepNames(lane));
  if (repeated.length > 0) {
    throw new ApolloError(ErrorCode.PipelineInvalid, `${source} is invalid with the server's pipeline:`, {
      details: repeated.map((problem) => `${formatPath(problem.path)}: ${problem.message}`),
    });
  }
  return { build, ...(deploy ? { deploy } : {}), ...(destroy ? { destroy } : {}), source: path };
}
