import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseConfigText, loadConfigFile } from '../../src/config/load.js';
import { parseEnv } from '../../src/config/env.js';
import { ApolloError } from '../../src/errors.js';

function problems(yaml: string): string[] {
  try {
    parseConfigText(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ApolloError);
    return (err as ApolloError).details;
  }
  throw new Error('expected the config to be refused');
}

describe('apollo.yml', () => {
  it('accepts the example that reproduces the seed pipelines', () => {
    const config = loadConfigFile('examples/apollo.yml');
    expect(config.build.steps.map((s) => s.name)).toContain('ansible-lint site.yml');
    expect(config.build.steps.filter((s) => s.run.startsWith('packer validate'))).toHaveLength(4);
    expect(Object.keys(config.clouds)).toEqual(['aws', 'digitalocean']);
    expect(config.deploy?.ephemeral).toBe(true);
    expect(config.destroy?.steps.map((s) => s.name)).toEqual(['apollo-down']);
    expect(config.build.steps[0]!.timeout).toBe(600_000);
    expect(config.access.approvalTtl).toBe(3_600_000);
  });

  it('lists every problem by path, not just the first', () => {
    const found = problems(`
repository: ./repo
build:
  steps:
    - name: ok
      run: echo ok
    - name: no run
    - run: echo no name
      timeout: forever
      colour: red
access:
  approvers: [alice]
`);
    expect(found).toEqual(
      expect.arrayContaining([
        'build.steps[1].run: required',
        'build.steps[2].name: required',
        expect.stringMatching(/^build\.steps\[2\]\.timeout: /),
        "build.steps[2]: unknown key 'colour'",
        expect.stringMatching(/^access\.approvers\[0\]: /),
      ]),
    );
    expect(found).toHaveLength(5);
  });

  it('requires repository and build steps', () => {
    expect(problems('channel: C1')).toEqual(['repository: required', 'build: required']);
    expect(problems('repository: x\nbuild: { steps: [] }')).toEqual([expect.stringMatching(/^build\.steps: /)]);
  });

  it("refuses two steps of one lane with one name (--tests would skip both), the destroy being a deploy's teardown", () => {
    const base = 'repository: x\nbuild: { steps: [{name: a, run: b}, {name: a, run: c}] }\nclouds: { aws: {} }\n';
    expect(problems(`${base}deploy: { steps: [{name: serverspec, run: b}], tests: [{name: serverspec, run: c}] }\ndestroy: { steps: [{name: a, run: d}, {name: serverspec, run: e}] }`)).toEqual([
      'build.steps[1].name: the step name `a` is already used by build.steps[0]: steps of one lane need names of their own (--tests and the card pick steps by name)',
      'deploy.tests[0].name: the step name `serverspec` is already used by deploy.steps[0]: steps of one lane need names of their own (--tests and the card pick steps by name)',
      'destroy.steps[1].name: the step name `serverspec` is already used by deploy.steps[0]: steps of one lane need names of their own (--tests and the card pick steps by name)',
    ]);
  });

  it('names YAML syntax errors by line', () => {
    expect(problems('repository: [unclosed\nbuild: x')[0]).toMatch(/line \d+/);
  });

  it('refuses a deploy without clouds, and the reserved cloud name all', () => {
    expect(problems('repository: x\nbuild: { steps: [{name: a, run: b}] }\ndeploy: { steps: [{name: a, run: b}] }')).toEqual([
      'clouds: required when deploy is set (at least one cloud)',
    ]);
    expect(problems('repository: x\nbuild: { steps: [{name: a, run: b}] }\nclouds: { all: {} }')).toEqual([
      "clouds.all: 'all' is reserved for deploying to every cloud",
    ]);
  });

  it('refuses a lifetime without a destroy pipeline, both lifetimes at once, and a keep past maxKeep', () => {
    const base = { repository: '/r', build: { steps: [{ name: 'b', run: 'true' }] }, clouds: { aws: {} } };
    const lifetimeProblems = (deploy: Record<string, unknown>, destroy = false) => {
      try {
        parseConfig({ ...base, deploy: { steps: [{ name: 'a', run: 'true' }], ...deploy }, ...(destroy ? { destroy: { steps: [{ name: 'd', run: 'true' }] } } : {}) });
        return [];
      } catch (err) {
        return (err as ApolloError).details;
      }
    };
    expect(lifetimeProblems({ ephemeral: true })).toEqual(['deploy.ephemeral: needs destroy.steps, which tear the deploy down']);
    expect(lifetimeProblems({ keep: '4h' })).toEqual(['deploy.keep: needs destroy.steps, which tear the deploy down']);
    expect(lifetimeProblems({ ephemeral: true, keep: '4h' }, true)).toEqual(['deploy.keep: a deploy is either ephemeral or kept for a time, not both']);
    expect(lifetimeProblems({ keep: '8d' }, true)).toEqual(['deploy.keep: longer than deploy.maxKeep']);
    expect(lifetimeProblems({ ephemeral: true }, true)).toEqual([]);
  });

  it('says where a missing file should come from', () => {
    expect(() => loadConfigFile('/nonexistent/apollo.yml')).toThrow(/config file not found/);
  });

  it('keeps the README reference in step with the schema', async () => {
    const { configReference } = await import('../../src/config/reference.js');
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(configReference());
  });
});

describe('environment', () => {
  it('falls back to local defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379', PORT: 3000, APOLLO_CONFIG: './apollo.yml' });
  });

  it('names the variable that is wrong', () => {
    expect(() => parseEnv({ SLACK_BOT_TOKEN: 'xoxp-user', PORT: 'eighty' })).toThrow(ApolloError);
    try {
      parseEnv({ SLACK_BOT_TOKEN: 'xoxp-user', PORT: 'eighty' });
    } catch (err) {
      expect((err as ApolloError).details).toEqual([expect.stringMatching(/^SLACK_BOT_TOKEN: /), expect.stringMatching(/^PORT: /)]);
    }
  });
});
