import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../src/redaction/redactor.js';
import { StreamRedactor } from '../../src/redaction/stream-redactor.js';
import { CANARIES, CONFIGURED_SECRET, assertNoCanary } from '../helpers/canaries.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'reports');

/** A small seeded generator (mulberry32): the same chunkings on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Feeds `text` in chunks of 1..maxChunk characters; returns every output and the whole. */
function stream(redactor: Redactor, text: string, next: () => number, maxChunk: number, options?: { maxHeldBytes?: number }): { pieces: string[]; output: string } {
  const s = new StreamRedactor(redactor, options);
  const pieces: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(next() * maxChunk);
    pieces.push(s.push(text.slice(i, i + n)));
    i += n;
  }
  pieces.push(s.end());
  return { pieces, output: pieces.join('') };
}

const redactor = new Redactor([CONFIGURED_SECRET]);

describe('stream redactor: same result as redacting the whole text', () => {
  it.each(CANARIES.map((c, i) => [c.shape, c, i] as const))('%s, in 1-byte and random chunks', (_shape, canary, i) => {
    const text = `before the canary\n${canary.line}\nafter the canary\n`;
    const whole = redactor.redact(text);
    const next = random(1000 + i);
    for (const maxChunk of [1, 2, 3, 7, 16, 64, 4096]) {
      const { output } = stream(redactor, text, next, maxChunk);
      expect(output, `chunks up to ${maxChunk}`).toBe(whole);
      expect(output).not.toContain(canary.secret);
    }
  });

  it('all canaries in one output, many random chunkings', () => {
    const text = CANARIES.map((c) => c.line).join('\n') + '\n';
    const whole = redactor.redact(text);
    const next = random(42);
    for (let trial = 0; trial < 40; trial++) {
      const { output } = stream(redactor, text, next, trial % 4 === 0 ? 1 : 1 + Math.floor(next() * 200));
      expect(output).toBe(whole);
    }
    expect(assertNoCanary(whole)).toEqual([]);
  });

  it('real tool output: terraform JSON lines, text and `output -json`, with CRLF line ends too', () => {
    const next = random(7);
    for (const name of ['terraform-apply.jsonl', 'terraform-apply.out', 'terraform-output.json', 'terraform-destroy.out']) {
      const text = readFileSync(join(FIXTURES, name), 'utf8');
      for (const variant of [text, text.replaceAll('\n', '\r\n')]) {
        expect(stream(redactor, variant, next, 50).output, name).toBe(redactor.redact(variant));
      }
    }
  });

  it('text without a final line break', () => {
    const text = 'a line\nGITHUB_TOKEN=whatever123';
    expect(stream(redactor, text, random(3), 3).output).toBe('a line\nGITHUB_TOKEN=[REDACTED]');
  });
});

describe('stream redactor: holding back', () => {
  it('emits complete lines only, holding the unfinished one', () => {
    const s = new StreamRedactor(redactor);
    expect(s.push('first line\nxoxb-0000000000-')).toBe('first line\n');
    expect(s.push('000000000000-abcdefABCDEF')).toBe('');
    expect(s.push(' sent\nnext')).toBe(`${REDACTED} sent\n`);
    expect(s.end()).toBe('next');
  });

  it('holds a private key from its BEGIN line to its END line, emitting the lines before it', () => {
    const s = new StreamRedactor(redactor);
    expect(s.push('one\ntwo\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow')).toBe('one\ntwo\n');
    expect(s.push('IBAAKCAQEA\nsecondline\n-----END RSA')).toBe('');
    expect(s.push(' PRIVATE KEY-----\nthree\n')).toBe(`-----BEGIN RSA PRIVATE KEY-----\n${REDACTED}\n-----END RSA PRIVATE KEY-----\nthree\n`);
    expect(s.end()).toBe('');
  });

  it('hides a key block whose END never comes, at end()', () => {
    const s = new StreamRedactor(redactor);
    let out = s.push('x -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n');
    out += s.push('more-body-line\npartial');
    expect(out).toBe('');
    expect(s.end()).toBe(`x -----BEGIN OPENSSH PRIVATE KEY-----\n${REDACTED}\n`);
  });

  it('holds a sensitive terraform output until its value is complete', () => {
    const s = new StreamRedactor(redactor);
    expect(s.push('{\n  "db": {\n    "sensitive": true,\n')).toBe('{\n  "db": {\n');
    expect(s.push('    "type": "string",\n    "value": "s3cret-')).toBe('');
    expect(s.push('value"\n  }\n}\n')).toBe(`    "sensitive": true,\n    "type": "string",\n    "value": "${REDACTED}"\n  }\n}\n`);
  });

  it('lets the same stream go on normally after a key block', () => {
    const s = new StreamRedactor(redactor);
    s.push('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n');
    expect(s.push('plain line\n')).toBe('plain line\n');
  });
});

