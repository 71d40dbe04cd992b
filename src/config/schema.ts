import { z } from 'zod';
import { RE2JS } from 're2js';
import { REPORT_FORMATS } from './report-formats.js';
import { Duration } from './duration.js';

/**
 * The `apollo.yml` schema: the single source of truth for validation and for the README's config
 * reference (`npm run config:docs`). Every field carries its description and default.
 * Unknown keys are errors, so a typo never silently disables a setting.
 */

const SlackId = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id (U…/W…) or usergroup id (S…)');
const Principal = z.union([z.literal('*'), SlackId]);

/**
 * A regex counted against each output line. Checked here, so a typo stops the bot at start-up by
 * its path instead of failing every run; one that matches an empty line would count blank lines.
 */
const LinePattern = z.string().max(500).superRefine((source, ctx) => {
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(source);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `not a valid RE2 regular expression (no lookaround or backreferences): ${(error as Error).message}` });
    return;
  }
  if (pattern.matcher('').find()) ctx.addIssue({ code: 'custom', message: 'matches an empty line, so it would count every line' });
});

const Report = z
  .strictObject({
    format: z.enum(REPORT_FORMATS).describe('parser for the output: rspec-json, docker-bench, junit, tap, terraform, ansible-lint (codeclimate or SARIF JSON, parseable or default text), shellcheck (json, json1 or checkstyle), packer (validate), lines (passPattern and failPattern) or terraform-plan (`terraform show -json` of a plan file, or `terraform plan` text: what would change, and the digest an approval is bound to)'),
    path: z.string().min(1).optional().describe("file to parse, relative to the step's cwd; without it the step's output is parsed"),
    warnThreshold: z.number().int().min(0).optional().describe('docker-bench: fail when more output lines than this contain WARN'),
    publicOutputs: z.array(z.string()).optional().describe('terraform: output names that may be shown in Slack (others never are)'),
    passPattern: LinePattern.optional().describe('lines: a regex; each output line matching it is one passed test'),
    failPattern: LinePattern.optional().describe('lines: a regex; each output line matching it is one failed test (checked before passPattern)'),
  })
  .superRefine((report, ctx) => {
    const lines = report.format === 'lines';
    for (const key of ['passPattern', 'failPattern'] as const) {
      if (lines && report[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'the lines report needs both passPattern and failPattern' });
      if (!lines && report[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'only the lines report reads this' });
    }
  })
  .describe('parse the step’s test report into a summary');

export const Step = z.strictObject({
  name: z.string().min(1).max(80).describe('shown on the card, one line per step; unique within a lane (a deploy’s plan, steps, tests and destroy steps run in one lane): `--tests` and the card pick steps by name'),
  run: z.string().min(1).describe('bash script (operator-written); user input arrives only as APOLLO_* environment variables'),
  cwd: z.string().min(1).optional().describe('working directory relative to the checkout; `${cloud}` is replaced in deploy/destroy'),
  timeout: Duration.optional().describe('e.g. 90s, 10m, 1h (default 30m); the whole process group is killed when it expires'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string()).optional().describe('extra environment for this step'),
  report: Report.optional(),
}).meta({ id: 'step' });
export type Step = z.infer<typeof Step>;

export const Pipeline = z.strictObject({
  steps: z.array(Step).min(1).describe('run in order; the first failure skips the rest'),
});

/** Steps of one lane, and where they are in the file (for the error's path). */
export interface StepGroup {
  path: (string | number)[];
  steps: readonly Pick<Step, 'name'>[] | undefined;
}

/**
 * Within a lane, steps are picked by name: `--tests` skips the other suites by name, suites are
 * known by name, the card and the failures thread show names. Two steps of one lane with one name
 * (a deploy step and a test suite both called `serverspec`) would be skipped or judged together.
 * Returns one problem per repeated name, at the later step's path.
 */
