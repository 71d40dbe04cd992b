/**
 * The environment a step sees, built from an allowlist, never as the worker's environment minus a
 * denylist: a new variable on the worker (a token, a password) never reaches a step by accident.
 * User input reaches a step only through the APOLLO_* variables, never inside the script text.
 */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'] as const;

export interface StepRequest {
  commit: string;
  ref: string;
  runId: string;
  requestedBy: string;
  cloud?: string;
}

/**
 * `PATH`, `HOME` and the locale from the worker, the request's APOLLO_* variables, and `extra` (a
 * deploy or destroy lane's cloud env; builds get none). The sandbox replaces HOME with its own;
 * a step's `env` is added by the lane runner on top.
 */
export function stepEnv(request: StepRequest, extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = base[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  Object.assign(env, extra, {
    APOLLO_COMMIT: request.commit,
    APOLLO_REF: request.ref,
    APOLLO_RUN_ID: request.runId,
    APOLLO_REQUESTED_BY: request.requestedBy,
  });
  if (request.cloud !== undefined) env.APOLLO_CLOUD = request.cloud;
  return env;
}
