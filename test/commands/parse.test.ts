import { describe, expect, it } from 'vitest';
import { prepareCommand } from '../../commands/index.js';
import { splitCommand } from '../../commands/parse.js';
import { ApolloError, ErrorCode } from '../../src/errors.js';

function usageError(text: string): ApolloError {
  try {
    prepareCommand(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ApolloError);
    expect((err as ApolloError).code).toBe(ErrorCode.UsageInvalid);
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
    expect(prepareCommand('build 4d124eb').name).toBe('build');
    expect(prepareCommand('help').name).toBe('help');
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
});
