import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { jsonRoute, type WebhookHandler } from '../../src/webhooks/json-route.js';
import { readRawBody } from '../../src/webhooks/raw-body.js';
import { WebhookError, WebhookErrorCode } from '../../src/webhooks/webhook-error.js';
import { sleep } from './webhook-client.js';

let server: Server | undefined;

async function serve(route: CustomRoute): Promise<string> {
  server = createServer((req, res) => route.handler(req as never, res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}${route.path}`;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server?.closeAllConnections();
  server = undefined;
});

/** Echoes the size and hex of the body it read, with a 64-byte cap. */
const echo: WebhookHandler = async (req: IncomingMessage) => {
  const raw = await readRawBody(req, 64);
  return { status: 200, body: { ok: true, size: raw.length, hex: raw.toString('hex') } };
};

/** A chunked request (no Content-Length): the cap must hold while streaming. */
function postChunked(url: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('webhook route plumbing', () => {
  it('hands the handler the exact bytes sent', async () => {
    const url = await serve(jsonRoute('/echo', silentLogger, echo));
    const bytes = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0xe2, 0x82]);
    const res = await fetch(url, { method: 'POST', body: bytes });
    expect(await res.json()).toEqual({ ok: true, size: 8, hex: bytes.toString('hex') });
  });

  it('refuses a body over the cap with 413, whether it says its length or streams it', async () => {
    const url = await serve(jsonRoute('/echo', silentLogger, echo));
    const declared = await fetch(url, { method: 'POST', body: Buffer.alloc(65, 0x61) });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ ok: false, error: 'apollo_payload_too_large' });
    const streamed = await postChunked(url, Array.from({ length: 100 }, () => Buffer.alloc(1000, 0x62)));
    expect(streamed.status).toBe(413);
    // Exactly at the cap is fine, and the server still serves.
    const atCap = await postChunked(url, [Buffer.alloc(32, 0x63), Buffer.alloc(32, 0x64)]);
    expect(JSON.parse(atCap.body)).toMatchObject({ ok: true, size: 64 });
  });

  it('turns a typed refusal into its status and code, and anything else into a 500 without internals', async () => {
    const refusing = await serve(
      jsonRoute('/refuse', silentLogger, async () => {
        throw new WebhookError(WebhookErrorCode.PayloadInvalid, 400, 'invalid thing', { details: ['a.b: required'] });
      }),
    );
    const refused = await fetch(refusing, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await refused.json()).toEqual({ ok: false, error: 'apollo_payload_invalid', message: 'invalid thing', details: ['a.b: required'] });
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const crashing = await serve(
      jsonRoute('/crash', silentLogger, async () => {
        throw new TypeError('Cannot read properties of undefined (reading secretThing)');
      }),
    );
    const crashed = await fetch(crashing, { method: 'POST', body: '{}' });
    expect(crashed.status).toBe(500);
    const body = JSON.stringify(await crashed.json());
    expect(body).toContain('apollo_internal_error');
    expect(body).not.toContain('secretThing');
  });

  it('runs follow-up work after answering, and a failing follow-up harms nothing', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let finished = false;
    try {
      const url = await serve(
        jsonRoute('/later', silentLogger, async () => ({
          status: 202,
          body: { ok: true, result: 'accepted' },
          after: async () => {
            await sleep(300);
            finished = true;
            throw new Error('Slack is down');
          },
        })),
      );
      const started = Date.now();
      const res = await fetch(url, { method: 'POST', body: '{}' });
      expect(res.status).toBe(202);
      expect(Date.now() - started).toBeLessThan(250);
      expect(finished).toBe(false);
      await sleep(500);
      expect(finished).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
