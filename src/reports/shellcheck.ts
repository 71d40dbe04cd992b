import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fileLine, summariseFindings, type Finding } from './findings.js';
import { unparsed, type ParseOptions, type TestSummary } from './summary.js';
import { firstNonBlankLine, quote } from './text.js';
import { decodeEntities } from './xml-entities.js';

/**
 * shellcheck's machine formats: `-f json` (a list), `-f json1` (`{"comments": [...]}`) and
 * `-f checkstyle` (XML). Every comment it prints makes it exit 1, so any finding fails the step.
 * Checkstyle has no "style" severity: shellcheck writes its style comments there as "info".
 */

const LEVELS = ['error', 'warning', 'info', 'style'] as const;

export function parseShellcheck(input: string, _opts?: ParseOptions): TestSummary {
  const trimmed = input.trimStart();
  if (trimmed === '') return unparsed('shellcheck', 'empty input');
  if (trimmed.startsWith('<')) return parseCheckstyle(input);
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseJson(input);
  return unparsed('shellcheck', `neither JSON nor checkstyle XML; it says ${quote(firstNonBlankLine(input) ?? '')}`);
}

interface JsonComment {
  file?: unknown;
  line?: unknown;
  level?: unknown;
  code?: unknown;
  message?: unknown;
}

function parseJson(input: string): TestSummary {
  let data: unknown;
  try {
    data = JSON.parse(input);
  } catch (error) {
    return unparsed('shellcheck', `not valid JSON (${(error as Error).message})`);
  }
  const comments = Array.isArray(data) ? data : (data as { comments?: unknown } | null)?.comments;
  if (!Array.isArray(comments)) return unparsed('shellcheck', 'JSON without a list of comments (expected -f json or -f json1)');
  const findings: Finding[] = [];
  for (const comment of comments as JsonComment[]) {
    if (typeof comment?.code !== 'number' || typeof comment.level !== 'string') return unparsed('shellcheck', 'a comment without a code or level');
    const location = fileLine(typeof comment.file === 'string' ? comment.file : undefined, typeof comment.line === 'number' ? comment.line : undefined);
    findings.push({
      rule: `SC${comment.code}`,
      severity: comment.level,
      message: typeof comment.message === 'string' ? comment.message.trim() : '',
      ...(location ? { location } : {}),
    });
  }
  return summarise(findings, []);
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // shellcheck writes most punctuation as numeric references (&#40; for "("), which the parser's
  // own entity pass leaves alone: attributes are decoded by `decodeEntities`, once.
  processEntities: false,
  parseAttributeValue: false,
  isArray: (name, _path, _isLeaf, isAttribute) => !isAttribute && (name === 'file' || name === 'error'),
});

function parseCheckstyle(input: string): TestSummary {
  const valid = XMLValidator.validate(input);
  if (valid !== true) return unparsed('shellcheck', `not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const root = (parser.parse(input) as XmlNode)['checkstyle'];
  if (root === undefined) return unparsed('shellcheck', 'XML without a <checkstyle> root');
  const files = typeof root === 'object' && root !== null ? (((root as XmlNode)['file'] as XmlNode[] | undefined) ?? []) : [];
  const findings: Finding[] = [];
  for (const file of files) {
    const name = decodeEntities(String(file['@_name'] ?? ''));
    for (const error of (file['error'] as XmlNode[] | undefined) ?? []) {
      const source = String(error['@_source'] ?? '');
      const location = fileLine(name, String(error['@_line'] ?? ''));
      findings.push({
        rule: source.replace(/^ShellCheck\./, ''),
        severity: String(error['@_severity'] ?? 'error'),
        message: decodeEntities(String(error['@_message'] ?? '')).trim(),
        ...(location ? { location } : {}),
      });
    }
  }
  const merged = findings.some((f) => f.severity === 'info') ? ['checkstyle counts style comments as info'] : [];
  return summarise(findings, merged);
}

function summarise(findings: Finding[], notes: string[]): TestSummary {
  return summariseFindings(findings, { format: 'shellcheck', severityOrder: LEVELS, fails: () => true, notes });
}
