import { describe, expect, it } from 'vitest';
import { prepareCommand } from '../../commands/index.js';
import { splitCommand } from '../../commands/parse.js';
import { parseDeployArgs } from '../../commands/deploy.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load.js';

const config = parseConfig({ repository: '.', build: { steps: [{ name: 'a', run: 'true' }] }, clouds: { aws: {}, digitalocean: {} }, deploy: { steps: [{ name: 'apply', run: 'true' }] } });

function usageError(text: string): ApolloError {
  try {
    prepareCommand(text, config);
  } catch (err) {
    expect(err).toBeInstanceOf(ApolloError);
    expect([ErrorCode.UsageInvalid, ErrorCode.CloudUnknown]).toContain((err as ApolloError).code);
    return err as ApolloError;
  }
  throw new Error(`expected ${text} to be refused`);
}

describe('command parser', () => {
  it('splits on any white space and lower-cases the subcommand', () => {
    expect(splitCommand('  BUILD\t main  ')).toEqual({ name: 'build', args: ['main'] });
    expect(splitCommand('')).toEqual({ name: 'help', args: [] });
  });

  it('prepares valid commands without touching anything', () => {
    expect(prepareCommand('build 4d124eb', config).name).toBe('build');
    expect(prepareCommand('help', config).name).toBe('help');
  });

  it('refuses bad build arguments with the usage line', () => {
    expect(usageError('build').message).toMatch(/which ref/);
    expect(usageError('build a b').message).toMatch(/expected exactly one ref/);
    expect(usageError('build $(reboot)').details).toContain('Usage: `/apollo build <ref>`');
    expect(usageError(`build ${'f'.repeat(300)}`).message).toMatch(/longer than 200/);
    expect(usageError('x'.repeat(10_000)).message).toMatch(/longer than 500/);
  });

  it('lists the commands for an unknown subcommand', () => {
    const err = usageError('deploi aws');
    expect(err.message).toContain('`deploi` is not an Apollo command');
    expect(err.details.join('\n')).toContain('/apollo build <ref>');
  });

  it('parses deploy clouds, commit and test selection', () => {
    expect(prepareCommand('deploy aws 4d124eb', config).name).toBe('deploy');
    expect(usageError('deploy gcp 4d124eb').message).toContain('Unknown cloud: `gcp`');
    expect(usageError('deploy gcp 4d124eb').details.join()).toContain('`aws`, `digitalocean`');
    expect(usageError('deploy aws,all 4d124eb').message).toContain('`all` cannot be combined');
    expect(usageError('deploy aws').message).toMatch(/give the clouds and the commit/);
    expect(usageError('deploy aws $(id)').message).toMatch(/not a commit SHA/);
    expect(usageError('deploy aws 4d124eb --tests').message).toMatch(/--tests needs/);
    expect(usageError('deploy aws 4d124eb --yolo').message).toMatch(/Unknown option `--yolo`/);
    expect(parseDeployArgs(['aws', '4d124eb', '--force'], ['aws'])).toEqual({ clouds: ['aws'], ref: '4d124eb', force: true });
    expect(usageError('deploy AWS;rm 4d124eb').message).toMatch(/expected a cloud name/);
  });

  it('parses --ephemeral and --keep, never both', () => {
    expect(parseDeployArgs(['aws', '4d124eb', '--ephemeral'], ['aws'])).toEqual({ clouds: ['aws'], ref: '4d124eb', ephemeral: true });
    expect(parseDeployArgs(['aws', '4d124eb', '--keep', '4h'], ['aws'])).toEqual({ clouds: ['aws'], ref: '4d124eb', keepMs: 4 * 3_600_000 });
    expect(parseDeployArgs(['aws', '--keep=90m', '4d124eb'], ['aws']).keepMs).toBe(90 * 60_000);
    expect(usageError('deploy aws 4d124eb --keep').message).toMatch(/--keep needs a lifetime/);
    expect(usageError('deploy aws 4d124eb --keep 4').message).toMatch(/expected a lifetime like 90m, 4h or 2d/);
    expect(usageError('deploy aws 4d124eb --keep $(id)').message).toMatch(/expected a lifetime/);
    expect(usageError('deploy aws 4d124eb --ephemeral --keep 4h').message).toMatch(/not both/);
  });

  it('parses lock, unlock, locks and status', () => {
    expect(usageError('lock aws').message).toMatch(/Say why/);
    expect(usageError('lock').message).toMatch(/which cloud, and why/);
    expect(usageError('unlock gcp').message).toContain('Unknown cloud `gcp`');
    expect(usageError('status now').message).toMatch(/argument 1|Too big|expected/i);
    expect(prepareCommand('lock aws load test until 5pm', config).name).toBe('lock');
  });
});