export function repeatedStepNames(groups: StepGroup[]): { path: (string | number)[]; message: string }[] {
  const seen = new Map<string, string>();
  const problems: { path: (string | number)[]; message: string }[] = [];
  for (const { path, steps } of groups) {
    (steps ?? []).forEach((step, i) => {
      const where = [...path, i];
      const first = seen.get(step.name);
      if (first) problems.push({ path: [...where, 'name'], message: `the step name \`${step.name}\` is already used by ${first}: steps of one lane need names of their own (--tests and the card pick steps by name)` });
      else seen.set(step.name, `${path.join('.')}[${i}]`);
    });
  }
  return problems;
}

/** The lanes a pipeline runs, as groups of steps: a build; a deploy (plan, steps, tests, and destroy as its teardown); a destroy. */
export function laneStepGroups(pipeline: { build?: { steps: readonly Pick<Step, 'name'>[] } | undefined; deploy?: { plan?: readonly Pick<Step, 'name'>[] | undefined; steps: readonly Pick<Step, 'name'>[]; tests?: readonly Pick<Step, 'name'>[] | undefined } | undefined; destroy?: { steps: readonly Pick<Step, 'name'>[] } | undefined }): StepGroup[][] {
  const lanes: StepGroup[][] = [];
  if (pipeline.build) lanes.push([{ path: ['build', 'steps'], steps: pipeline.build.steps }]);
  const destroy: StepGroup = { path: ['destroy', 'steps'], steps: pipeline.destroy?.steps };
  if (pipeline.deploy) {
    lanes.push([
      { path: ['deploy', 'plan'], steps: pipeline.deploy.plan },
      { path: ['deploy', 'steps'], steps: pipeline.deploy.steps },
      { path: ['deploy', 'tests'], steps: pipeline.deploy.tests },
      destroy,
    ]);
  } else if (pipeline.destroy) {
    lanes.push([destroy]);
  }
  return lanes;
}

/** Adds an issue for every repeated step name of every lane of a pipeline file (apollo.yml or a repository's). */
export function refineStepNames(pipeline: Parameters<typeof laneStepGroups>[0], ctx: z.RefinementCtx): void {
  for (const lane of laneStepGroups(pipeline)) {
    for (const problem of repeatedStepNames(lane)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  }
}

/** A plan whose digest the approval can be bound to: one of its steps reports the plan. */
export function hasPlanReport(plan: readonly Step[] | undefined): boolean {
  return plan === undefined || plan.some((s) => s.report?.format === 'terraform-plan');
}
export const PLAN_REPORT_NEEDED = { message: 'one plan step needs `report: {format: terraform-plan}` (the approval is bound to its digest)' };

const SecretValue = z.strictObject({
  value: z.string().describe('the value'),
  secret: z.boolean().default(false).describe('redact this value from everything posted to Slack'),
});

const FromEnv = z.strictObject({
  fromEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').describe("the worker's environment variable to read when the lane starts"),
  secret: z.boolean().default(true).describe('redact this value from everything posted to Slack (default true)'),
});

/** A Slack channel id (public C…, private G…). */
const ChannelId = z.string().regex(/^[CG][A-Z0-9]{2,}$/, 'expected a Slack channel id (C… or G…)');

const Cloud = z.strictObject({
  approvers: z.array(Principal).optional().describe('who may approve or reject deploys to this cloud (default: access.approvers)'),
  destroyers: z.array(Principal).optional().describe("who may destroy this cloud (default: access.destroyers, else this cloud's approvers)"),
  requiredApprovals: z.number().int().min(1).max(5).optional().describe('how many distinct approvers a deploy to this cloud needs, never counting the requester when more than one (default: access.requiredApprovals)'),
  channels: z.array(ChannelId).min(1).optional().describe('the only channels where deploys to this cloud may be requested (default: any channel)'),
  ephemeralOnly: z.boolean().optional().describe('deploys to this cloud must be ephemeral (`--ephemeral` or deploy.ephemeral): it is always torn down after its tests (default false)'),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.union([z.string(), SecretValue, FromEnv]))
    .default({})
    .describe("environment for this cloud's deploy and destroy steps (never builds): a string, {value, secret: true}, or {fromEnv: NAME} to pass one of the worker's variables (redacted)"),
});

