import { App, HTTPReceiver, LogLevel, type CustomRoute } from '@slack/bolt';
import type { Server } from 'node:http';
import type { Services } from '../services.js';
import { slackClientOptions } from '../services.js';
import { healthRoute } from './health-route.js';
import { registerApolloCommand } from './listeners/apollo-command.js';
import { registerDeployActions } from './listeners/deploy-actions.js';

export interface SlackAppOptions {
  botToken: string;
  signingSecret?: string;
  /** Socket Mode when set. */
  appToken?: string;
  slackApiUrl?: string;
  port: number;
  /** Extra routes on the same HTTP server (webhooks). */
  routes?: CustomRoute[];
  /** Skip auth.test at start (tests, playground). */
  botUserId?: string;
}

export interface SlackApp {
  app: App;
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

export function createSlackApp(services: Services, options: SlackAppOptions): SlackApp {
  const customRoutes = [healthRoute(services.redis), ...(options.routes ?? [])];
  const common = {
    token: options.botToken,
    clientOptions: slackClientOptions(options.slackApiUrl),
    logLevel: LogLevel.WARN,
    ...(options.botUserId ? { tokenVerificationEnabled: false, botUserId: options.botUserId, botId: 'B0APOLLO' } : {}),
  };
  let app: App;
  let receiver: HTTPReceiver | undefined;
  if (options.appToken) {
    app = new App({ ...common, socketMode: true, appToken: options.appToken, customRoutes, installerOptions: { port: options.port } });
  } else {
    if (!options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required in HTTP mode');
    receiver = new HTTPReceiver({ signingSecret: options.signingSecret, endpoints: '/slack/events', customRoutes, logLevel: LogLevel.WARN });
    app = new App({ ...common, receiver });
  }
  app.error(async (err) => {
    services.logger.error({ err }, 'unhandled error in a Slack listener');
  });
  registerApolloCommand(app, services);
  registerDeployActions(app, services);

  return {
    app,
    async start() {
      if (receiver) {
        const server = (await app.start(options.port)) as Server;
        const address = server.address();
        return { port: typeof address === 'object' && address ? address.port : options.port };
      }
      await app.start();
      return { port: options.port };
    },
    async stop() {
      await app.stop();
    },
  };
}
