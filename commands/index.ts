import type { Config } from '../src/config/schema.js';
import { ApolloError, ErrorCode } from '../src/errors.js';
import { deployCommand } from './deploy.js';
import { lockCommand, locksCommand, unlockCommand } from './locks.js';
import { statusCommand } from './status.js';
import { cancelCommand } from './cancel.js';
import { historyCommand } from './history.js';
import { buildCommand } from './build.js';
import { rollbackCommand } from './rollback.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { createHelpCommand, helpText } from './help.js';
import { splitCommand } from './parse.js';

const commands: CommandDefinition<unknown>[] = [];
const helpCommand = createHelpCommand(() => commands);
commands.push(
  ...([helpCommand, buildCommand, deployCommand, cancelCommand, rollbackCommand, statusCommand, historyCommand, locksCommand, lockCommand, unlockCommand] as CommandDefinition<unknown>[]),
);

export function allCommands(): CommandDefinition<unknown>[] {
  return commands;
}

export interface PreparedCommand {
  name: string;
  /** See CommandDefinition.acts. */
  acts: boolean;
  /** See CommandDefinition.answerAtOnce: the ack's text, when the reply needs nothing else. */
  answer?: string;
  run: (context: CommandContext) => Promise<void>;
}

/**
 * Parses and validates slash-command text synchronously, so a mistake is answered in the ack itself.
 * Throws ApolloError(UsageInvalid) with the usage lines.
 */
export function prepareCommand(text: string, config: Config): PreparedCommand {
  const { name, args } = splitCommand(text);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    throw new ApolloError(ErrorCode.UsageInvalid, `\`${name.slice(0, 40)}\` is not an Apollo command.`, { details: [helpText(commands)] });
  }
  const parsed = command.parse(args, config);
  return {
    name,
    acts: command.acts,
    ...(command.answerAtOnce ? { answer: command.answerAtOnce(parsed) } : {}),
    run: (context) => command.run(parsed, context),
  };
}
