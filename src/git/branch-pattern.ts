/**
 * `access.protectedBranches` entries: a branch name, where `*` stands for any run of characters
 * within one path segment (`release-*` protects `release-1`, not `release-1/unreviewed`, as GitHub's
 * branch rules read it) and `**` for any run across segments. Tags never match: a protected branch
 * is where reviews land.
 */
export function matchesBranchPattern(branch: string, pattern: string): boolean {
  if (branch.startsWith('tag:')) return false;
  const escape = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const source = pattern
    .split('**')
    .map((across) => across.split('*').map(escape).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${source}$`).test(branch);
}

/** The branches of `containing` that one of `patterns` protects. */
export function protectedBranchesOf(containing: string[], patterns: string[]): string[] {
  return containing.filter((branch) => patterns.some((pattern) => matchesBranchPattern(branch, pattern)));
}
