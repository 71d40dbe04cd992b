import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * The playground's signing secret: random for every start, so no request signed with a constant
 * from the source can reach a bot, and kept in the state dir (owner-only) for `npm run slash`.
 */
export function playgroundSecretPath(stateDir: string): string {
  return join(resolve(stateDir), 'playground-signing-secret');
}

export async function createPlaygroundSecret(stateDir: string): Promise<string> {
  const secret = randomBytes(32).toString('hex');
  const path = playgroundSecretPath(stateDir);
  await mkdir(resolve(stateDir), { recursive: true });
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // an older file keeps its mode through writeFile
  return secret;
}

export async function readPlaygroundSecret(stateDir: string): Promise<string | undefined> {
  try {
    return (await readFile(playgroundSecretPath(stateDir), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}
