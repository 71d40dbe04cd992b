import type { Config } from '../src/config/schema.js';
import type { Services } from '../src/services.js';

/** Who asked, where, and how to answer them privately. */
export interface CommandContext {
  userId: string;
  channelId: string;
  /** Sends an ephemeral message to the person who typed the command. */
  reply: (text: string) => Promise<void>;
  services: Services;
}

export interface CommandDefinition<Args> {
  name: string;
  usage: string;
  summary: string;
  /**
   * Whether it makes the bot act (run code, change a lock, cancel): acting commands are refused to
   * guests, Slack Connect users and in DMs; reading ones (help, status…) are not.
   */
  acts: boolean;
  /** Turns the words after the subcommand into typed arguments; throws ApolloError(UsageInvalid). */
  parse: (args: string[], config: Config) => Args;
  run: (args: Args, context: CommandContext) => Promise<void>;
}

export function defineCommand<Args>(definition: CommandDefinition<Args>): CommandDefinition<Args> {
  return definition;
}
