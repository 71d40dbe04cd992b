import { constants } from 'node:fs';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LogLevel, WebClient, ErrorCode as WebErrorCode } from '@slack/web-api';
import { ApolloError, ErrorCode, isApolloError } from '../errors.js';
import type { Config } from '../config/schema.js';
import { displayRedisUrl, probeRedis } from '../redis/probe.js';
import { createSandbox } from '../pipeline/sandbox.js';

/**
 * One thing about a deployment, checked: what was found, and when it is wrong, how to fix it.
 * Start-up (src/main.ts) stops on the failures that carry a `code`; `apollo doctor` prints them all.
 */
export interface Check {
  ok: boolean;
  /** What was found, e.g. `git on the PATH (/usr/bin/git)` or `Redis at … refused the credentials`. */
  what: string;
  /** What to do about it (failures only). */
  fix?: string;
  /** Failures that stop start-up carry their error code. */
  code?: ErrorCode;
}

const pass = (what: string): Check => ({ ok: true, what });
const fail = (what: string, fix: string, code?: ErrorCode): Check => ({ ok: false, what, fix, ...(code ? { code } : {}) });

/** The one-line start-up error of a failed check. */
export function startupError(check: Check): ApolloError {
  return new ApolloError(check.code ?? ErrorCode.Internal, `${check.what}: ${check.fix ?? 'see apollo doctor'}`);
}

