import type { z } from 'zod';

/** `build.steps[1].run` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** One line per problem, each naming where it is: `build.steps[2].run: required`. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `'${k}'`).join(', ');
      return `${formatPath(issue.path)}: unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}`;
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
}

/** Passed to safeParse so a missing field reads "required" rather than "expected string, received undefined". */
export const requiredErrorMap = (issue: { code?: string; input?: unknown }): string | undefined =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined;
