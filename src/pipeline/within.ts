import { isAbsolute, relative, sep } from 'node:path';

/** Whether `path` is `root` or lies below it (lexically: symlinks are the caller's to resolve first). */
export function within(root: string, path: string): boolean {
  if (path === root) return true;
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
