import { describe, expect, it } from 'vitest';
import { configuredSecretValues, resolveCloudEnv } from '../../src/config/cloud-env.js';
import { parseConfig } from '../../src/config/load.js';

const config = parseConfig({
  repository: '/tmp/x',
  secrets: ['DO_TOKEN', 'UNSET'],
  build: { steps: [{ name: 'a', run: 'true' }] },
  clouds: {
    aws: { env: { A: 'plain', B: { value: 'cloud-secret', secret: true }, C: { value: 'visible', secret: false }, KEY: { fromEnv: 'WORKER_AWS_KEY' }, MISSING: { fromEnv: 'NOT_SET' } } },
    gcp: { env: { G: 'gcp-only' } },
  },
});
const env = { DO_TOKEN: 'do-token-value', WORKER_AWS_KEY: 'worker-aws-key' };

describe('cloud env', () => {
  it('gives one cloud its own env: literals, values, and the worker variables it names', () => {
    expect(resolveCloudEnv(config, 'aws', env)).toEqual({ env: { A: 'plain', B: 'cloud-secret', C: 'visible', KEY: 'worker-aws-key' }, secrets: ['cloud-secret', 'worker-aws-key'] });
    expect(resolveCloudEnv(config, 'gcp', env)).toEqual({ env: { G: 'gcp-only' }, secrets: [] });
  });

  it('knows every secret value: `secrets:` names, secret entries, and fromEnv values (secret by default)', () => {
    expect(configuredSecretValues(config, env).sort()).toEqual(['cloud-secret', 'do-token-value', 'worker-aws-key']);
  });
});
