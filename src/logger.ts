import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'apollo-chatops' } });
}

/** A logger that drops everything: tests pass it where log lines would only be noise. */
export const silentLogger: Logger = pino({ level: 'silent' });
