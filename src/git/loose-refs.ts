import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The names of a repository's loose branch and tag files (`refs/heads/…`, `refs/tags/…`), sorted,
 * read without a process: regular files only, directories walked, anything unreadable skipped. What
 * is in them, and whether a name is one git accepts, is the caller's to check.
 */
export async function looseRefNames(gitDir: string): Promise<string[]> {
  const found = await Promise.all(['refs/heads', 'refs/tags'].map((ns) => filesUnder(gitDir, ns)));
  return found.flat().sort();
}

/** Paths (relative to `root`, `/`-separated) of the regular files under `root/dir`. */
async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  const found = await Promise.all(
    entries.map(async (entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return filesUnder(root, path);
      return entry.isFile() ? [path] : [];
    }),
  );
  return found.flat();
}
