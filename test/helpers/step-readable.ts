import { cpSync, chmodSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A copy of a folder of the repository that the sandbox's unprivileged step user can read: the
 * checkout this suite runs from may sit in a directory only root can enter (CI clones into one),
 * and steps never run as root.
 */
export function stepReadableCopy(relativeDir: string): string {
  const target = mkdtempSync(join(tmpdir(), 'apollo-step-readable-'));
  cpSync(resolve(relativeDir), target, { recursive: true });
  const open = (path: string) => {
    chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) open(join(path, name));
  };
  open(target);
  return target;
}
