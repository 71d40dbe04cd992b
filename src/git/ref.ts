import { z } from 'zod';

/**
 * What `/apollo build <ref>` accepts: an abbreviated or full commit SHA, or a branch/tag name that
 * passes git's own ref-name rules (git-check-ref-format(1)). Anything else never reaches git.
 */
export const SHA_PATTERN = /^[0-9a-f]{7,40}$/i;
export const MAX_REF_LENGTH = 200;

/** Returns why `name` is not a valid ref name, or undefined when it is. */
export function refNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > MAX_REF_LENGTH) return `is longer than ${MAX_REF_LENGTH} characters`;
  if (name.includes('@{')) return 'contains @{';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'contains a space, control character or one of ~ ^ : ? * [ \\';
  if (/[;$`|&<>(){}'"!#]/.test(name)) return 'contains a shell metacharacter';
  if (name.startsWith('-')) return 'starts with -';
  if (name.startsWith('/') || name.endsWith('/')) return 'starts or ends with /';
  if (name.endsWith('.')) return 'ends with .';
  if (name.includes('..')) return 'contains ..';
  if (name.includes('//')) return 'contains //';
  if (name === '@') return 'is @';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'has a component starting with .';
    if (part.endsWith('.lock')) return 'has a component ending with .lock';
  }
  return undefined;
}

export const GitRef = z.string().superRefine((value, ctx) => {
  if (SHA_PATTERN.test(value)) return;
  const problem = refNameProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a commit SHA or a valid branch/tag name: it ${problem}` });
});

export function isSha(value: string): boolean {
  return SHA_PATTERN.test(value);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
