import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApolloError, ErrorCode } from '../errors.js';

/**
 * A ref name as git allows it (no control character, space, `~^:?*[\`), in the namespaces a mirror
 * holds. Anything else in a mirror's files is skipped, never written into a checkout's files.
 */
const REF_NAME = /^refs\/(heads|tags)\/[^\0-\x20\x7f~^:?*[\\]+$/;

/** An object name: SHA-1, or SHA-256 for a repository in that format. */
const OBJECT_NAME = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Makes `dir/.git` as `git clone --no-checkout --no-hardlinks --template=` of a local repository
 * would, without starting a process: git's own local clone starts a shell and `git-upload-pack` to
 * list the refs and checks connectivity, three processes and about 15 ms of CPU here, for a copy of
 * files. What the clone would hold:
 * - every object file, copied (reflinked where the file system can), never hard-linked: the step
 *   that owns its checkout must not own the mirror's files too;
 * - the source's branches as `origin/*` remote-tracking refs, its tags as tags, and its default
 *   branch as a local branch, which HEAD names; no checkout yet (no index): the caller's
 *   `git checkout` is the first, and git makes the whole tree for it;
 * - `origin` pointing at the source; no hooks, no sample files.
 * `source` is a bare mirror or a working repository (its `.git`).
 */
export async function cloneLocal(source: string, dir: string): Promise<void> {
  const from = await gitDirOf(source);
  const git = join(dir, '.git');
  // Each file-system operation counts (a mkdir costs 0.5 ms of CPU on a busy host): only what git
  // needs. `refs/heads` and `refs/tags` are made by git when a ref is written loose.
  await mkdir(git, { recursive: true });
  const [refs, head] = await Promise.all([
    refsOf(from),
    readFile(join(from, 'HEAD'), 'utf8').catch(() => ''),
    mkdir(join(git, 'refs')),
    copyObjects(join(from, 'objects'), join(git, 'objects')),
  ]);
  const defaultRef = /^ref: (refs\/heads\/\S+)\s*$/.exec(head)?.[1];
  const branch = defaultRef && REF_NAME.test(defaultRef) ? defaultRef : 'refs/heads/main';
  const packed: string[] = [];
  for (const [name, sha] of [...refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    packed.push(`${sha} ${name.startsWith('refs/heads/') ? `refs/remotes/origin/${name.slice('refs/heads/'.length)}` : name}`);
  }
  const defaultSha = refs.get(branch);
  if (defaultSha) packed.push(`${defaultSha} ${branch}`);
  // A SHA-256 repository (its object names are 64 digits) needs format version 1 and says so.
  const sha256 = [...refs.values()].some((sha) => sha.length === 64);
  await Promise.all([
    writeFile(join(git, 'HEAD'), `ref: ${branch}\n`),
    writeFile(join(git, 'packed-refs'), packed.map((line) => `${line}\n`).join('')),
    defaultSha ? mkdir(join(git, 'refs', 'remotes', 'origin'), { recursive: true }).then(() => writeFile(join(git, 'refs', 'remotes', 'origin', 'HEAD'), `ref: refs/remotes/origin/${branch.slice('refs/heads/'.length)}\n`)) : undefined,
    writeFile(
      join(git, 'config'),
      [
        '[core]',
        `\trepositoryformatversion = ${sha256 ? 1 : 0}`,
        '\tfilemode = true',
        '\tbare = false',
        '\tlogallrefupdates = true',
        ...(sha256 ? ['[extensions]', '\tobjectformat = sha256'] : []),
        '[remote "origin"]',
        `\turl = ${configValue(source)}`,
        '\tfetch = +refs/heads/*:refs/remotes/origin/*',
        '',
      ].join('\n'),
    ),
  ]);
}

/** The git directory of a bare repository (itself) or of a working one (its `.git`). */
async function gitDirOf(path: string): Promise<string> {
  for (const candidate of [join(path, '.git'), path]) {
    const objects = await stat(join(candidate, 'objects')).catch(() => undefined);
    if (objects?.isDirectory()) return candidate;
  }
  throw new ApolloError(ErrorCode.GitFailed, `could not create the workspace: ${path} is not a git repository`);
}

/**
 * The source's branches and tags with their commits: loose refs over `packed-refs`, as git reads
 * them. Symbolic refs, lock files and names git would refuse are skipped.
 */
async function refsOf(gitDir: string): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (sha && name && OBJECT_NAME.test(sha) && REF_NAME.test(name)) refs.set(name, sha);
  }
  const loose = await Promise.all(['refs/heads', 'refs/tags'].map((ns) => filesUnder(gitDir, ns)));
  await Promise.all(
    loose.flat().map(async (name) => {
      if (!REF_NAME.test(name) || name.endsWith('.lock')) return;
      const sha = (await readFile(join(gitDir, name), 'utf8').catch(() => '')).trim();
      if (OBJECT_NAME.test(sha)) refs.set(name, sha);
    }),
  );
  return refs;
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

/**
 * Copies the object files: packs and loose objects (`info/`, for dumb HTTP servers, and packs'
 * bitmaps, for serving fetches, are not needed by a checkout); regular files and directories only
 * (links are never followed), files being written by a concurrent fetch (`tmp_*`) skipped. A file
 * that disappears meanwhile (git's maintenance repacked) is skipped too: the checkout then names what
 * is missing.
 */
async function copyObjects(from: string, to: string, top = true): Promise<void> {
  const [entries] = await Promise.all([readdir(from, { withFileTypes: true }), mkdir(to)]);
  await Promise.all(
    entries.map(async (entry) => {
      if (entry.name.startsWith('tmp_') || entry.name.endsWith('.bitmap') || (top && entry.name === 'info')) return;
      if (entry.isDirectory()) {
        await copyObjects(join(from, entry.name), join(to, entry.name), false).catch(ignoreVanished);
      } else if (entry.isFile()) {
        await copyFile(join(from, entry.name), join(to, entry.name), constants.COPYFILE_FICLONE).catch(ignoreVanished);
      }
    }),
  );
}

function ignoreVanished(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

/** A value for git's config file, quoted: `"` and `\` escaped; a control character cannot be written. */
function configValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(value)) throw new ApolloError(ErrorCode.GitFailed, 'could not create the workspace: the mirror path has a control character');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
