import { z } from 'zod';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { GitRef } from '../src/git/ref.js';
import { requestDeploy } from '../src/actions/request-deploy.js';
import { BuildRequiredError } from '../src/actions/deploy-gate.js';
import { renderBuildRequired } from '../views/build-required.js';
import { renderDeployModal, type DeployModalOptions } from '../views/deploy-modal.js';
import type { Config } from '../src/config/schema.js';

/** What the deploy form offers, from the config: the clouds, the suites, and whether lifetimes exist. */
export function deployModalOptions(config: Pick<Config, 'clouds' | 'deploy' | 'destroy' | 'pipeline'>, channel: string): DeployModalOptions {
  return { clouds: Object.keys(config.clouds), suites: (config.deploy?.tests ?? []).map((t) => t.name), channel, lifetimes: config.destroy !== undefined || config.pipeline.fromRepo !== undefined };
}
import { defineCommand } from './command.js';
import { parseArgs } from './parse.js';
import { Duration } from '../src/config/duration.js';

const USAGE = '/apollo deploy <cloud|all|a,b> <commit> [--no-tests | --tests serverspec,docker-bench] [--ephemeral | --keep 4h] [--force]';

const CloudList = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*(,[a-z0-9][a-z0-9_-]*)*$/, 'expected a cloud name, a comma list of clouds, or all')
  .transform((s) => s.split(','));
const SuiteList = z
  .string()
  .regex(/^[A-Za-z0-9 _.-]+(,[A-Za-z0-9 _.-]+)*$/, 'expected a comma list of test suite names')
  .transform((s) => s.split(','));

export interface DeployArgs {
  clouds: string[];
  ref: string;
  tests?: string[];
  /** `--ephemeral`: tear down right after the tests. */
  ephemeral?: boolean;
  /** `--keep 4h`: destroy automatically this long after the deploy. */
  keepMs?: number;
  /** `--force`: past `deploy.requireGreenBuild` (approvers only). */
  force?: boolean;
}

export const KeepDuration = z.string().regex(/^\d+(\.\d+)?(s|m|h|d)$/, 'expected a lifetime like 90m, 4h or 2d').transform((v) => Duration.parse(v));

// Built once, at load: a request only runs them.
const SuitesArg = z.tuple([SuiteList]);
const KeepArg = z.tuple([KeepDuration]);
const DeployArgs = z.tuple([CloudList, GitRef], {
  error: (issue) => (issue.code === 'too_small' ? 'give the clouds and the commit' : issue.code === 'too_big' ? 'expected the clouds and one commit' : undefined),
});

export function parseDeployArgs(args: string[], configured: string[]): DeployArgs {
  const positional: string[] = [];
  let tests: string[] | undefined;
  let ephemeral = false;
  let keepMs: number | undefined;
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--no-tests') tests = [];
    else if (arg === '--tests' || arg.startsWith('--tests=')) {
      const value = arg === '--tests' ? args[++i] : arg.slice('--tests='.length);
      if (!value) throw new ApolloError(ErrorCode.UsageInvalid, '--tests needs a comma list of suites.', { details: [`Usage: \`${USAGE}\``] });
      tests = parseArgs(SuitesArg, [value], USAGE)[0];
    } else if (arg === '--ephemeral') ephemeral = true;
    else if (arg === '--force') force = true;
    else if (arg === '--keep' || arg.startsWith('--keep=')) {
      const value = arg === '--keep' ? args[++i] : arg.slice('--keep='.length);
      if (!value) throw new ApolloError(ErrorCode.UsageInvalid, '--keep needs a lifetime, like 4h.', { details: [`Usage: \`${USAGE}\``] });
      keepMs = parseArgs(KeepArg, [value], USAGE)[0];
    } else if (arg.startsWith('--')) {
      throw new ApolloError(ErrorCode.UsageInvalid, `Unknown option \`${arg.slice(0, 40)}\`.`, { details: [`Usage: \`${USAGE}\``] });
    } else positional.push(arg);
  }
  const [clouds, ref] = parseArgs(DeployArgs, positional, USAGE);
  const unknown = clouds.filter((c) => c !== 'all' && !configured.includes(c));
  if (unknown.length > 0 || (clouds.includes('all') && clouds.length > 1)) {
    throw new ApolloError(ErrorCode.CloudUnknown, `Unknown cloud${unknown.length > 1 ? 's' : ''}: ${unknown.map((c) => `\`${c}\``).join(', ') || '`all` cannot be combined'}.`, {
      details: [`Configured clouds: ${configured.map((c) => `\`${c}\``).join(', ') || 'none'} (or \`all\`).`],
    });
  }
  if (ephemeral && keepMs !== undefined) {
    throw new ApolloError(ErrorCode.UsageInvalid, 'Choose `--ephemeral` (torn down after its tests) or `--keep` (destroyed later), not both.', { details: [`Usage: \`${USAGE}\``] });
  }
  return { clouds, ref, ...(tests ? { tests } : {}), ...(ephemeral ? { ephemeral } : {}), ...(keepMs !== undefined ? { keepMs } : {}), ...(force ? { force } : {}) };
}

export const deployCommand = defineCommand({
  name: 'deploy',
  acts: true,
  usage: USAGE,
  summary: 'ask an approver to deploy a commit to one or more clouds in parallel',
  // Without arguments: the deploy form (a modal), whose submission asks the same way.
  parse: (args, config): DeployArgs | { form: true } => (args.length === 0 ? { form: true } : parseDeployArgs(args, Object.keys(config.clouds))),
  async run(args, { userId, channelId, reply, openView, services }) {
    if ('form' in args) {
      if (!(await services.access.allows(services.config.access.deployers, userId))) throw new ApolloError(ErrorCode.NotAllowed, 'You are not allowed to request deploys (`access.deployers`).');
      if (!openView) throw new ApolloError(ErrorCode.UsageInvalid, 'The deploy form cannot be opened here.', { details: [`Usage: \`${USAGE}\``] });
      await openView(renderDeployModal(deployModalOptions(services.config, channelId)));
      return;
    }
    let result: Awaited<ReturnType<typeof requestDeploy>>;
    try {
      result = await requestDeploy(services, { ...args, requestedBy: userId, channel: channelId });
    } catch (err) {
      // Refused by the green-build gate: the answer offers to build the commit now.
      if (err instanceof BuildRequiredError) return reply(renderBuildRequired(err));
      throw err;
    }
    if (result.cardError) {
      await reply(`Deploy request \`${result.runId}\` is recorded, but I could not post its card here (${result.cardError}). Invite me with \`/invite @apollo\` and ask again.`);
    }
  },
});
