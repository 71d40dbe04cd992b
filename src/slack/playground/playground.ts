import type { CustomRoute } from '@slack/bolt';
import type { Logger } from '../../logger.js';
import { PlaygroundChannel } from './client/channel.js';
import { playgroundClientRoutes } from './client/client-routes.js';
import type { Names } from './client/mrkdwn-html.js';
import { FakeSlack } from './fake-slack.js';
import { OPS_GROUP, PLAYGROUND_BOT, PLAYGROUND_CHANNEL, PLAYGROUND_TEAM, ROSTER, rosterUsers } from './roster.js';

/** Names for mentions in the client: the roster, the bot, the channel, the approvers' group. */
export const PLAYGROUND_NAMES: Names = {
  user: (id) => (id === PLAYGROUND_BOT.id ? PLAYGROUND_BOT.name : ROSTER.find((p) => p.id === id)?.name),
  channel: (id) => (id === PLAYGROUND_CHANNEL.id ? PLAYGROUND_CHANNEL.name : undefined),
  usergroup: (id) => (id === OPS_GROUP.id ? OPS_GROUP.handle : undefined),
};

/**
 * The local playground: a stand-in for Slack on loopback that knows the roster (users.info,
 * usergroups.users.list, auth.test), and the channel the client shows, folded from every call the
 * bot makes to it. Started by main.ts only without a bot token and outside production.
 */
export class Playground {
  readonly channel = new PlaygroundChannel(PLAYGROUND_CHANNEL.id);
  readonly slack: FakeSlack;

  private constructor() {
    this.slack = new FakeSlack({
      teamId: PLAYGROUND_TEAM,
      users: rosterUsers(),
      usergroups: { [OPS_GROUP.id]: [...OPS_GROUP.members] },
      onCall: (call) => this.channel.record(call),
    });
  }

  static async start(port: number): Promise<Playground> {
    const playground = new Playground();
    await playground.slack.start(port);
    return playground;
  }

  /** The client's page and API, served beside /slack/events by the bot's own server. */
  clientRoutes(signingSecret: string, logger: Logger): CustomRoute[] {
    return playgroundClientRoutes({
      channel: this.channel,
      slack: this.slack,
      roster: ROSTER,
      names: PLAYGROUND_NAMES,
      teamId: PLAYGROUND_TEAM,
      channelName: PLAYGROUND_CHANNEL.name,
      signingSecret,
      logger,
    });
  }

  stop(): Promise<void> {
    return this.slack.stop();
  }
}
