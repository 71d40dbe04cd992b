import { ApolloError, ErrorCode } from '../errors.js';
import type { Config } from '../config/schema.js';
import type { Access } from '../access/access.js';
import type { GreenBuilds } from '../runs/green-builds.js';
import { cloudPolicy } from '../access/cloud-policy.js';

/** What the deploy gate reads. */
export interface DeployGateDeps {
  config: Pick<Config, 'access' | 'clouds' | 'deploy'>;
  access: Pick<Access, 'allows'>;
  greenBuilds: Pick<GreenBuilds, 'green'>;
}

/**
 * A deploy of a commit nobody has built green, under `deploy.requireGreenBuild`: refused, with the
 * commit, so that the answer can offer to build it now.
 */
export class BuildRequiredError extends ApolloError {
  constructor(
    readonly sha: string,
    readonly ref: string,
  ) {
    super(ErrorCode.BuildRequired, 'This commit has no passed build: `deploy.requireGreenBuild` is on.', {
      details: ['Build it (`/apollo build`) or wait for CI to pass; an approver may deploy it anyway with `--force`.'],
    });
    this.name = 'BuildRequiredError';
  }
}

/** `--force` passes the gate only for someone who could approve every cloud of the deploy. */
export async function assertMayForce(deps: Pick<DeployGateDeps, 'config' | 'access'>, clouds: string[], user: string): Promise<void> {
  const refused: string[] = [];
  for (const cloud of clouds) if (!(await deps.access.allows(cloudPolicy(deps.config, cloud).approvers, user))) refused.push(cloud);
  if (refused.length > 0) {
    throw new ApolloError(ErrorCode.NotAllowed, `Only approvers may use \`--force\`, and you approve no deploys to ${refused.map((c) => `\`${c}\``).join(', ')}.`);
  }
}

/**
 * The gate, once the commit is known: with `deploy.requireGreenBuild`, a commit without a passed
 * `/apollo build` or CI run is refused, unless forced (by someone `assertMayForce` let through).
 * Returns whether the deploy goes past the gate by force (the card and the audit say so).
 */
export async function checkGate(deps: DeployGateDeps, sha: string, ref: string, force: boolean): Promise<{ forced: boolean }> {
  if (!deps.config.deploy?.requireGreenBuild) return { forced: false };
  if (await deps.greenBuilds.green(sha)) return { forced: false };
  if (!force) throw new BuildRequiredError(sha, ref);
  return { forced: true };
}
