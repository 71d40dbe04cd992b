import type { IncomingMessage } from 'node:http';

/**
 * The client API acts as anyone on the roster, so only this machine's own pages may call it:
 * - Host must name the loopback address the server listens on (a DNS-rebinding page sends its
 *   own host name);
 * - an Origin, when the browser sends one, must be that same loopback origin (another site's page
 *   posting here sends its own).
 * Returns why a request is refused, or undefined.
 */
export function loopbackProblem(req: IncomingMessage): string | undefined {
  const port = req.socket.localPort;
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.includes(host)) return `Host ${host || '(none)'} is not this machine's loopback address`;
  const origin = req.headers.origin?.toLowerCase();
  if (origin !== undefined && !hosts.some((h) => origin === `http://${h}`)) return `Origin ${origin} is not this playground`;
  return undefined;
}
