import { ErrorCode as WebErrorCode, WebClient, type FetchFunction, type WebAPICallResult, type WebClientOptions } from '@slack/web-api';
import { slackApiCalls, slackApiRequests } from '../metrics/metrics.js';

/** `chat.postMessage` from `https://slack.com/api/chat.postMessage`; uploads go to files' own hosts. */
function methodOf(url: string | URL): string {
  const path = new URL(String(url)).pathname;
  const api = /\/api\/([A-Za-z0-9_.]+)$/.exec(path);
  return api ? api[1]! : 'file_upload';
}

/** Counts every HTTP attempt the client makes (its retries too), by method and status. */
function meteredFetch(inner: FetchFunction | undefined): FetchFunction {
  return async (url, init) => {
    const method = methodOf(url);
    try {
      const response = await (inner ?? (globalThis.fetch as unknown as FetchFunction))(url, init);
      slackApiRequests.inc({ method, status: String(response.status) });
      return response;
    } catch (err) {
      slackApiRequests.inc({ method, status: 'network_error' });
      throw err;
    }
  };
}

function outcomeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === WebErrorCode.RateLimitedError) return 'rate_limited';
  if (code === WebErrorCode.PlatformError) return 'slack_error';
  if (code === WebErrorCode.HTTPError) return 'http_error';
  return 'request_error';
}

/**
 * The Web API client, counted: each call by method and outcome (`apollo_slack_api_calls_total`),
 * each HTTP attempt by status (`apollo_slack_api_requests_total`). Retries are the difference of
 * the two, per method; 429s are the requests with status 429 and the calls `rate_limited`.
 */
export class MeteredWebClient extends WebClient {
  constructor(token: string, options: WebClientOptions = {}) {
    super(token, { ...options, fetch: meteredFetch(options.fetch) });
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
    try {
      const result = await super.apiCall(method, options);
      slackApiCalls.inc({ method, outcome: 'ok' });
      return result;
    } catch (err) {
      slackApiCalls.inc({ method, outcome: outcomeOf(err) });
      throw err;
    }
  }
}
