import { z } from 'zod';
import { defineCommand, type CommandDefinition } from './command.js';
import { parseArgs } from './parse.js';

const HelpArgs = z.array(z.string()).max(1);

export function helpText(commands: CommandDefinition<unknown>[]): string {
  const lines = commands.map((c) => `• \`${c.usage}\` — ${c.summary}`);
  return ['*Apollo* builds, deploys, tests and destroys Apollo environments from this channel.', ...lines].join('\n');
}

export function createHelpCommand(all: () => CommandDefinition<unknown>[]) {
  return defineCommand({
    name: 'help',
    acts: false,
    usage: '/apollo help',
    summary: 'this list',
    parse: (args) => parseArgs(HelpArgs, args, '/apollo help'),
    answerAtOnce: () => helpText(all()),
    async run(_args, { reply }) {
      await reply(helpText(all()));
    },
  });
}
