import { App, HTTPReceiver, LogLevel, type CustomRoute } from '@slack/bolt';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { listen } from '../http/listen.js';
import { currentLogContext, withLogContext } from '../logger.js';
import { guardedListener, type GuardOptions } from './guarded-listener.js';
import { DEFAULT_BODY_TIMEOUT_MS } from '../http/body-deadline.js';
import { RedisReplayGuard } from './replay-guard.js';
import { ApolloError, ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { slackClientOptions } from '../services.js';
import { healthRoute } from './health-route.js';
import { registerApolloCommand } from './listeners/apollo-command.js';
import { registerDeployActions } from './listeners/deploy-actions.js';
import { registerDestroyModal } from './listeners/destroy-modal.js';
import { registerDeployModal } from './listeners/deploy-modal.js';
import { registerAppHome } from './listeners/app-home.js';

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
  /** How long a request body may take once its headers are in (HTTP mode). Default 10 s. */
  bodyTimeoutMs?: number;
  /** The address to listen on (HTTP mode); default every interface. The playground uses 127.0.0.1. */
  host?: string;
  /** Route prefixes whose paths keep their case (see GuardOptions.casedPrefixes). */
  casedPrefixes?: string[];
}

/** What the app listens for: the one slash command and the buttons (slack/manifest.yml declares the same). */
export function registerListeners(app: App, services: Services): void {
  registerApolloCommand(app, services);
  registerDeployActions(app, services);
  registerDestroyModal(app, services);
  registerDeployModal(app, services);
  registerAppHome(app, services);
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
  let guard: GuardOptions | undefined;
  if (options.appToken) {
    // The socket client opens its connection with its own Web API client: point it at SLACK_API_URL too.
    app = new App({
      ...common,
      socketMode: true,
      appToken: options.appToken,
      customRoutes,
      installerOptions: { port: options.port, clientOptions: { ...slackClientOptions(options.slackApiUrl), retryConfig: { retries: 5, factor: 1.5 } } },
    });
  } else {
    if (!options.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required in HTTP mode');
    receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: '/slack/events',
      customRoutes,
      logLevel: LogLevel.WARN,
      // A signed but malformed payload (no user, unknown shape) makes Bolt itself throw before any
      // listener runs: answer it as the bad request it is, not as a server error.
      processEventErrorHandler: async ({ error, response }) => {
        services.logger.warn({ err: error }, 'Slack sent a payload that could not be processed');
        if (!response.headersSent) {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ ok: false, error: ErrorCode.PayloadInvalid, message: 'This request could not be processed; nothing changed.' }));
        }
        return false;
      },
    });
    app = new App({ ...common, receiver });
    guard = {
      signingSecret: options.signingSecret,
      replay: new RedisReplayGuard(services.redis, services.keys),
      bodyTimeoutMs: options.bodyTimeoutMs,
      ...(options.casedPrefixes ? { casedPrefixes: options.casedPrefixes } : {}),
    };
  }
  app.error(async (err) => {
    services.logger.error({ err }, 'unhandled error in a Slack listener');
  });
  // Socket Mode events arrive without an HTTP request: they get their own id for the log lines.
  app.use(async ({ next }) => {
    if (currentLogContext().reqId) return next();
    return withLogContext({ reqId: randomUUID() }, next);
  });
  registerListeners(app, services);

  let server: Server | undefined;
  return {
    app,
    async start() {
      if (receiver && guard) {
        // Our own server around Bolt's listener (the receiver is initialised by the App already),
        // so that malformed requests are answered before they can trip Bolt.
        const listener = guardedListener(receiver.requestListener, services.logger, guard);
        // Node's own limits back the guard's body deadline up (slow headers, which the guard never
        // sees): a few seconds later, so that the guard's JSON 408 is the answer clients normally get.
        // Node checks them every connectionsCheckingInterval (30 s by default, far coarser than they are).
        const backstopMs = (options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS) + 5000;
        const http = createServer({ headersTimeout: backstopMs, requestTimeout: backstopMs, connectionsCheckingInterval: 1000 }, listener);
        server = http;
        const port = await listen(http, options.port, { ...(options.host ? { host: options.host } : {}), variable: 'PORT' });
        return { port };
      }
      try {
        await app.start();
      } catch (err) {
        // Socket Mode's own server (health, webhooks, metrics) takes PORT too.
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new ApolloError(ErrorCode.PortInUse, `port ${options.port} is already in use (another apollo, or another program, listens there): stop it or set PORT to a free port`);
        }
        throw err;
      }
      return { port: options.port };
    },
    async stop() {
      if (server) {
        const closing = server;
        const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
        closing.closeAllConnections();
        await closed;
        return;
      }
      await app.stop();
    },
  };
}
