import { describe, expect, it } from 'vitest';
import { endsMidLine, firstLines, firstNonBlankLine, quote } from '../../src/reports/text.js';

describe('firstLines', () => {
  it('drops surrounding blank lines and the indent the tool added', () => {
    expect(firstLines('\n\n    expected 1\n      got 2\n\n')).toBe('expected 1\n  got 2');
  });

  it('keeps the first lines and marks that more followed', () => {
    const text = Array.from({ length: 8 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(firstLines(text, 3)).toBe('line 1\nline 2\nline 3\n…');
    expect(firstLines(text, 8)).toBe(text);
  });

  it('clips long messages to the character limit', () => {
    const clipped = firstLines('x'.repeat(50), 5, 10);
    expect(clipped).toBe(`${'x'.repeat(9)}…`);
    expect(clipped).toHaveLength(10);
  });

  it('copes with a message of a huge number of lines', () => {
    expect(firstLines('a\n'.repeat(300_000), 2)).toBe('a\na\n…');
  });
});

describe('endsMidLine', () => {
  it('is true only for text that stops without a final newline', () => {
    expect(endsMidLine('ok 1 a\n')).toBe(false);
    expect(endsMidLine('ok 1 a\r\n')).toBe(false);
    expect(endsMidLine('ok 1 a')).toBe(true);
    expect(endsMidLine('')).toBe(false);
  });
});

describe('quote and firstNonBlankLine', () => {
  it('quote the start of what an input held, clipped', () => {
    expect(firstNonBlankLine('\n  \nrc=0\n')).toBe('rc=0');
    expect(firstNonBlankLine('\n\n')).toBeUndefined();
    expect(quote('  Error connecting to docker daemon  ')).toBe('"Error connecting to docker daemon"');
    expect(quote('y'.repeat(500))).toHaveLength(202);
  });
});
