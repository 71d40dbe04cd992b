import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDockerBench } from '../../src/reports/docker-bench.js';
import { firstHalf, firstLinesOf, readFixture, scratchDir } from './fixtures.js';
import { onPath, runTool } from './tools.js';

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
type Tag = 'PASS' | 'WARN' | 'INFO' | 'NOTE';

/** `grep -c WARN`, the seed's gate. */
function grepCountWarn(text: string): number {
  return text.split('\n').filter((line) => line.includes('WARN')).length;
}

/**
 * Checks per tag, counted differently from the parser: a tagged line that is not a detail (`*`) or
 * the score, minus section titles (a number without a dot) and subsection titles (the next
 * non-detail line's number extends it).
 */
function countChecks(text: string): Record<Tag, number> {
  const tagged = text
    .replace(ANSI_COLOUR, '')
    .split('\n')
    .map((line) => /^\[(PASS|WARN|INFO|NOTE)\] (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ tag: match[1] as Tag, body: match[2] ?? '' }))
    .filter(({ body }) => !body.trimStart().startsWith('*') && !/^(Checks|Score): /.test(body));
  const numberOf = (body: string) => /^([\d.]+)\s+-/.exec(body)?.[1];
  const counts: Record<Tag, number> = { PASS: 0, WARN: 0, INFO: 0, NOTE: 0 };
  tagged.forEach(({ tag, body }, index) => {
    const id = numberOf(body);
    const nextId = numberOf(tagged[index + 1]?.body ?? '');
    if (id !== undefined && (!id.includes('.') || nextId?.startsWith(`${id}.`))) return;
    counts[tag]++;
  });
  return counts;
}

