import { fileLine, summariseFindings, type Finding } from './findings.js';
import { unparsed, type ParseOptions, type TestSummary } from './summary.js';
import { endsMidLine, firstLines, quote, splitLines } from './text.js';

/**
 * `packer validate`, JSON templates and HCL. Packer counts its own errors: a build's block says
 * "3 error(s) occurred" and lists them as `* …` bullets (a bullet runs on over following lines);
 * a block without that line is one error, and so is a template packer could not parse. A list with
 * fewer bullets than packer announced was cut. Packer 1.6 prints nothing for a valid JSON template.
 */

const HEADER = /^(Error|Warning): (.*)$/;
const PARSE_FAILURE = /^Failed to parse template: (.*)$/;
const ANNOUNCED = /^(\d+) error(?:s|\(s\))? occurred:\s*$/;
const BULLET = /^\s*\* (.*)$/;
const PARSE_POSITION = /^At (line \d+, column \d+)/;
const HCL_POSITION = /^\s+on (\S+) line (\d+)/;
const BUILD_NAME = /build:? "([^"]+)"/;
const VALID = /^(?:The configuration is valid\.|Syntax-only check passed\.|Template validated successfully\.)/;

interface Block {
  kind: 'error' | 'warning' | 'parse';
  title: string;
  lines: string[];
}

export function parsePacker(input: string, _opts?: ParseOptions): TestSummary {
  if (endsMidLine(input)) return unparsed('packer', 'the output ends in the middle of a line (truncated?)');
  const blocks: Block[] = [];
  let valid = false;
  let stray: string | undefined;
  for (const line of splitLines(input)) {
    const header = HEADER.exec(line);
    const parse = PARSE_FAILURE.exec(line);
    if (header) blocks.push({ kind: header[1] === 'Error' ? 'error' : 'warning', title: header[2] ?? '', lines: [] });
    else if (parse) blocks.push({ kind: 'parse', title: line, lines: [] });
    else if (blocks.length > 0) blocks.at(-1)?.lines.push(line);
    else if (VALID.test(line)) valid = true;
    else if (line.trim() !== '') stray ??= line;
  }

  const findings: Finding[] = [];
  for (const block of blocks) {
    if (block.kind === 'warning') continue;
    const read = block.kind === 'parse' ? [parseFailure(block)] : errorsIn(block);
    if (typeof read === 'string') return unparsed('packer', read);
    findings.push(...read);
  }
  const warnings = blocks.filter((block) => block.kind === 'warning').length;
  const notes = warnings > 0 ? [`packer printed ${warnings} warning${warnings === 1 ? '' : 's'}`] : [];
  if (findings.length === 0 && !valid) {
    if (stray !== undefined) return unparsed('packer', `no errors and no "valid" line; it says ${quote(stray)}`);
    if (warnings === 0) notes.push('packer printed nothing, as it does for a valid JSON template');
  }
  return summariseFindings(findings, { format: 'packer', severityOrder: ['error'], fails: () => true, notes });
}

/** The errors of one `Error:` block: its bullets when packer announced a count, else the block itself. */
function errorsIn(block: Block): Finding[] | string {
  const rule = BUILD_NAME.exec(block.title)?.[1] ?? block.title;
  const announcedAt = block.lines.findIndex((line) => ANNOUNCED.test(line));
  if (announcedAt < 0) {
    const hcl = block.lines.map((line) => HCL_POSITION.exec(line)).find((match) => match !== null);
    const detail = block.lines.filter((line) => line.trim() !== '' && !/^\s/.test(line));
    const location = hcl ? fileLine(hcl[1], hcl[2]) : undefined;
    return [{ rule, severity: 'error', message: firstLines([block.title, ...detail].join('\n')), ...(location ? { location } : {}) }];
  }
  const announced = Number(ANNOUNCED.exec(block.lines[announcedAt] ?? '')?.[1]);
  const bullets: string[][] = [];
  for (const line of block.lines.slice(announcedAt + 1)) {
    const bullet = BULLET.exec(line);
    if (bullet) bullets.push([bullet[1] ?? '']);
    else if (line.trim() !== '') bullets.at(-1)?.push(line.trim());
  }
  if (bullets.length !== announced) return `packer announced ${announced} error(s) for ${quote(block.title)} but listed ${bullets.length} (truncated?)`;
  return bullets.map((lines) => ({ rule, severity: 'error', message: firstLines(lines.join('\n')) }));
}

function parseFailure(block: Block): Finding {
  const position = block.lines.map((line) => PARSE_POSITION.exec(line)?.[1]).find((found) => found !== undefined);
  return { rule: 'template', severity: 'error', message: position ? `${block.title} (at ${position})` : block.title };
}
