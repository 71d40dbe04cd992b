import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "10m", "1h", "14d", "1500ms", or a number of seconds → milliseconds. */
export const Duration = z
  .union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration like 30s, 10m, 1h or 14d'),
  ])
  .transform((value) => {
    if (typeof value === 'number') return Math.round(value * 1000);
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value)!;
    return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  })
  // A timer takes at most 2^31-1 ms; past that Node fires it at once (a 30d timeout would end every step).
  .refine((ms) => ms <= MAX_TIMER_MS, { message: 'at most 24 days' });

export const MAX_TIMER_MS = 2_147_483_647;

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours >= 48 && minutes === 0 && seconds === 0 && hours % 24 === 0) return `${hours / 24} days`;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}
