import { describe, expect, it } from 'vitest';
import { clock } from '../../views/clock.js';

describe('clock', () => {
  const now = Date.UTC(2026, 10, 30, 9, 30);

  it('shows a time of the same UTC day alone', () => {
    expect(clock(Date.UTC(2026, 10, 30, 0, 0), now)).toBe('00:00 UTC');
    expect(clock(Date.UTC(2026, 10, 30, 23, 59), now)).toBe('23:59 UTC');
  });

  it('gives any other day its weekday and date, earlier or later', () => {
    expect(clock(Date.UTC(2026, 11, 3, 14, 5), now)).toBe('Thu 3 Dec 14:05 UTC');
    expect(clock(Date.UTC(2026, 10, 29, 23, 59), now)).toBe('Sun 29 Nov 23:59 UTC');
    expect(clock(Date.UTC(2026, 0, 1, 0, 0), now)).toBe('Thu 1 Jan 00:00 UTC');
  });

  it('gives another year too', () => {
    expect(clock(Date.UTC(2027, 0, 1, 0, 0), now)).toBe('Fri 1 Jan 2027 00:00 UTC');
    expect(clock(Date.UTC(2025, 10, 30, 9, 30), now)).toBe('Sun 30 Nov 2025 09:30 UTC');
  });
});
