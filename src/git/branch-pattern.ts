/**
 * `access.protectedBranches` entries: a branch name, where `*` stands for any run of characters
 * within the name (`release-*`). Tags never match: a protected branch is where reviews land.
 */
export function matchesBranchPattern(branch: string, pattern: string): boolean {
  if (branch.startsWith('tag:')) return false;
  const re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(branch);
}

/** The branches of `containing` that one of `patterns` protects. */
export function protectedBranchesOf(containing: string[], patterns: string[]): string[] {
  return containing.filter((branch) => patterns.some((pattern) => matchesBranchPattern(branch, pattern)));
}
