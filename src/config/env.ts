import { z } from 'zod';
import { ApolloError, ErrorCode } from '../errors.js';
import { formatIssues, requiredErrorMap } from './issues.js';

const Port = z.coerce.number().int().min(0).max(65535);

/** Process environment, validated once at start-up. Every default is a sensible local one. */
export const EnvSchema = z.object({
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'expected a bot token (xoxb-…)').optional()
    .describe('bot token; without it the bot runs against the local playground Slack'),
  SLACK_SIGNING_SECRET: z.string().min(1).optional().describe('signing secret (HTTP mode)'),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'expected an app-level token (xapp-…)').optional()
    .describe('app-level token; when set the bot uses Socket Mode'),
  SLACK_API_URL: z.url().optional().describe("Web API base URL (default Slack's)"),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379').describe('Redis connection URL'),
  PORT: Port.default(3000).describe('HTTP port for /slack/events, /healthz and /webhooks/*'),
  APOLLO_CONFIG: z.string().default('./apollo.yml').describe('pipeline config file'),
  APOLLO_STATE_DIR: z.string().default('./.state').describe('local cache: git mirror, workspaces, run logs, private Redis'),
  APOLLO_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('apollo').describe('prefix of every Redis key'),
  GITHUB_WEBHOOK_SECRET: z.string().min(1).optional().describe('secret of the GitHub webhook'),
  CI_WEBHOOK_SECRET: z.string().min(1).optional().describe('secret of the generic CI webhook'),
  APOLLO_JOB_LOCK_MS: z.coerce.number().int().min(1000).optional().describe('BullMQ job lock duration (default 30000)'),
  APOLLO_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).optional().describe('how often workers look for stalled jobs (default 30000)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto').describe('auto: pretty on a terminal, JSON otherwise'),
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional().describe('when set, /metrics needs `Authorization: Bearer <token>`'),
  WORKER_METRICS_PORT: Port.optional().describe('the worker serves /metrics and /healthz on this port (unset: no HTTP in the worker)'),
  APOLLO_ADMIN_PASSWORD: z.string().min(12, 'use at least 12 characters').optional().describe('turns the queue dashboard at /admin/queues on, behind basic auth'),
  APOLLO_ADMIN_USER: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (at most 64)').default('admin').describe('basic-auth user of /admin/queues; audited as admin:<user>'),
});

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // Empty strings from shells (`FOO= npm start`) mean "unset".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = EnvSchema.safeParse(cleaned, { error: requiredErrorMap });
  if (!result.success) {
    throw new ApolloError(ErrorCode.EnvInvalid, 'environment is invalid:', { details: formatIssues(result.error) });
  }
  return result.data;
}
