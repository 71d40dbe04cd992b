/**
 * The environment a step sees. It inherits the worker's environment (cloud credentials live there)
 * minus the bot's own secrets, plus the APOLLO_* variables that carry the request. User input
 * reaches a step only this way, never inside the script text.
 */
const BOT_ONLY = [/^SLACK_/, /^REDIS_URL$/, /_WEBHOOK_SECRET$/, /^APOLLO_(CONFIG|STATE_DIR|REDIS_PREFIX)$/, /^npm_/];

export interface StepRequest {
  commit: string;
  ref: string;
  runId: string;
  requestedBy: string;
  cloud?: string;
}

export function stepEnv(request: StepRequest, extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !BOT_ONLY.some((re) => re.test(key))) env[key] = value;
  }
  Object.assign(env, extra, {
    APOLLO_COMMIT: request.commit,
    APOLLO_REF: request.ref,
    APOLLO_RUN_ID: request.runId,
    APOLLO_REQUESTED_BY: request.requestedBy,
  });
  if (request.cloud !== undefined) env.APOLLO_CLOUD = request.cloud;
  return env;
}
