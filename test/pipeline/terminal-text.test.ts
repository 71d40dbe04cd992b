import { describe, expect, it } from 'vitest';
import { TerminalTextFilter, terminalText } from '../../src/pipeline/terminal-text.js';
import { Redactor } from '../../src/redaction/redactor.js';
import { StreamRedactor } from '../../src/redaction/stream-redactor.js';
import { parseReport } from '../../src/reports/index.js';
import { readFixture } from '../reports/fixtures.js';

const ESC = '\x1b';

/** What a filter emits for a text pushed in the given pieces, then ended; also every piece it emitted. */
function through(pieces: string[], filter = new TerminalTextFilter()): { text: string; emitted: string[] } {
  const emitted = [...pieces.map((piece) => filter.push(piece)), filter.end()];
  return { text: emitted.join(''), emitted };
}

/** A text cut into pieces of `size` characters, so sequences and CRLFs fall across pieces. */
function chunks(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return pieces;
}

// ansible-lint 6.13.1 on a seven-violation playbook, run twice: with FORCE_COLOR=1 (colours and
// OSC 8 links to each rule's page, stdout then stderr) and with --nocolor, as the tool itself renders it.
const colouredLint = readFixture('ansible-lint-colour-osc8.out');
const plainLint = readFixture('ansible-lint-nocolor.out');

describe('terminalText', () => {
  it('renders coloured docker-bench output exactly as docker-bench prints it without colours', () => {
    const coloured = readFixture('docker-bench-2015-stubbed-docker.out');
    expect(coloured).toContain(ESC);
    expect(terminalText(coloured)).toBe(readFixture('docker-bench-2015-stubbed-docker.nocolor.out'));
  });

  it('renders ansible-lint colours and OSC 8 links exactly as ansible-lint --nocolor prints them', () => {
    expect(colouredLint).toContain(`${ESC}]8;id=`);
    expect(terminalText(colouredLint)).toBe(plainLint);
  });

  it('keeps the text of an OSC 8 link, ended by ST or BEL', () => {
    const line = `site.yml:7: ${ESC}]8;;https://ansible.readthedocs.io/projects/lint/rules/yaml/${ESC}\\yaml[truthy]${ESC}]8;;${ESC}\\: Truthy value\n`;
    expect(terminalText(line)).toBe('site.yml:7: yaml[truthy]: Truthy value\n');
    expect(terminalText(`${ESC}]8;;https://example.org\x07link${ESC}]8;;\x07\n`)).toBe('link\n');
  });

  it('keeps the last drawing of a carriage-return progress line, and reads CRLF as a line end', () => {
    expect(terminalText('Downloading  10%\rDownloading  55%\rDownloading 100%\ndone\r\n')).toBe('Downloading 100%\ndone\n');
    expect(terminalText(`${ESC}[2K\r[==>   ] 40%${ESC}[1A\r[======] 100%\r\n`)).toBe('[======] 100%\n');
  });

  it('drops an escape cut short, bells and backspaces, and keeps a missing final newline missing', () => {
    expect(terminalText(`ok\nkilled while printing ${ESC}]8;;https://exa`)).toBe('ok\nkilled while printing ');
    expect(terminalText(`a\x07b\x08c ${ESC}[31`)).toBe('abc ');
  });

  it('gives parsers the plain text: coloured ansible-lint counts as the plain one does', () => {
    const coloured = parseReport('ansible-lint', colouredLint);
    expect(coloured).toMatchObject({ verdict: 'failed', failed: 7, total: 7 });
    expect(coloured).toEqual(parseReport('ansible-lint', plainLint));
    expect(JSON.stringify(coloured)).not.toContain('\\u001b');
  });
});

describe('TerminalTextFilter', () => {
  it.each([1, 2, 3, 7, 64, 4096])('emits the same text whatever the chunk size (%i), never a piece of an escape', (size) => {
    const { text, emitted } = through(chunks(colouredLint, size));
    expect(text).toBe(plainLint);
    for (const piece of emitted) {
      expect(piece).not.toContain(ESC);
      expect(piece).not.toContain('\r');
    }
  });

  it('holds an OSC 8 link split across two chunks until it is whole', () => {
    const filter = new TerminalTextFilter();
    expect(filter.push('done\nsee the ')).toBe('done\n');
    expect(filter.push(`${ESC}]8;;https://ansible.readthedocs.io/rules/`)).toBe('');
    expect(filter.push(`${ESC}\\docs${ESC}]8;;${ESC}`)).toBe('');
    expect(filter.push('\\ now\n')).toBe('see the docs now\n');
    expect(filter.end()).toBe('');
  });

  it('holds a progress line until its end, keeping only the last drawing, and a CR split from its LF', () => {
    const { text, emitted } = through(['[=   ]\r', '[==  ]\r[=== ]', '\r[====]\r', '\nnext\r', '\n']);
    expect(text).toBe('[====]\nnext\n');
    expect(emitted.slice(0, 3)).toEqual(['', '', '']);
  });

  it('bounds a line that never ends, cutting before an escape rather than through it', () => {
    const long = 'x'.repeat(70 * 1024);
    const { text, emitted } = through([`${long}${ESC}]8;;https://ansible.readthedocs.io/`, `${ESC}\\link${ESC}]8;;${ESC}\\ tail`]);
    expect(emitted[0]).toBe(long); // past the bound, everything before the unfinished link goes on
    expect(text).toBe(`${long}link tail`);
    for (const piece of emitted) expect(piece).not.toContain(ESC);
  });

  it('hands the redactor plain text, so colour codes inside a secret cannot hide it', () => {
    const redactor = new Redactor(['hunter2-secret']);
    const { text } = through(['password: hun', `ter2${ESC}[1m-sec`, `ret${ESC}[0m\n`], new TerminalTextFilter(new StreamRedactor(redactor)));
    expect(text).not.toContain('hunter2');
    expect(text).toBe(`password: ${redactor.redact('hunter2-secret')}\n`);
  });
});
