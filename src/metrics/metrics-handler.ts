import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, sameSecret } from '../http/credentials.js';
import { registry, scrape } from './metrics.js';

export interface MetricsHandlerOptions {
  /** When set, scrapes must send `Authorization: Bearer <token>` (METRICS_TOKEN). Default: open. */
  token?: string;
  /** Told when a scrape fails (a bug: sources that fail are skipped, see scrape()). */
  onError?: (err: unknown) => void;
}

/** `GET /metrics` in Prometheus' text format, the same on the web server and the worker's own. */
export function metricsHandler(options: MetricsHandlerOptions = {}) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (options.token !== undefined) {
      const presented = bearerToken(req.headers.authorization);
      if (presented === undefined || !sameSecret(presented, options.token)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="apollo metrics"' });
        res.end('metrics need the bearer token (METRICS_TOKEN)\n');
        return;
      }
    }
    void scrape().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      (err: unknown) => {
        options.onError?.(err);
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('metrics could not be read\n');
      },
    );
  };
}