describe('parseDockerBench, text logs', () => {
  const logs = [
    // Counted by hand from the files: WARN lines, then checks per tag.
    { fixture: 'docker-bench-2015-stubbed-docker.out', warnLines: 23, PASS: 20, WARN: 10, INFO: 44, NOTE: 0, version: 'v1.0.0' },
    { fixture: 'docker-bench-2015-stubbed-docker.nocolor.out', warnLines: 23, PASS: 20, WARN: 10, INFO: 44, NOTE: 0, version: 'v1.0.0' },
    { fixture: 'docker-bench-head-stubbed-docker.out', warnLines: 35, PASS: 40, WARN: 19, INFO: 47, NOTE: 11, version: 'v1.6.0' },
  ];

  it.each(logs)('counts $fixture: $warnLines WARN lines, $WARN WARN checks', (log) => {
    const text = readFixture(log.fixture);
    const byHand = { PASS: log.PASS, WARN: log.WARN, INFO: log.INFO, NOTE: log.NOTE };
    expect(grepCountWarn(text)).toBe(log.warnLines);
    expect(countChecks(text)).toEqual(byHand);

    const summary = parseDockerBench(text, { warnThreshold: 52 });
    expect(summary).toMatchObject({
      format: 'docker-bench',
      verdict: 'passed',
      passed: log.PASS,
      failed: log.WARN,
      skipped: log.INFO + log.NOTE,
      errors: 0,
      total: log.PASS + log.WARN + log.INFO + log.NOTE,
    });
    expect(summary.extra).toEqual({
      warnLines: log.warnLines,
      warnChecks: log.WARN,
      passChecks: log.PASS,
      infoChecks: log.INFO,
      noteChecks: log.NOTE,
      warnThreshold: 52,
      gate: 'warn-lines',
      version: log.version,
    });
    expect(summary.notes[0]).toBe(`${log.warnLines} WARN lines / ${log.WARN} WARN checks; gate used WARN lines (${log.warnLines} > 52? no)`);
    expect(summary.failures).toHaveLength(log.WARN);
  });

  it('matches the total docker-bench itself prints in its score footer', () => {
    const text = readFixture('docker-bench-head-stubbed-docker.out');
    const footer = Number(/^\[INFO\] Checks: (\d+)$/m.exec(text)?.[1]);
    expect(footer).toBe(117);
    expect(parseDockerBench(text).total).toBe(footer);
  });

  it('lists WARN checks as failures, with their detail lines as the message', () => {
    const summary = parseDockerBench(readFixture('docker-bench-2015-stubbed-docker.out'));
    expect(summary.failures.map((failure) => failure.location)).toEqual(['1.1', '1.8', '2.2', '2.7', '4.1', '5.1', '5.2', '5.11', '5.12', '5.13']);
    expect(summary.failures[0]).toEqual({ name: '1.1 - Create a separate partition for containers', location: '1.1' });
    expect(summary.failures[4]).toEqual({
      name: '4.1 - Create a user for the container',
      message: 'Running as root: 8f9459f8ad4f\nRunning as root: 8b4fc45ff10d',
      location: '4.1',
    });
  });

  it('counts a WARN detail under a non-WARN check as a WARN line but not as a WARN check', () => {
    const text = readFixture('docker-bench-2015-stubbed-docker.nocolor.out');
    expect(text).toContain('[INFO] 6.6 - Avoid image sprawl\n[INFO]      * There are currently: 2 images\n[WARN]      * Only 0 out of 2 are in use\n');
    const summary = parseDockerBench(text);
    expect(summary.failures.some((failure) => failure.location === '6.6')).toBe(false);
    const without66Warning = text.replace('[WARN]      * Only 0 out of 2 are in use\n', '[INFO]      * Only 0 out of 2 are in use\n');
    expect(parseDockerBench(without66Warning).extra).toMatchObject({ warnLines: 22, warnChecks: 10 });
  });

  it('counts any line containing WARN as the seed’s grep did, e.g. docker’s own stderr warning', () => {
    const text = readFixture('docker-bench-2015-stubbed-docker.nocolor.out').replace(
      'Initializing',
      'WARNING: No swap limit support\nInitializing',
    );
    expect(grepCountWarn(text)).toBe(24);
    expect(parseDockerBench(text).extra).toMatchObject({ warnLines: 24, warnChecks: 10 });
  });

  it('counts the head version’s check printed without a number (a deprecated check) as an INFO check', () => {
    const text = readFixture('docker-bench-head-stubbed-docker.out');
    const line = '[INFO] Ensure that experimental features are not implemented in production (Scored) (Deprecated)\n';
    expect(text).toContain(line);
    expect(parseDockerBench(text).extra).toMatchObject({ infoChecks: 47 });
    // Without the line, the log no longer matches docker-bench's own total of 117.
    expect(parseDockerBench(text.replace(line, '')).reason).toBe('docker-bench says 117 checks but the log holds 116');
  });

  it('says when docker-bench’s own scripts printed errors among the checks', () => {
    const notes = parseDockerBench(readFixture('docker-bench-head-stubbed-docker.out')).notes.join('\n');
    expect(notes).toContain('printed 2 error lines, e.g. "./tests/5_container_runtime.sh: line 633: [: : integer expression expected"');
  });

  it('ignores the remediation section, which repeats check numbers', () => {
    const text = readFixture('docker-bench-head-stubbed-docker.out');
    const withRemediation = text.replace(
      'Section C - Score',
      'Section B - Remediation measures\n\n[INFO] 1 - Host Configuration\n[INFO] 1.1.1 - For new installations, you should create a separate partition for the /var/lib/docker mount point.\n\n\nSection C - Score',
    );
    expect(parseDockerBench(withRemediation)).toMatchObject({ total: 117, failed: 19 });
  });
});

describe('parseDockerBench, the gate', () => {
  const log2015 = () => readFixture('docker-bench-2015-stubbed-docker.out');

  it('agrees with the seed’s gate, whose output says "There are 23 docker security warnings. The threshold is 10"', () => {
    const gateOutput = readFixture('apollo-docker-bench-warn-threshold10.out');
    const [, warnings, threshold] = /There are (\d+) docker security warnings\. The threshold is (\d+)/.exec(gateOutput) ?? [];
    expect([Number(warnings), Number(threshold)]).toEqual([23, 10]);
    expect(gateOutput).toContain('rc=1');

    const summary = parseDockerBench(log2015(), { warnThreshold: Number(threshold) });
    expect(summary.verdict).toBe('failed');
    expect(summary.extra?.['warnLines']).toBe(Number(warnings));
    expect(summary.notes[0]).toBe('23 WARN lines / 10 WARN checks; gate used WARN lines (23 > 10? yes)');
  });

  it('passes at threshold 52 as the seed’s gate did (its output was empty, exit 0)', () => {
    expect(readFixture('apollo-docker-bench-warn-threshold52.out').trim()).toBe('rc=0');
    expect(parseDockerBench(log2015(), { warnThreshold: 52 }).verdict).toBe('passed');
  });

  it('fails only when WARN lines are greater than the threshold', () => {
    expect(parseDockerBench(log2015(), { warnThreshold: 23 }).verdict).toBe('passed');
    expect(parseDockerBench(log2015(), { warnThreshold: 22 }).verdict).toBe('failed');
    expect(parseDockerBench(readFixture('docker-bench-head-stubbed-docker.out'), { warnThreshold: 34 }).verdict).toBe('failed');
  });

  it('treats WARN as advisory without a threshold', () => {
    const summary = parseDockerBench(log2015());
    expect(summary).toMatchObject({ verdict: 'passed', failed: 10 });
    expect(summary.extra).not.toHaveProperty('warnThreshold');
    expect(summary.notes[0]).toBe('23 WARN lines / 10 WARN checks; no warnThreshold set, so WARN checks are advisory and do not fail the report');
  });
});

