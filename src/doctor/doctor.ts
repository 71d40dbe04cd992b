import { resolve } from 'node:path';
import { parseEnv, type Env } from '../config/env.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { isApolloError } from '../errors.js';
import {
  botTools,
  checkChannels,
  checkRedis,
  checkRedisProduction,
  checkSandbox,
  checkSlackAuth,
  checkStateDir,
  checkTool,
  checkWebhookSecrets,
  configuredChannels,
  stepTools,
  type Check,
} from './checks.js';

/** One line per check: ✅ what was found, or ❌ what is wrong — and the fix on the next line. */
export function formatCheck(check: Check): string {
  return check.ok ? `✅ ${check.what}` : `❌ ${check.what}\n   fix: ${check.fix ?? 'see above'}`;
}

function problem(err: unknown): string[] {
  if (isApolloError(err)) return [err.message, ...err.details];
  return [err instanceof Error ? err.message : String(err)];
}

/**
 * `apollo doctor`: checks a deployment the way the bot would meet it, from the environment it
 * would run with — config, Redis, Slack, channels, tools, sandbox, webhook secrets. Each check is
 * independent where it can be: a broken Redis does not hide a revoked token.
 */
export async function runDoctor(source: NodeJS.ProcessEnv = process.env, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<{ ok: boolean; checks: Check[] }> {
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    print(formatCheck(check));
  };

  let env: Env;
  try {
    env = parseEnv(source);
    report({ ok: true, what: 'environment is valid' });
  } catch (err) {
    const [first, ...rest] = problem(err);
    report({ ok: false, what: `${first} ${rest.join('; ')}`.trim(), fix: 'correct the variables named above (README, Environment)' });
    return { ok: false, checks };
  }

  let config: Config | undefined;
  try {
    config = loadConfigFile(env.APOLLO_CONFIG);
    report({ ok: true, what: `config ${resolve(env.APOLLO_CONFIG)} is valid` });
  } catch (err) {
    const [first, ...rest] = problem(err);
    report({ ok: false, what: `config: ${first}${rest.length ? ` ${rest.join('; ')}` : ''}`, fix: 'fix apollo.yml (or APOLLO_CONFIG) as listed; examples/apollo.yml is a starting point' });
  }

  report(await checkStateDir(env.APOLLO_STATE_DIR));

  const redis = await checkRedis(env.REDIS_URL);
  report(redis);
  if (redis.ok) for (const check of await checkRedisProduction(env.REDIS_URL)) report(check);

  if (!env.SLACK_BOT_TOKEN) {
    report({ ok: false, what: 'SLACK_BOT_TOKEN is not set (the bot would run the local playground)', fix: 'install the app from slack/manifest.yml and copy its Bot User OAuth Token (xoxb-…)' });
  } else {
    const slack = await checkSlackAuth(env.SLACK_BOT_TOKEN, env.SLACK_API_URL);
    report(slack.check);
    if (slack.identity && config) for (const check of await checkChannels(env.SLACK_BOT_TOKEN, env.SLACK_API_URL, configuredChannels(config))) report(check);
  }
  report(
    env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN
      ? { ok: true, what: env.SLACK_APP_TOKEN ? 'SLACK_APP_TOKEN is set (Socket Mode)' : 'SLACK_SIGNING_SECRET is set (HTTP mode)' }
      : { ok: false, what: 'neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set: the web process cannot receive Slack requests', fix: "copy the Signing Secret from the app's Basic Information page (or an app-level token for Socket Mode)" },
  );

  for (const tool of botTools('worker')) report(await checkTool(tool));
  if (config) {
    for (const name of stepTools(config).filter((n) => n !== 'git' && n !== 'bash')) report(await checkTool({ name, why: 'a step of apollo.yml runs it' }));
    report(await checkSandbox(config, env.APOLLO_STATE_DIR, env.APOLLO_CONFIG));
  }

  for (const check of checkWebhookSecrets(env)) report(check);

  const ok = checks.every((c) => c.ok);
  print(ok ? '\nAll checks passed.' : `\n${checks.filter((c) => !c.ok).length} of ${checks.length} checks failed.`);
  return { ok, checks };
}
