import { StringDecoder } from 'node:string_decoder';
import { startChild } from './child-process.js';
import { LineTail, type RunLog } from './run-log.js';
import { stopGroup, trackGroup, untrackGroup } from './process-groups.js';
import type { StepCommand } from './sandbox.js';

/**
 * Rewrites output before anyone sees it (the redactor): `push` returns what may be shown now, and
 * may hold back an unfinished line or secret; `end` returns the rest.
 */
export interface OutputFilter {
  push(chunk: string): string;
  end(): string;
}

export interface StepProcessResult {
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** The process could not be started at all (bad cwd...). */
  startError?: string;
  /** Standard output, when asked for with captureStdoutLimit (for reports parsed from stdout). */
  stdout?: string;
  stdoutTruncated?: boolean;
  tail: string[];
  durationMs: number;
}

export interface StepProcessOptions {
  script: string;
  /** How to start it (the sandbox's command); default `bash -c script` as the worker. */
  command?: StepCommand;
  /** Applied to the output before it reaches the log, the tail and `onOutput`. */
  filter?: OutputFilter;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  log: RunLog;
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL for timeouts and aborts. */
  killGraceMs?: number;
  /** Called with every chunk of output (the runner keeps what it needs, e.g. for reports). */
  onOutput?: (chunk: string) => void;
  /** Keep standard output in memory up to this many characters (only for steps whose report is their stdout). */
  captureStdoutLimit?: number;
  /** Called with the pid (= process group id) once the step has started. */
  onStart?: (pid: number) => void;
}

/**
 * Runs one step as `bash -c <script>`: the script is operator config, user input arrives only in
 * `env`. Output goes to the run log as it arrives; only the last lines stay in memory.
 */
export async function runStepProcess(options: StepProcessOptions): Promise<StepProcessResult> {
  const started = Date.now();
  const tail = new LineTail();
  const grace = options.killGraceMs ?? 5000;
  let timedOut = false;
  let aborted = options.signal?.aborted ?? false;
  if (aborted) return { exitCode: null, timedOut, aborted, tail: [], durationMs: 0 };

  const command = options.command ?? { file: 'bash', args: ['-c', options.script] };
  const child = startChild(command.file, command.args, { cwd: options.cwd, env: options.command?.env ?? options.env, detached: true });

  const pid = child.pid;
  if (pid !== undefined) {
    trackGroup(pid);
    options.onStart?.(pid);
  }
  const stop = () => {
    if (pid !== undefined) stopGroup(pid, grace);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    options.log.line(`[apollo] step timed out after ${Math.round(options.timeoutMs / 1000)}s: stopping its process group\n`);
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    options.log.line('[apollo] step stopped: stopping its process group\n');
    stop();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const emit = (text: string) => {
    if (text === '') return;
    options.log.write(text);
    tail.push(text);
    options.onOutput?.(text);
  };
  // One decoder for the whole output: a character split between two chunks is decoded whole.
  const decoder = new StringDecoder('utf8');
  // Both pipes feed one log, in the order their chunks arrive. Bytes: written to the log as they are
  // when nothing rewrites them; decoded once otherwise.
  const onData = (chunk: Buffer) => {
    if (!options.filter && !options.onOutput) {
      options.log.write(chunk);
      tail.push(decoder.write(chunk));
      return;
    }
    const text = decoder.write(chunk);
    emit(options.filter ? options.filter.push(text) : text);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const stdoutChunks: Buffer[] = [];
  let stdoutBytes = 0;
  let stdoutTruncated = false;
  const limit = options.captureStdoutLimit;
  if (limit !== undefined) {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdoutTruncated) return;
      stdoutChunks.push(chunk);
      stdoutBytes += chunk.length;
      if (stdoutBytes > limit) stdoutTruncated = true;
    });
  }

  try {
    const result = await child.ended;
    const rest = decoder.end();
    if (options.filter) emit(options.filter.push(rest) + options.filter.end());
    else if (rest) emit(rest);
    const stdout = limit === undefined ? '' : Buffer.concat(stdoutChunks).toString('utf8').slice(0, limit);
    const startError = result.startError;
    if (startError) options.log.line(`[apollo] could not start step: ${startError}\n`);
    return {
      exitCode: result.exitCode,
      timedOut,
      aborted,
      ...(startError ? { startError } : {}),
      tail: startError ? [startError] : tail.get(),
      ...(limit !== undefined ? { stdout, stdoutTruncated } : {}),
      durationMs: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (pid !== undefined) {
      untrackGroup(pid);
      // Background children a step left behind would outlive the run: stop them too.
      stopGroup(pid, grace);
    }
  }
}
