import { ApolloError, ErrorCode } from '../errors.js';
import { protectedBranchesOf } from './branch-pattern.js';
import type { GitMirror } from './mirror.js';

/**
 * Resolves `ref` to a commit contained in a branch or tag of the repository as it is now, and,
 * when `protectedBranches` is given, in one of those branches. Called when a run is requested and
 * again just before a deploy starts: a commit force-pushed out of the branch meanwhile is refused.
 */
export async function reviewedCommit(mirror: Pick<GitMirror, 'resolve'>, ref: string, protectedBranches?: string[]): Promise<{ sha: string; branches: string[] }> {
  const { sha, branches } = await mirror.resolve(ref);
  if (protectedBranches && protectedBranchesOf(branches, protectedBranches).length === 0) {
    throw new ApolloError(
      ErrorCode.RefNotReviewed,
      `commit \`${sha.slice(0, 7)}\` is not on a protected branch (\`access.protectedBranches\`: ${protectedBranches.map((b) => `\`${b}\``).join(', ')}); only reviewed commits are deployed.`,
    );
  }
  return { sha, branches };
}