describe('stream redactor: bounded memory', () => {
  const body = Array.from({ length: 40 }, (_, i) => `MIIBodyLine${String(i).padStart(4, '0')}AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`).join('\n');
  const keyText = `before\n-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\nafter\n`;

  it('past maxHeldBytes inside a key block, emits one placeholder and drops the body up to END', () => {
    const next = random(11);
    for (const maxChunk of [1, 13, 500]) {
      const { pieces, output } = stream(redactor, keyText, next, maxChunk, { maxHeldBytes: 300 });
      expect(output).not.toMatch(/MIIBodyLine/);
      expect(output.split(REDACTED)).toHaveLength(2);
      // Same text as the whole redacted at once: BEGIN line, placeholder, END line.
      expect(output).toBe(redactor.redact(keyText));
      // The placeholder left before the END line arrived.
      const placeholderAt = pieces.findIndex((p) => p.includes(REDACTED));
      const endAt = pieces.findIndex((p) => p.includes('-----END'));
      expect(placeholderAt).toBeLessThan(endAt);
    }
  });

  it('past maxHeldBytes inside a key block that never ends, keeps it hidden', () => {
    const text = `before\n-----BEGIN RSA PRIVATE KEY-----\n${body}\n`;
    const { output } = stream(redactor, text, random(5), 40, { maxHeldBytes: 300 });
    expect(output).toBe(`before\n-----BEGIN RSA PRIVATE KEY-----\n${REDACTED}\n`);
  });

  it('past maxHeldBytes inside a sensitive terraform value, redacts it whole', () => {
    const list = Array.from({ length: 60 }, (_, i) => `      "s3cret-item-${i}"`).join(',\n');
    const text = `{\n  "ips": {\n    "sensitive": true,\n    "type": [\n      "list",\n      "string"\n    ],\n    "value": [\n${list}\n    ]\n  }\n}\n`;
    const { output } = stream(redactor, text, random(9), 30, { maxHeldBytes: 200 });
    expect(output).not.toMatch(/s3cret-item/);
    expect(output).toBe(redactor.redact(text));
  });

  it('emits a line without line breaks in redacted pieces once it passes the cap', () => {
    const words = Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? `GITHUB_TOKEN=tok${i}value` : i % 89 === 0 ? 'xoxb-0000-1111-AbCdEfGhIj' : `word${i}`));
    const text = words.join(' ');
    const s = new StreamRedactor(redactor, { maxHeldBytes: 2048 });
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 100) pieces.push(s.push(text.slice(i, i + 100)));
    const beforeEnd = pieces.join('');
    pieces.push(s.end());
    expect(beforeEnd.length).toBeGreaterThan(text.length / 2);
    const output = pieces.join('');
    expect(output).not.toMatch(/tok\d+value|AbCdEfGhIj/);
    expect(output).toBe(redactor.redact(text));
  });

  it('streams 20 MB in 64 KiB chunks', () => {
    const lines = [
      '2026-11-26T06:03:54.412295Z terraform_data.cluster: Creating... [id=4da4c6b5-b162-01d1-cf9f-333b4b10c98b]',
      'Step 3/12 : RUN apt-get update && apt-get install -y curl git ca-certificates',
      `deploying with ${CONFIGURED_SECRET} and AKIAFAKECANARY000001`,
      '{"@level":"info","@message":"Plan: 1 to add","changes":{"add":1},"sensitive":false}',
    ];
    const block = lines.join('\n') + '\n';
    const text = block.repeat(Math.ceil((20 * 1024 * 1024) / block.length));
    const s = new StreamRedactor(redactor);
    let length = 0;
    let leaks = 0;
    const chunk = 64 * 1024;
    for (let i = 0; i < text.length; i += chunk) {
      const out = s.push(text.slice(i, i + chunk));
      length += out.length;
      if (out.includes('AKIAFAKECANARY000001')) leaks++;
    }
    length += s.end().length;
    expect(leaks).toBe(0);
    const perBlock = redactor.redact(block).length;
    expect(length).toBe(perBlock * (text.length / block.length));
  });
});