/** The state dir can be created and written: mirror, workspaces and logs live there. */
export async function checkStateDir(dir: string): Promise<Check> {
  const absolute = resolve(dir);
  const probe = join(absolute, `.write-probe-${randomUUID()}`);
  try {
    await mkdir(absolute, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return pass(`state dir ${absolute} is writable`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const uid = process.getuid?.();
    return fail(
      `the state dir ${absolute} cannot be written (${code})`,
      `create it for the bot's user${uid !== undefined ? ` (uid ${uid})` : ''} (mkdir -p, chown), or set APOLLO_STATE_DIR to a writable directory`,
      ErrorCode.StateDirUnwritable,
    );
  }
}

/** Where `name` is on PATH, as a shell would find it. */
export async function findOnPath(name: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A program the bot or its steps need, and why (shown when it is missing). */
export interface Tool {
  name: string;
  why: string;
  /** The Debian package that has it, when there is one to name. */
  apt?: string;
}

export async function checkTool(tool: Tool): Promise<Check> {
  const found = await findOnPath(tool.name);
  if (found) return pass(`${tool.name} on the PATH (${found})`);
  return fail(
    `${tool.name} is not on the PATH (${tool.why})`,
    tool.apt
      ? `install it (apt-get install ${tool.apt}) or add its directory to PATH`
      : "install it on the worker (in the image: the STEP_PACKAGES build argument, or a derived image) or add its directory to PATH",
    ErrorCode.ToolMissing,
  );
}

/** What the bot itself runs: git for the mirror (web and worker), bash for every step (worker). */
export function botTools(role: 'web' | 'worker' | 'all'): Tool[] {
  const git: Tool = { name: 'git', why: 'the bot keeps a git mirror of the repository and checks commits out of it', apt: 'git' };
  const bash: Tool = { name: 'bash', why: 'every step runs as bash -c', apt: 'bash' };
  return role === 'web' ? [git] : [git, bash];
}

/** Words that begin a line of a step's script without being a program to find on the PATH. */
const SHELL_WORDS = new Set(
  '! [ [[ { } . : alias break case cd command continue declare do done echo elif else esac eval exec exit export false fi for function if in local printf pushd popd pwd read readonly return select set shift source test then time trap true type ulimit umask unset until wait while'.split(' '),
);

/**
 * The programs the configured steps start, as far as a plain reading tells: the first word of each
 * line that is a bare command name. A heuristic for `apollo doctor`, never a reason to refuse.
 */
export function stepTools(config: Config): string[] {
  const steps = [...config.build.steps, ...(config.deploy?.steps ?? []), ...(config.deploy?.tests ?? []), ...(config.destroy?.steps ?? [])];
  const names = new Set<string>();
  for (const step of steps) {
    for (const line of step.run.split('\n')) {
      const word = /^\s*([A-Za-z_][\w.+-]*)(\s|$)/.exec(line)?.[1];
      if (word && !SHELL_WORDS.has(word) && !/^[A-Z_][A-Z0-9_]*$/.test(word)) names.add(word);
    }
  }
  return [...names].sort();
}

export async function checkRedis(url: string): Promise<Check> {
  const probe = await probeRedis(url, 2000);
  if (probe.kind === 'ok') return pass(`Redis at ${displayRedisUrl(url)} answers`);
  if (probe.kind === 'auth') {
    return fail(`Redis at ${displayRedisUrl(url)} refused the credentials (${probe.reason})`, 'put the right password (and ACL user, if any) in REDIS_URL, as redis://user:password@host:port', ErrorCode.RedisAuthFailed);
  }
  return fail(`Redis at ${displayRedisUrl(url)} does not answer (${probe.reason})`, 'start Redis, or set REDIS_URL to a running one', ErrorCode.RedisUnavailable);
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** What production needs of Redis: AOF (runs and queues survive a restart) and noeviction (no key is ever dropped). */
export async function checkRedisProduction(url: string): Promise<Check[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const persistence = await redis.info('persistence');
    const memory = await redis.info('memory');
    const aof = infoField(persistence, 'aof_enabled') === '1';
    const policy = infoField(memory, 'maxmemory_policy') ?? 'unknown';
    return [
      aof ? pass('Redis persistence: AOF on') : fail('Redis persistence: AOF is off (a restart loses queued jobs and run state)', 'set appendonly yes and appendfsync everysec (CONFIG SET appendonly yes, and in redis.conf)'),
      policy === 'noeviction'
        ? pass('Redis maxmemory-policy: noeviction')
        : fail(`Redis maxmemory-policy: ${policy} (Redis may drop queue and lock keys when full)`, 'set maxmemory-policy noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf)'),
    ];
  } catch (err) {
    return [fail(`Redis persistence and eviction could not be read (${err instanceof Error ? err.message : String(err)})`, 'let the bot\'s Redis user run INFO')];
  } finally {
    redis.disconnect();
  }
}

function webClient(token: string, slackApiUrl: string | undefined): WebClient {
  return new WebClient(token, {
    ...(slackApiUrl ? { slackApiUrl: slackApiUrl.endsWith('/') ? slackApiUrl : `${slackApiUrl}/` } : {}),
    // One try, a short wait: this is a question, not a message that must get through.
    retryConfig: { retries: 0 },
    timeout: 5000,
    rejectRateLimitedCalls: true,
    // The check says what went wrong in its own line; the client's console warnings would be a second.
    logLevel: LogLevel.ERROR,
  });
}

const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);

export interface SlackIdentity {
  userId: string;
  team: string;
}

/**
 * `auth.test` with the bot token. Unreachable (no HTTP answer) and a refused token carry codes and
 * stop start-up; anything else Slack says (a 5xx, a rate limit) is a failure here but only a warning there.
 */
export async function checkSlackAuth(token: string, slackApiUrl: string | undefined): Promise<{ check: Check; identity?: SlackIdentity }> {
  const where = slackApiUrl ?? 'https://slack.com/api/';
  try {
    const auth = await webClient(token, slackApiUrl).auth.test();
    const identity = { userId: String(auth.user_id ?? ''), team: String(auth.team_id ?? '') };
    return { check: pass(`Slack auth.test: the token is bot @${String(auth.user ?? auth.user_id)} in team ${identity.team} (${where})`), identity };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === WebErrorCode.PlatformError) {
      const error = String((err as { data?: { error?: string } }).data?.error ?? 'error');
      if (AUTH_ERRORS.has(error)) {
        return { check: fail(`Slack refused SLACK_BOT_TOKEN (${error})`, "copy the Bot User OAuth Token (xoxb-…) again from the app's OAuth & Permissions page, and reinstall the app if it was revoked", ErrorCode.SlackAuthFailed) };
      }
      return { check: fail(`Slack answered auth.test with ${error}`, 'see https://api.slack.com/methods/auth.test for what it means') };
    }
    if (code === WebErrorCode.HTTPError) {
      const status = (err as { statusCode?: number }).statusCode;
      const fix = status === 404 ? 'check SLACK_API_URL: it must end in /api/ (unset it to use Slack\'s own)' : 'Slack may be having trouble: try again, or check SLACK_API_URL';
      return { check: fail(`Slack's Web API at ${where} answered HTTP ${status ?? '?'}`, fix, status === 404 ? ErrorCode.SlackUnreachable : undefined) };
    }
    // fetch's own error says only "fetch failed"; its cause has the code (ECONNREFUSED, ENOTFOUND…).
    const original = (err as { original?: Error & { cause?: { code?: string; message?: string } } }).original;
    const reason = original?.cause?.code ?? original?.cause?.message ?? original?.message ?? (err instanceof Error ? err.message : String(err));
    return {
      check: fail(`Slack's Web API at ${where} is unreachable (${reason})`, "check SLACK_API_URL (unset it to use Slack's own) and that this host may reach it over HTTPS (proxy, firewall, DNS)", ErrorCode.SlackUnreachable),
    };
  }
}

/** Channels the config names: where notifications and runs without a channel go. */
export function configuredChannels(config: Config): string[] {
  return [...new Set([...(config.channel ? [config.channel] : []), ...config.notifications.routes.map((r) => r.channel)])];
}

/** The bot is a member of each channel (conversations.info). */
export async function checkChannels(token: string, slackApiUrl: string | undefined, channels: string[]): Promise<Check[]> {
  if (channels.length === 0) return [pass('no channel configured (runs post where they are asked for)')];
  const client = webClient(token, slackApiUrl);
  return Promise.all(
    channels.map(async (channel): Promise<Check> => {
      try {
        const info = await client.conversations.info({ channel });
        const name = info.channel?.name ? `#${info.channel.name}` : channel;
        if (info.channel?.is_member) return pass(`the bot is in ${name} (${channel})`);
        return fail(`the bot is not in ${name} (${channel})`, `invite it: /invite @apollo in ${name}`);
      } catch (err) {
        const error = String((err as { data?: { error?: string } }).data?.error ?? (err instanceof Error ? err.message : err));
        if (error === 'missing_scope') return fail(`cannot see channel ${channel} (missing_scope)`, 'add channels:read and groups:read to the bot scopes (slack/manifest.yml has them) and reinstall the app');
        if (error === 'channel_not_found') return fail(`channel ${channel} not found (or private without the bot)`, `check the channel id in apollo.yml, or invite the bot to it`);
        return fail(`cannot check channel ${channel} (${error})`, 'see the error above');
      }
    }),
  );
}

/** The step sandbox the worker would use, probed as the worker probes it at start. */
export async function checkSandbox(config: Config, stateDir: string, configPath?: string): Promise<Check> {
  if (config.worker.sandbox === 'none') {
    return fail('worker.sandbox is none: steps run unsandboxed, as the worker, and can read its environment', 'set worker.sandbox: namespaces and run the worker as root with bubblewrap and util-linux (the compose file shows how)');
  }
  try {
    const sandbox = await createSandbox({ sandbox: config.worker.sandbox, runAs: config.worker.runAs, stateDir, ...(configPath ? { hide: [configPath] } : {}) });
    return pass(`step sandbox: ${sandbox.describe()}`);
  } catch (err) {
    if (!isApolloError(err)) throw err;
    const [what, fix] = err.message.split(/: (?=run the worker|set |use )/);
    return fail(what ?? err.message, fix ?? 'see the message');
  }
}

/** A webhook route without its secret refuses every delivery. */
export function checkWebhookSecrets(secrets: { GITHUB_WEBHOOK_SECRET?: string; CI_WEBHOOK_SECRET?: string }): Check[] {
  const one = (name: 'GITHUB_WEBHOOK_SECRET' | 'CI_WEBHOOK_SECRET', route: string) =>
    secrets[name] ? pass(`${name} is set (${route})`) : fail(`${name} is not set: ${route} refuses every delivery`, `set it (openssl rand -hex 32) and give the sender the same value, if you use ${route}`);
  return [one('GITHUB_WEBHOOK_SECRET', 'POST /webhooks/github'), one('CI_WEBHOOK_SECRET', 'POST /webhooks/ci')];
}
