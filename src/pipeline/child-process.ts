import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

/**
 * How a process of the worker's hot path ended: its exit code or signal, or why it never started.
 */
export interface ChildEnd {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started (missing program, bad cwd): the system's message. */
  startError?: string;
}

export interface StartedChild {
  /** The process id (also its process group's, with `detached`); undefined when it did not start. */
  pid: number | undefined;
  stdout: Readable | undefined;
  stderr: Readable | undefined;
  /** Settles once the process has exited *and* its output pipes are closed: all of it was read. */
  ended: Promise<ChildEnd>;
}

export interface ChildOptions {
  cwd?: string;
  /** The whole environment of the process (nothing of the worker's is added). */
  env: Record<string, string>;
  /** A process group of its own, so that it and what it starts can be signalled together. */
  detached?: boolean;
}

/**
 * Starts a program (never a shell string) with stdin closed and stdout and stderr as pipes, for the
 * processes the worker starts per lane and per step: node's spawn with nothing around it. execa, used
 * everywhere else, costs about 1.5 ms of the worker's CPU per process here (option normalisation,
 * its stream plumbing and promise machinery), as much as a third of a short step's whole overhead.
 * The caller reads the pipes; `ended` settles when they have closed, never rejects.
 */
export function startChild(file: string, args: readonly string[], options: ChildOptions): StartedChild {
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: options.detached ?? false, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // Arguments node refuses outright (a NUL byte): nothing started.
    const startError = err instanceof Error ? err.message : String(err);
    return { pid: undefined, stdout: undefined, stderr: undefined, ended: Promise.resolve({ exitCode: null, signal: null, startError }) };
  }
  const ended = new Promise<ChildEnd>((resolve) => {
    let startError: string | undefined;
    // Always listened to: an 'error' without a listener would take the worker down.
    child.on('error', (err) => {
      // Only before the process started: afterwards, errors are of a kill or a pipe, and 'close' follows.
      if (child.pid === undefined) {
        startError = err.message;
        // 'close' may not follow an error of spawn: settle now.
        resolve({ exitCode: null, signal: null, startError });
      }
    });
    child.once('close', (exitCode, signal) => resolve({ exitCode, signal, ...(startError ? { startError } : {}) }));
    // A read error on a pipe (EIO) ends it; unlistened, it would take the worker down. 'close' follows.
    for (const pipe of [child.stdout, child.stderr]) pipe?.on('error', () => undefined);
  });
  return { pid: child.pid, stdout: child.stdout, stderr: child.stderr, ended };
}

/** Runs a program to its end, keeping its stderr (up to `limit` characters) for an error message. */
export async function runChild(file: string, args: readonly string[], options: ChildOptions, limit = 64 * 1024): Promise<ChildEnd & { stderr: string }> {
  const started = startChild(file, args, options);
  let stderr = '';
  started.stdout?.resume();
  started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < limit) stderr += chunk.slice(0, limit - stderr.length);
  });
  const end = await started.ended;
  return { ...end, stderr };
}
