/**
 * Every error a user or operator can see has a stable code. Code that fails throws an ApolloError;
 * `views/error-text.ts` is the one place that turns an error into words for Slack.
 */
export const ErrorCode = {
  ConfigInvalid: 'apollo_config_invalid',
  ConfigMissing: 'apollo_config_missing',
  PipelineInvalid: 'apollo_repo_pipeline_invalid',
  EnvInvalid: 'apollo_env_invalid',
  UsageInvalid: 'apollo_usage_invalid',
  RefInvalid: 'apollo_ref_invalid',
  RefUnknown: 'apollo_ref_unknown',
  RefNotReviewed: 'apollo_ref_not_reviewed',
  RefMoved: 'apollo_ref_moved',
  GitFailed: 'apollo_git_failed',
  QueueUnavailable: 'apollo_queue_unavailable',
  RedisUnavailable: 'apollo_redis_unavailable',
  Duplicate: 'apollo_duplicate_run',
  NotAllowed: 'apollo_not_allowed',
  CloudUnknown: 'apollo_cloud_unknown',
  CloudLocked: 'apollo_cloud_locked',
  RequestExpired: 'apollo_request_expired',
  BuildRequired: 'apollo_build_required',
  RunUnknown: 'apollo_run_unknown',
  PayloadInvalid: 'apollo_payload_invalid',
  SignatureInvalid: 'apollo_signature_invalid',
  PayloadTooLarge: 'apollo_payload_too_large',
  RequestTimeout: 'apollo_request_timeout',
  WebhookNotConfigured: 'apollo_webhook_not_configured',
  SandboxUnavailable: 'apollo_sandbox_unavailable',
  PathOutsideWorkspace: 'apollo_path_outside_workspace',
  RateLimited: 'apollo_rate_limited',
  Internal: 'apollo_internal_error',
  // Start-up: each is one line naming the fix (src/main.ts prints it; `apollo doctor` checks for it).
  PortInUse: 'apollo_port_in_use',
  RedisAuthFailed: 'apollo_redis_auth_failed',
  SlackUnreachable: 'apollo_slack_unreachable',
  SlackAuthFailed: 'apollo_slack_auth_failed',
  ToolMissing: 'apollo_tool_missing',
  StateDirUnwritable: 'apollo_state_dir_unwritable',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class ApolloError extends Error {
  readonly code: ErrorCode;
  /** Lines of detail shown under the message (config problems by path, usage lines...). */
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: { details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApolloError';
    this.code = code;
    this.details = options.details ?? [];
  }
}

export function isApolloError(err: unknown): err is ApolloError {
  return err instanceof ApolloError;
}


/** Errors that mean "Redis is not there right now" rather than a bug. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|Command timed out|enableOfflineQueue/i.test(err.message)
  );
}
