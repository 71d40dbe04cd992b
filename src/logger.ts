import { AsyncLocalStorage } from 'node:async_hooks';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/**
 * What every log line written while handling one thing carries: `reqId` for an HTTP request or a
 * Slack event, `runId` (and the job's queue and id) for a job a worker runs. Set once where the
 * request or job comes in (src/slack/guarded-listener.ts, src/worker/workers.ts); every line logged
 * below, by any module with any logger, gets the fields without being handed them.
 */
export interface LogContext {
  reqId?: string;
  runId?: string;
  queue?: string;
  jobId?: string;
}

const context = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `fields` added to the current log context (nested contexts keep the outer fields). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

/** The fields of the current request or job, if any. */
export function currentLogContext(): LogContext {
  return context.getStore() ?? {};
}

/** `pretty`: one coloured line a person reads; `json`: one JSON object a collector parses. */
export type LogFormat = 'pretty' | 'json';

/** LOG_FORMAT=auto (the default) is pretty on a terminal and JSON everywhere else (files, pipes, containers). */
export function resolveLogFormat(setting: LogFormat | 'auto' | undefined, isTty = Boolean(process.stdout.isTTY)): LogFormat {
  if (setting === 'pretty' || setting === 'json') return setting;
  return isTty ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level?: string;
  format?: LogFormat | 'auto';
  /** Where lines go (default stdout); tests pass a stream to read them. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', options: Omit<LoggerOptions, 'level'> = {}): Logger {
  const format = resolveLogFormat(options.format);
  const base = { level, base: { app: 'apollo-chatops' }, mixin: () => ({ ...context.getStore() }) };
  if (format === 'json') return options.destination ? pino(base, options.destination) : pino(base);
  // Loaded only for a person's terminal: a JSON logger (production, containers) never holds it.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  // Synchronous, in this thread: a transport's worker thread would lose the last lines on a crash.
  const stream = pretty({
    sync: true,
    colorize: options.destination ? false : Boolean(process.stdout.isTTY),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,app',
    ...(options.destination ? { destination: options.destination } : {}),
  });
  return pino(base, stream);
}

/** A logger that drops everything: tests pass it where log lines would only be noise. */
export const silentLogger: Logger = pino({ level: 'silent' });
