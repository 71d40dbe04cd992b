import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { guardedListener } from '../../src/slack/guarded-listener.js';
import type { ReplayGuard } from '../../src/slack/replay-guard.js';
import { signedSlackHeaders } from '../../src/slack/signing.js';

const SECRET = 'unit-signing-secret';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
  server = undefined;
});

/** The guard in front of a listener that records what reached it (Bolt's place). */
async function serve(replay: ReplayGuard): Promise<{ url: string; reached: string[] }> {
  const reached: string[] = [];
  server = createServer(
    guardedListener((req, res) => {
      reached.push(`${req.url} ${(req as IncomingMessage & { rawBody?: Buffer }).rawBody?.toString()}`);
      res.end('inner');
    }, silentLogger, { signingSecret: SECRET, replay }),
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, reached };
}

function post(url: string, body: string): Promise<Response> {
  return fetch(`${url}/slack/events/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SECRET, body) }, body });
}

describe('guardedListener', () => {
  it('lets a signed request through when the replay store does not answer', async () => {
    const { url, reached } = await serve({ firstSeen: () => Promise.reject(new Error('Redis is down')) });
    const res = await post(url, 'command=%2Fapollo&text=status');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('inner');
    expect(reached).toEqual(['/slack/events command=%2Fapollo&text=status']);
  });

  it('does not wait on a replay store that hangs: Slack gives the whole request 3 s', async () => {
    const { url, reached } = await serve({ firstSeen: () => new Promise<boolean>(() => undefined) });
    const res = await post(url, 'command=%2Fapollo&text=help');
    expect([res.status, await res.text()]).toEqual([200, 'inner']);
    expect(reached).toHaveLength(1);
  });

  it('answers a signature seen before with an empty 200 and does not pass it on', async () => {
    const seen = new Set<string>();
    const { url, reached } = await serve({ firstSeen: async (signature) => !seen.has(signature) && Boolean(seen.add(signature)) });
    const body = 'command=%2Fapollo&text=build+main';
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signedSlackHeaders(SECRET, body) };
    const first = await fetch(`${url}/slack/events`, { method: 'POST', headers, body });
    const again = await fetch(`${url}/slack/events`, { method: 'POST', headers, body });
    expect([first.status, await first.text()]).toEqual([200, 'inner']);
    expect([again.status, await again.text()]).toEqual([200, '']);
    expect(reached).toHaveLength(1);
  });

  it('answers Slack’s unsigned certificate probe itself', async () => {
    const { url, reached } = await serve({ firstSeen: async () => true });
    const res = await fetch(`${url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ssl_check=1&token=x&payload=%7B%7D' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(reached).toEqual([]);
  });
});