const TeamId = z.string().regex(/^[TE][A-Z0-9]{2,}$/, 'expected a Slack team id (T…) or enterprise id (E…)');

const Limits = z
  .strictObject({
    queuedRunsPerUser: z.number().int().min(1).max(1000).default(5).describe('builds and deploy requests one person may have queued, running or awaiting approval at once'),
    lockChangesPerHour: z.number().int().min(1).max(10_000).default(20).describe('lock and unlock commands one person may run per hour'),
  })
  .default({ queuedRunsPerUser: 5, lockChangesPerHour: 20 });

const Access = z.strictObject({
  builders: z.array(Principal).optional().describe('who may run `/apollo build` and the buttons that start builds (default: the deployers)'),
  deployers: z.array(Principal).default([]).describe('who may request deploys and lock clouds: user ids, usergroup ids (S…) or "*" (default: nobody)'),
  approvers: z.array(Principal).default([]).describe('who may approve or reject deploys, and cancel or unlock anything (default: nobody)'),
  destroyers: z.array(Principal).optional().describe('who may destroy (default: the approvers)'),
  allowSelfApproval: z.boolean().default(false).describe('may the requester approve their own deploy (only where one approval is enough)'),
  requiredApprovals: z.number().int().min(1).max(5).default(1).describe('how many distinct approvers a deploy needs (per cloud: clouds.<name>.requiredApprovals); with more than one, the requester never counts'),
  approvalTtl: Duration.default(3_600_000).describe('how long an approval card stays valid (default 1h)'),
  teams: z.array(TeamId).optional().describe("Slack teams and enterprises whose members may use the bot (default: the bot's own team, from auth.test)"),
  protectedBranches: z
    .array(z.string().min(1).max(255))
    .optional()
    .describe('deploys only of commits contained in one of these branches (`*` matches within a name, e.g. release-*); default: any branch or tag'),
  limits: Limits.describe('per-person limits, so one person (or a stolen account) cannot exhaust the workers or flood the audit log'),
});

const Route = z.strictObject({
  channel: z.string().min(1).describe('channel id to post to'),
  repos: z.array(z.string()).optional().describe('owner/name of the repositories this route takes (default: all)'),
  branches: z.array(z.string()).optional().describe('branches this route takes (default: all)'),
  events: z.array(z.string()).optional().describe('event kinds: build, deploy, workflow_run, check_suite, ci (default: all)'),
  onlyFailures: z.boolean().default(false).describe('post only failures and "back to normal" transitions'),
});

const Notifications = z.strictObject({
  routes: z.array(Route).default([]).describe('first matching route wins; no match → `channel`'),
  autoBuild: z
    .strictObject({
      pullRequests: z.boolean().default(true).describe('queue a build for pull_request webhooks of `repository`'),
      pushes: z.boolean().default(false).describe('queue a build for push webhooks of `repository`'),
      repository: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name')
        .optional()
        .describe('owner/name on GitHub of `repository`, when that is a local path or another git server'),
    })
    .default({ pullRequests: true, pushes: false }),
});

/** A path inside the repository: relative, no `..`, no control characters. */
const RepoPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(?![/\\])(?!.*(^|\/)\.\.(\/|$))[\w.@+/-]+$/, 'expected a relative path inside the repository, without ..');

