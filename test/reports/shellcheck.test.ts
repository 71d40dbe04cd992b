import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseShellcheck } from '../../src/reports/shellcheck.js';
import { summaryLine } from '../../views/summary-line.js';
import { firstHalf, readFixture, scratchDir } from './fixtures.js';
import { needs, onPath, runTool } from './tools.js';

const detailsOf = (summary: ReturnType<typeof parseShellcheck>) => (summary.details?.format === 'shellcheck' ? summary.details : undefined);

/** Checkstyle as shellcheck writes it, built from json comments: style becomes info, as shellcheck does. */
function checkstyleOf(comments: { file: string; line: number; level: string; code: number; message: string }[]): string {
  const escape = (text: string) => text.replace(/[&'<>()$?;,|]/g, (c) => `&#${c.charCodeAt(0)};`);
  const files = [...new Set(comments.map((c) => c.file))];
  const body = files.map((file) => {
    const errors = comments
      .filter((c) => c.file === file)
      .map((c) => `<error line='${c.line}' column='1' severity='${c.level === 'style' ? 'info' : c.level}' message='${escape(c.message)}' source='ShellCheck.SC${c.code}' />`);
    return [`<file name='${escape(file)}' >`, ...errors, '</file>'].join('\n');
  });
  return ["<?xml version='1.0' encoding='UTF-8'?>", "<checkstyle version='4.3'>", ...body, '</checkstyle>', ''].join('\n');
}

describe('parseShellcheck', () => {
  // The fixture is -f json1 of the seed's bootstrap scripts. Counted by hand with
  // `node -e` over its "comments": 66 comments, 58 warning, 7 info, 1 style, no error; the gcc
  // fixture of the same run has 66 lines (58 "warning:", 8 "note:" = info + style).
  const json1 = readFixture('shellcheck-apollo-bootstrap-2015.json');
  const comments = (JSON.parse(json1) as { comments: Parameters<typeof checkstyleOf>[0] }).comments;

  it('counts the bootstrap scripts: 66 findings, 58 warnings, 7 info, 1 style', () => {
    expect(readFixture('shellcheck-apollo-bootstrap-2015.gcc.txt').trimEnd().split('\n')).toHaveLength(66);
    const summary = parseShellcheck(json1);
    expect(summary).toMatchObject({ format: 'shellcheck', verdict: 'failed', failed: 66, total: 66 });
    expect(detailsOf(summary)?.bySeverity).toEqual([
      { name: 'warning', count: 58 },
      { name: 'info', count: 7 },
      { name: 'style', count: 1 },
    ]);
    expect(summary.failures[0]).toEqual({ name: 'SC2034', message: 'APOLLO_ROOT appears unused. Verify use (or export if used externally).', location: 'bootstrap/vagrant/util.sh:5' });
    expect(summary.failures).toHaveLength(10);
    expect(summaryLine(summary)).toBe('shellcheck: 58 warnings, 7 info, 1 style');
  });

  it('reads -f json (the bare list) and checkstyle the same, checkstyle folding style into info', () => {
    expect(parseShellcheck(JSON.stringify(comments))).toEqual(parseShellcheck(json1));
    const checkstyle = parseShellcheck(checkstyleOf(comments));
    expect(checkstyle).toMatchObject({ verdict: 'failed', failed: 66, total: 66, notes: ['checkstyle counts style comments as info', 'showing the first 10 of 66 findings'] });
    expect(detailsOf(checkstyle)?.bySeverity).toEqual([
      { name: 'warning', count: 58 },
      { name: 'info', count: 8 },
    ]);
    expect(checkstyle.failures[0]).toEqual(parseShellcheck(json1).failures[0]);
  });

  it('passes clean output in every format', () => {
    for (const clean of ['[]\n', '{"comments":[]}\n', "<?xml version='1.0' encoding='UTF-8'?>\n<checkstyle version='4.3'>\n<file name='ok.sh' >\n</file>\n</checkstyle>\n"]) {
      const summary = parseShellcheck(clean);
      expect(summary).toMatchObject({ verdict: 'passed', total: 0 });
      expect(summaryLine(summary)).toBe('shellcheck: no findings');
    }
  });

  it('words errors first', () => {
    const summary = parseShellcheck(JSON.stringify([...comments.slice(0, 5), { file: 'a.sh', line: 2, level: 'error', code: 1073, message: "Couldn't parse" }]));
    expect(summaryLine(summary)).toBe('shellcheck: 1 error, 4 warnings, 1 info');
  });

  it('is unparsed for cut, foreign or gcc output', () => {
    expect(parseShellcheck(firstHalf(json1)).reason).toMatch(/^not valid JSON/);
    expect(parseShellcheck(firstHalf(checkstyleOf(comments))).reason).toMatch(/^not well-formed XML/);
    expect(parseShellcheck(readFixture('shellcheck-apollo-bootstrap-2015.gcc.txt')).reason).toMatch(/^neither JSON nor checkstyle XML; it says "bootstrap\/apollo-down.sh:7:24: warning/);
    expect(parseShellcheck(readFixture('bats-apollo-bootstrap-junit.xml')).reason).toBe('XML without a <checkstyle> root');
    expect(parseShellcheck('{"runs": []}').reason).toBe('JSON without a list of comments (expected -f json or -f json1)');
    expect(parseShellcheck('').reason).toBe('empty input');
  });

  it.skipIf(!onPath('shellcheck'))(needs('shellcheck', 'counts a fresh run the same in json, json1 and checkstyle, and as many as shellcheck prints'), () => {
    const scratch = scratchDir();
    try {
      writeFileSync(join(scratch.dir, 't.sh'), '#!/bin/bash\nfoo=$1\necho $bar\ncd /x\nif [ $? -eq 0 ]; then :; fi\n[ "a" == "b" ]\n');
      writeFileSync(join(scratch.dir, 'bad.sh'), '#!/bin/sh\necho $((1+)\n');
      const check = (format: string) => runTool('shellcheck', ['-f', format, 't.sh', 'bad.sh'], { cwd: scratch.dir });
      // shellcheck's own count: one gcc line per comment, with its level in words.
      const gcc = check('gcc').stdout.trimEnd().split('\n');
      const errors = gcc.filter((line) => line.includes(': error: ')).length;
      const warnings = gcc.filter((line) => line.includes(': warning: ')).length;
      expect(errors).toBeGreaterThan(0);

      const runs = ['json', 'json1', 'checkstyle'].map(check);
      for (const run of runs) {
        expect(run.status).toBe(1);
        const summary = parseShellcheck(run.stdout);
        expect(summary).toMatchObject({ verdict: 'failed', total: gcc.length });
        const bySeverity = Object.fromEntries(detailsOf(summary)?.bySeverity.map(({ name, count }) => [name, count]) ?? []);
        expect(bySeverity).toMatchObject({ error: errors, warning: warnings });
      }
      expect(parseShellcheck(runs[0]!.stdout)).toEqual(parseShellcheck(runs[1]!.stdout));
    } finally {
      scratch.remove();
    }
  });
});