describe('parseDockerBench, logs it cannot read', () => {
  it.each(['docker-bench-2015-no-daemon.out', 'docker-bench-head-no-daemon.out'])('is unparsed for %s and quotes why', (fixture) => {
    const summary = parseDockerBench(readFixture(fixture), { warnThreshold: 52 });
    expect(summary).toMatchObject({ verdict: 'unparsed', total: 0, failures: [] });
    expect(summary.extra).toBeUndefined();
    expect(summary.reason).toBe('no docker-bench checks in the log; it says "Error connecting to docker daemon (does docker ps work?)"');
  });

  it('is unparsed for the seed gate’s own output, which holds a count but no checks', () => {
    const summary = parseDockerBench(readFixture('apollo-docker-bench-warn-threshold10.out'));
    expect(summary).toMatchObject({ verdict: 'unparsed', total: 0 });
    expect(summary.reason).toContain('"There are 23 docker security warnings. The threshold is 10"');
  });

  it.each(['docker-bench-2015-stubbed-docker.out', 'docker-bench-2015-stubbed-docker.nocolor.out', 'docker-bench-head-stubbed-docker.out'])(
    'is unparsed, never counted, when %s is cut in half',
    (fixture) => {
      const summary = parseDockerBench(firstHalf(readFixture(fixture)), { warnThreshold: 52 });
      expect(summary).toMatchObject({ verdict: 'unparsed', passed: 0, failed: 0, total: 0, failures: [] });
      expect(summary.reason).toMatch(/truncated\?/);
    },
  );

  it('is unparsed when a current log is cut between two lines: its score footer is missing', () => {
    const text = readFixture('docker-bench-head-stubbed-docker.out');
    const summary = parseDockerBench(firstLinesOf(text, 100));
    expect(summary.reason).toBe('the log ends before docker-bench\'s "Checks: N" score footer (truncated?)');
  });

  it('cannot tell a 2015 log cut between two lines from a complete one, and says so in every 2015 summary', () => {
    // v1.0.0 prints no total or footer: the only sign of a cut is a line cut in the middle.
    const summary = parseDockerBench(firstLinesOf(readFixture('docker-bench-2015-stubbed-docker.nocolor.out'), 20));
    expect(summary.verdict).toBe('passed');
    expect(summary.total).toBe(6);
    expect(summary.notes).toContain('this docker-bench version prints no check total: a log cut between two lines looks complete');
  });

  it('is unparsed for garbage and empty input', () => {
    expect(parseDockerBench('').reason).toBe('empty input');
    expect(parseDockerBench('\n\n').reason).toBe('empty input');
    expect(parseDockerBench('Segmentation fault\n').reason).toBe('no docker-bench checks in the log; it says "Segmentation fault"');
    expect(parseDockerBench('{"not": "docker-bench"}').reason).toMatch(/^not a docker-bench JSON log: dockerbenchsecurity:/);
  });
});

