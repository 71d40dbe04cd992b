import { describe, expect, it } from 'vitest';
import { parseRepoPipeline, pipelineForCommit, REPO_PIPELINE_MAX_BYTES } from '../../src/pipeline/repo-pipeline.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import { fakeMirror, SHA, testConfig } from '../helpers/action-fakes.js';

function problems(text: string): string[] {
  try {
    parseRepoPipeline(text, '.apollo.yml');
  } catch (err) {
    expect(err).toBeInstanceOf(ApolloError);
    expect((err as ApolloError).code).toBe(ErrorCode.PipelineInvalid);
    return [(err as ApolloError).message, ...(err as ApolloError).details];
  }
  throw new Error('expected the file to be refused');
}

describe('parseRepoPipeline', () => {
  it('refuses every key only the server may set, whatever the rest says', () => {
    const refused = problems('secrets: [X]\nworker: { sandbox: none }\npipeline: { fromRepo: x }\nrepository: /etc\nbuild: { steps: [{ name: a, run: b }] }');
    expect(refused[0]).toBe('.apollo.yml is invalid:');
    expect(refused.slice(1).map((p) => p.split(':')[0]).sort()).toEqual(['pipeline', 'repository', 'secrets', 'worker']);
  });

  it('names YAML errors by line and unknown keys by path', () => {
    expect(problems('build: { steps: [ }')[0]).toBe('.apollo.yml is not valid YAML:');
    expect(problems('build: { steps: [{ name: a, run: b, sudo: true }] }').join('\n')).toMatch(/build\.steps\[0\]: unknown key "sudo"|sudo/);
    expect(problems('deploy: { steps: [{ name: a, run: b }], ephemeral: true }').join('\n')).toMatch(/ephemeral/);
  });

  it('bounds timeouts, keeps names on one line, refuses odd variable names and alias bombs', () => {
    expect(problems("build: { steps: [{ name: a, run: b, timeout: 3h }] }").join('\n')).toContain('build.steps[0].timeout: at most 2h in a repository pipeline');
    expect(problems("build: { steps: [{ name: a, run: b, timeout: 30d }] }").join('\n')).toContain('at most 24 days');
    expect(problems('build: { steps: [{ name: "x\\n✅ *prod* passed", run: b }] }').join('\n')).toContain('build.steps[0].name: expected one line');
    expect(problems("build: { steps: [{ name: a, run: b, env: { '--split-string': x } }] }").join('\n')).toMatch(/build\.steps\[0\]\.env\.--split-string: Invalid key/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`), 'build: { steps: [{ name: a, run: b }] }'].join('\n');
    expect(problems(bomb)[0]).toMatch(/is not a pipeline:|is not valid YAML:/);
  });

  it('refuses two steps of one lane with one name, and allows one name in two lanes', () => {
    const repeated = problems('deploy: { steps: [{ name: serverspec, run: a }], tests: [{ name: serverspec, run: b }] }').join('\n');
    expect(repeated).toContain('deploy.tests[0].name: the step name `serverspec` is already used by deploy.steps[0]');
    expect(problems('build: { steps: [{ name: a, run: b }, { name: a, run: c }] }').join('\n')).toContain('build.steps[1].name: the step name `a` is already used by build.steps[0]');
    expect(parseRepoPipeline('build: { steps: [{ name: test, run: a }] }\ndeploy: { steps: [{ name: apply, run: b }], tests: [{ name: test, run: c }] }', '.apollo.yml').build.map((s) => s.name)).toEqual(['test']);
  });

  it('keeps the number of steps bounded', () => {
    const many = Array.from({ length: 51 }, (_, i) => `    - { name: s${i}, run: 'true' }`).join('\n');
    expect(problems(`build:\n  steps:\n${many}`).join('\n')).toMatch(/build\.steps/);
  });
});

describe('pipelineForCommit', () => {
  const config = (fromRepo?: string) =>
    testConfig({
      ...(fromRepo ? { pipeline: { fromRepo } } : {}),
      clouds: { aws: {} },
      deploy: { steps: [{ name: 'server apply', run: 'true' }] },
      destroy: { steps: [{ name: 'server destroy', run: 'true' }] },
    });

  it('is off without pipeline.fromRepo, and the server pipeline runs for a commit without the file', async () => {
    expect(await pipelineForCommit(config(), fakeMirror(undefined, { '.apollo.yml': 'build: { steps: [{ name: a, run: b }] }' }), SHA)).toBeUndefined();
    expect(await pipelineForCommit(config('.apollo.yml'), fakeMirror(), SHA)).toBeUndefined();
  });

  it("takes the file's sections over the server's, one by one", async () => {
    const pipeline = await pipelineForCommit(config('.apollo.yml'), fakeMirror(undefined, { '.apollo.yml': 'deploy: { steps: [{ name: repo apply, run: x }] }' }), SHA);
    expect(pipeline?.build.map((s) => s.name)).toEqual(['compile']);
    expect(pipeline?.deploy?.steps.map((s) => s.name)).toEqual(['repo apply']);
    expect(pipeline?.destroy?.map((s) => s.name)).toEqual(['server destroy']);
    expect(pipeline?.source).toBe('.apollo.yml');
  });

  it("refuses a file whose steps would share a lane's name with the server's", async () => {
    const file = "deploy: { steps: [{ name: apply, run: x }], tests: [{ name: 'server destroy', run: y }] }";
    const refused = await pipelineForCommit(config('.apollo.yml'), fakeMirror(undefined, { '.apollo.yml': file }), SHA).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: ErrorCode.PipelineInvalid, message: `.apollo.yml in ${SHA.slice(0, 7)} is invalid with the server's pipeline:` });
    expect((refused as ApolloError).details).toEqual([expect.stringMatching(/^destroy\.steps\[0\]\.name: the step name `server destroy` is already used by deploy\.tests\[0\]/)]);
  });

  it('refuses a path that leaves the repository at config load', () => {
    expect(() => testConfig({ pipeline: { fromRepo: '../etc/passwd' } })).toThrow(/relative path inside the repository/);
    expect(() => testConfig({ pipeline: { fromRepo: '/etc/passwd' } })).toThrow(/relative path inside the repository/);
    expect(REPO_PIPELINE_MAX_BYTES).toBe(65536);
  });
});
