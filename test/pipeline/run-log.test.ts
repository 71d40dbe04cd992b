import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LineTail, RunLog } from '../../src/pipeline/run-log.js';

describe('the tail ring', () => {
  it('keeps only the last N characters, whatever came before, and splits lines only when read', () => {
    const tail = new LineTail(20, 10);
    tail.push('0123456789');
    tail.push('abc\nde');
    tail.push('f\ng');
    expect(tail.get()).toEqual(['9abc', 'def', 'g']);
    tail.push('x'.repeat(1000));
    expect(tail.get()).toEqual(['x'.repeat(10)]);
  });

  it('keeps the last lines from many small chunks and drops a final empty line', () => {
    const tail = new LineTail(3, 1024);
    for (let i = 0; i < 5000; i++) tail.push(`line ${i}\n`);
    expect(tail.get()).toEqual(['line 4997', 'line 4998', 'line 4999']);
  });
});

describe('run log', () => {
  it('writes bytes as they are and starts a footer on its own line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apollo-runlog-'));
    const log = new RunLog(join(dir, 'run.log'));
    await log.open();
    log.line('==> one\n');
    log.write(Buffer.from('no newline at the end'));
    log.line('==> one: exit 0\n');
    log.write('ended\n');
    log.line('==> two: exit 0\n');
    await log.close();
    expect(await readFile(log.path, 'utf8')).toBe('==> one\nno newline at the end\n==> one: exit 0\nended\n==> two: exit 0\n');
    await rm(dir, { recursive: true, force: true });
  });
});