describe('parseDockerBench, JSON logs', () => {
  // docker-bench writes FILE.json next to `-l FILE`; this one follows functions/output_lib.sh's shape
  // (no real JSON log was captured with the fixtures).
  const jsonLog = {
    dockerbenchsecurity: '1.6.0',
    start: 1764137118,
    tests: [
      {
        id: '1',
        desc: 'Host Configuration',
        results: [
          { id: '1.1.1', desc: 'Ensure a separate partition for containers has been created (Automated)', result: 'WARN' },
          { id: '1.2.1', desc: 'Ensure the container host has been Hardened (Manual)', result: 'NOTE' },
          { id: '1.2.2', desc: 'Ensure that the version of Docker is up to date (Manual)', result: 'PASS', details: 'Using 24.0.7, verify is it up to date as deemed necessary' },
        ],
      },
      {
        id: '4',
        desc: 'Container Images and Build File',
        results: [
          {
            id: '4.1',
            desc: 'Ensure that a user for the container has been created (Automated)',
            result: 'WARN',
            details: 'running as root:  marathon registrator',
            items: ['marathon', 'registrator'],
            remediation: 'You should ensure that the Dockerfile for each container image contains a USER instruction.',
          },
          { id: '4.6', desc: 'Ensure that HEALTHCHECK instructions have been added to container images (Automated)', result: 'PASS' },
          { id: '6.1', desc: 'Ensure that image sprawl is avoided (Manual)', result: 'INFO', details: 'There are currently: 2 images' },
        ],
      },
    ],
    checks: 6,
    score: 0,
    end: 1764137130,
  };
  const results = jsonLog.tests.flatMap((section) => section.results);
  const count = (result: string) => results.filter((entry) => entry.result === result).length;

  it('counts checks by result and gates on WARN checks, having no lines to count', () => {
    const summary = parseDockerBench(`${JSON.stringify(jsonLog, null, 2)}\n`, { warnThreshold: 1 });
    expect(summary).toMatchObject({
      verdict: 'failed',
      passed: count('PASS'),
      failed: count('WARN'),
      skipped: count('INFO') + count('NOTE'),
      total: results.length,
    });
    expect([count('PASS'), count('WARN'), count('INFO'), count('NOTE')]).toEqual([2, 2, 1, 1]);
    expect(summary.extra).toEqual({ warnChecks: 2, passChecks: 2, infoChecks: 1, noteChecks: 1, warnThreshold: 1, gate: 'warn-checks', version: '1.6.0' });
    expect(summary.notes[0]).toBe('2 WARN checks (a JSON log has no output lines to count); gate used WARN checks (2 > 1? yes)');
    expect(summary.failures[1]).toEqual({
      name: '4.1 - Ensure that a user for the container has been created (Automated)',
      message: 'running as root:  marathon registrator',
      location: '4.1',
    });
  });

  it('is unparsed when the JSON log is cut or its total disagrees with its results', () => {
    const text = JSON.stringify(jsonLog, null, 2);
    expect(parseDockerBench(firstHalf(text)).reason).toMatch(/^not valid JSON \(truncated\?\)/);
    expect(parseDockerBench(JSON.stringify({ ...jsonLog, checks: 7 })).reason).toBe('docker-bench says 7 checks but the JSON log holds 6 results');
    const unknownResult = JSON.parse(text) as typeof jsonLog;
    unknownResult.tests[0]!.results[0]!.result = 'MAYBE';
    expect(parseDockerBench(JSON.stringify(unknownResult)).reason).toMatch(/^not a docker-bench JSON log: tests\.0\.results\.0\.result:/);
  });
});

const benchSkipReason = !onPath('docker-bench-security.sh')
  ? 'docker-bench-security.sh is not installed'
  : spawnSync('docker', ['info'], { timeout: 10_000 }).status !== 0
    ? 'no docker daemon answers'
    : undefined;

describe('parseDockerBench, a fresh run', () => {
  it.skipIf(benchSkipReason !== undefined)(
    `parses a fresh docker-bench-security log${benchSkipReason ? ` (skipped: ${benchSkipReason})` : ''}`,
    () => {
      const scratch = scratchDir();
      try {
        const log = join(scratch.dir, 'docker-bench.log');
        runTool('docker-bench-security.sh', ['-l', log], { cwd: scratch.dir });
        const text = readFileSync(log, 'utf8');
        const summary = parseDockerBench(text, { warnThreshold: 1000 });
        expect(summary.verdict).toBe('passed');
        expect(summary.extra?.['warnLines']).toBe(grepCountWarn(text));
        const counted = countChecks(text);
        expect(summary.total).toBe(counted.PASS + counted.WARN + counted.INFO + counted.NOTE);
      } finally {
        scratch.remove();
      }
    },
  );
});
