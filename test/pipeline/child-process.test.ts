import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runChild, startChild } from '../../src/pipeline/child-process.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const dir = mkdtempSync(join(tmpdir(), 'apollo-child-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startChild', () => {
  it('settles after every byte of the output was read, with the exit code', async () => {
    const child = startChild('bash', ['-c', 'head -c 3000000 /dev/zero; echo oops >&2; exit 3'], { env, cwd: dir });
    let out = 0;
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.length));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    expect(await child.ended).toEqual({ exitCode: 3, signal: null });
    expect(out).toBe(3_000_000);
    expect(err).toBe('oops\n');
  });

  it('says how a process killed by a signal ended', async () => {
    const child = startChild('bash', ['-c', 'kill -TERM $$'], { env });
    child.stdout!.resume();
    child.stderr!.resume();
    expect(await child.ended).toEqual({ exitCode: null, signal: 'SIGTERM' });
  });

  it('puts a detached process in a group of its own', async () => {
    const child = startChild('bash', ['-c', 'ps -o pgid= -p $$'], { env, detached: true });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await child.ended;
    expect(Number(out.trim())).toBe(child.pid);
  });

  it('reports a program that cannot start instead of throwing, and a bad cwd too', async () => {
    const missing = await runChild('no-such-program-apollo', [], { env });
    expect(missing.exitCode).toBeNull();
    expect(missing.startError).toMatch(/ENOENT/);
    const badCwd = await runChild('true', [], { env, cwd: join(dir, 'missing') });
    expect(badCwd.startError).toMatch(/ENOENT/);
    const nul = await runChild('echo', ['a\0b'], { env });
    expect(nul.startError).toMatch(/null bytes/);
  });
});

describe('runChild', () => {
  it('keeps stderr for the error message, bounded', async () => {
    const result = await runChild('bash', ['-c', 'printf "%0.s!" $(seq 100) >&2; echo drained; exit 1'], { env }, 10);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('!!!!!!!!!!');
  });
});
