// Processes the bench starts, and what it reads about them from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface Started {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Everything it printed, for the report when it fails. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `file args` in its own process group (so its children are counted with it and stopped
 * with it), and resolves once a line of its output matches `ready`.
 */
export async function startProcess(name: string, file: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 60_000): Promise<Started> {
  const child = spawn(file, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`));
    });
  });
  const pid = child.pid!;
  return {
    name,
    child,
    pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function status(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status(pid));
  return match ? Number(match[1]) * 1024 : 0;
}

/** Resident memory of one process, in bytes. */
export function rss(pid: number): number {
  return statusKb(pid, 'VmRSS');
}

/** The most resident memory the process had since its peak was last reset (`resetPeak`). */
export function peakRss(pid: number): number {
  return statusKb(pid, 'VmHWM');
}

/** Starts the process's peak (VmHWM) again from its current RSS (Linux: clear_refs 5). */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Resident memory of every process in the group `pgid` (the process and what it started), in bytes. */
export function groupRss(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (in parentheses, which may hold spaces): state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) total += rss(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** Runs a command to its end; resolves with its wall time in ms (rejects when it fails). */
export async function timed(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore', ...options });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited ${code}`))));
  });
  return performance.now() - started;
}

/** CPU time in ms: the process's own, and that of its children it has waited for (utime+stime, cutime+cstime). */
export function cpuTimes(pid: number): { self: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields from state (3rd of stat): utime is the 14th of stat, i.e. index 11 here.
    const tick = 1000 / 100;
    return { self: (Number(fields[11]) + Number(fields[12])) * tick, children: (Number(fields[13]) + Number(fields[14])) * tick };
  } catch {
    return { self: 0, children: 0 };
  }
}
