import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, resolveLogFormat, withLogContext } from '../src/logger.js';

function capture(format: 'json' | 'pretty') {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { logger: createLogger('info', { format, destination: out }), text: () => text };
}

describe('logger', () => {
  it('is pretty on a terminal and JSON elsewhere, unless LOG_FORMAT says', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat(undefined, false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('adds the request id and the run id to every line logged inside their context, nested ones too', async () => {
    const { logger, text } = capture('json');
    logger.info('outside');
    await withLogContext({ reqId: 'req-1' }, async () => {
      logger.info('in the request');
      await Promise.resolve();
      await withLogContext({ runId: 'b12', queue: 'apollo-build', jobId: 'b12' }, async () => {
        await new Promise((r) => setTimeout(r, 1));
        logger.child({ step: 'compile' }).warn('in the job');
      });
    });
    const lines = text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.msg, l.reqId, l.runId])).toEqual([
      ['outside', undefined, undefined],
      ['in the request', 'req-1', undefined],
      ['in the job', 'req-1', 'b12'],
    ]);
    expect(lines[2]).toMatchObject({ queue: 'apollo-build', jobId: 'b12', step: 'compile', level: 40 });
  });

  it('writes one readable line per entry when pretty, with the ids', () => {
    const { logger, text } = capture('pretty');
    withLogContext({ runId: 'd7' }, () => logger.info({ cloud: 'aws' }, 'lane started'));
    const out = text();
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: lane started\n/);
    expect(out).toContain('runId: "d7"');
    expect(out).toContain('cloud: "aws"');
    expect(out).not.toContain('{"level"');
  });
});
