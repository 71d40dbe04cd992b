import { createServer, type Server } from 'node:http';
import { listen } from '../http/listen.js';
import { metricsHandler, type MetricsHandlerOptions } from './metrics-handler.js';

export interface MetricsServerOptions extends MetricsHandlerOptions {
  /** WORKER_METRICS_PORT; 0 picks a free one. */
  port: number;
  /** Default every interface (Prometheus scrapes from another host or container). */
  host?: string;
  /** `GET /healthz` answers 200 when this resolves true (the worker's Redis), 503 otherwise. */
  healthy: () => Promise<boolean>;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's own small HTTP server: `/metrics` and `/healthz`, nothing else. A worker takes no
 * requests from Slack; this is how Prometheus and a container health check reach it.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const metrics = metricsHandler(options);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') return metrics(req, res);
    if (req.method === 'GET' && path === '/healthz') {
      void options.healthy().then(
        (ok) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok, redis: ok ? 'up' : 'down' }));
        },
        () => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, redis: 'down' }));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found: the worker serves /metrics and /healthz\n');
  });
  const port = await listen(server, options.port, { ...(options.host ? { host: options.host } : {}), variable: 'WORKER_METRICS_PORT' });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