export const ConfigSchema = z.strictObject({
  repository: z.string().min(1).describe('git URL or local path of the repository to build and deploy'),
  channel: z.string().min(1).optional().describe('channel id for passive notifications and runs started outside a channel'),
  secrets: z.array(z.string()).default([]).describe("names of the worker's environment variables whose values are redacted from everything stored or posted (they are not passed to steps: use clouds.<name>.env with fromEnv)"),
  access: Access.default({ deployers: [], approvers: [], allowSelfApproval: false, requiredApprovals: 1, approvalTtl: 3_600_000, limits: { queuedRunsPerUser: 5, lockChangesPerHour: 20 } }),
  build: Pipeline.describe('`/apollo build <ref>`'),
  clouds: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,30}$/, 'expected a lower-case cloud name'), Cloud).default({}),
  deploy: z
    .strictObject({
      plan: z.array(Step).min(1).optional().refine(hasPlanReport, PLAN_REPORT_NEEDED).describe("run per cloud, in parallel, when a deploy is requested, before anyone is asked to approve (e.g. `terraform plan -out=tfplan`); one step reports `format: terraform-plan`. The card shows what would change; the approval is bound to the plan's digest; on approval these run again in the deploy's workspace, and a plan that differs is refused before deploy.steps apply it"),
      steps: z.array(Step).min(1),
      tests: z.array(Step).default([]).describe('run after the deploy steps; each may carry a report'),
      requireGreenBuild: z.boolean().default(false).describe('refuse a deploy of a commit without a passed `/apollo build` or a passed CI notification for it (`--force` lets an approver of every cloud past, audited and shown on the card)'),
      ephemeral: z.boolean().default(false).describe('every deploy tears itself down: each cloud runs `destroy.steps` after its deploy and tests, whatever happened (`--ephemeral` asks for it per deploy)'),
      keep: Duration.optional().describe('every deploy is destroyed automatically this long after it finishes, e.g. 4h (`--keep 4h` per deploy); without it, deploys stay until someone clicks Destroy'),
      maxKeep: Duration.default(7 * 86_400_000).describe('the longest `--keep` (and Extend) anyone may ask for (default 7d)'),
      keepReminder: Duration.default(30 * 60_000).describe("how long before an automatic destroy the card's thread is reminded, with Extend and Destroy now (at most half the lifetime; default 30m)"),
    })
    .optional()
    .describe('`/apollo deploy <cloud|all> <commit>`, once per cloud, in parallel'),
  destroy: Pipeline.extend({
    requiredApprovals: z.number().int().min(1).max(5).optional().describe('how many distinct destroyers must confirm a destroy before anything runs (default 1); a request waiting for the next one expires after access.approvalTtl'),
  })
    .optional()
    .describe('the Destroy button (a modal where the person types the cloud names), once per deployed cloud'),
  pipeline: z
    .strictObject({
      fromRepo: RepoPath.optional().describe("read build, deploy (steps and tests) and destroy from this file in the commit being run, e.g. .apollo.yml, as wercker.yml was; same schema, nothing else allowed in it (access, clouds, secrets and limits stay here). A commit without the file runs this file's pipeline. Off when unset"),
    })
    .default({})
    .describe('where the steps come from'),
  notifications: Notifications.default({ routes: [], autoBuild: { pullRequests: true, pushes: false } }),
  worker: z
    .strictObject({
      concurrency: z.number().int().min(1).max(64).default(2).describe('jobs one worker process runs at once'),
      shutdownGrace: Duration.default(30_000).describe("on SIGTERM, how long running steps may finish before their process groups are killed (default 30s); an ephemeral deploy's teardown then gets as long again"),
      sandbox: z
        .enum(['namespaces', 'none'])
        .default('namespaces')
        .describe('namespaces: every step runs as `runAs` in its own PID and mount namespace (needs root, bubblewrap and setpriv); none: steps run as the worker, unsandboxed'),
      buildNetwork: z
        .enum(['none', 'host'])
        .default('none')
        .describe("none: build steps get a network namespace of their own, with no way out (not even to the bot's Redis on 127.0.0.1); host: the worker's network, for builds that download dependencies. Deploy and destroy steps always use the host's"),
      runAs: z
        .string()
        .regex(/^([a-z_][a-z0-9_-]*|\d+(:\d+)?)$/, 'expected a user name, a uid, or uid:gid')
        .default('nobody')
        .describe('the unprivileged user steps run as (name, uid or uid:gid); never root'),
      logRetention: Duration.default(14 * 24 * 3_600_000).describe('how long run logs are kept in Redis for the Logs button (default 14 days; the files on disk are removed once stored)'),
    })
    .default({ concurrency: 2, shutdownGrace: 30_000, sandbox: 'namespaces', buildNetwork: 'none', runAs: 'nobody', logRetention: 14 * 24 * 3_600_000 }),
}).superRefine(refineStepNames);

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
