import type { ConfigInput } from '../../../config/schema.js';
import { APPROVER, OPS_GROUP, PLAYGROUND_CHANNEL, REQUESTER } from '../roster.js';

/**
 * Seconds each stage of a simulated cloud sleeps: long enough to watch the rows tick, short enough
 * that the whole tour (deploy both clouds, tests, destroy) takes well under two minutes.
 */
export const DEMO_STAGE_SECONDS = '1';

/**
 * The built-in demo's pipeline, for `npm start` without an apollo.yml: a repository on this disk
 * and steps that need only bash and git. Two simulated clouds deploy in parallel; sim-west's
 * latency is over the integration suite's budget, so one suite fails there, with its thread.
 */
export function demoConfig(repository: string): ConfigInput {
  const cloud = (region: string, latencyMs: number) => ({
    env: { SIM_REGION: region, SIM_LATENCY_MS: String(latencyMs), SIM_STAGE_SECONDS: DEMO_STAGE_SECONDS },
  });
  return {
    repository,
    channel: PLAYGROUND_CHANNEL.id,
    access: {
      // alice asks (and may approve others' deploys, never her own), bob approves, carol approves
      // through @ops, dave is no one in particular.
      deployers: [REQUESTER.id, OPS_GROUP.id],
      approvers: [REQUESTER.id, APPROVER.id, OPS_GROUP.id],
      allowSelfApproval: false,
      approvalTtl: '1h',
      protectedBranches: ['main'],
    },
    build: {
      steps: [{ name: 'unit tests', run: 'bash ci/build.sh', timeout: '2m', report: { format: 'junit', path: 'reports/unit.xml' } }],
    },
    clouds: { 'sim-east': cloud('east-1', 120), 'sim-west': cloud('west-2', 260) },
    deploy: {
      steps: [{ name: 'provision', run: 'bash ci/cloud.sh apply', timeout: '2m' }],
      tests: [
        { name: 'smoke', run: 'bash ci/smoke.sh', timeout: '1m', report: { format: 'tap' } },
        { name: 'integration', run: 'bash ci/integration.sh', timeout: '1m', report: { format: 'junit', path: 'reports/integration.xml' } },
      ],
    },
    destroy: { steps: [{ name: 'tear down', run: 'bash ci/cloud.sh destroy', timeout: '2m' }] },
  };
}
