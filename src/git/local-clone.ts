import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApolloError, ErrorCode } from '../errors.js';
import { looseRefNames } from './loose-refs.js';

/**
 * A ref name of the namespaces a mirror holds, as git allows it: no control character, space or
 * `~^:?*[\`, no `..`, `@{` or `//`, no component that starts with a dot or ends with `.lock`, no
 * trailing `/` or `.`. Anything else in a mirror's files is skipped, never written into a checkout.
 */
function isRefName(name: string): boolean {
  if (!/^refs\/(heads|tags)\/[^\0-\x20\x7f~^:?*[\\]+$/.test(name)) return false;
  if (/\.\.|@\{|\/\/|\/\.|\.lock(\/|$)|[/.]$/.test(name)) return false;
  return true;
}

/** An object name: SHA-1, or SHA-256 for a repository in that format. */
const OBJECT_NAME = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Repository extensions a checkout may come from: the object format is carried over, the rest need nothing. */
const KNOWN_EXTENSIONS = new Set(['objectformat', 'worktreeconfig', 'preciousobjects', 'noop']);

/** How many times a copy that met a concurrent repack (an object file gone mid-copy) is made. */
const ATTEMPTS = 3;

/** An object file of the source disappeared while it was copied (git's maintenance repacked). */
class SourceChanged extends Error {}

/**
 * Makes `dir/.git` as `git clone --no-checkout --no-hardlinks --template=` of a local repository
 * would, without starting a process: git's own local clone starts a shell and `git-upload-pack` to
 * list the refs and checks connectivity, three processes and about 15 ms of CPU here, for a copy of
 * files. What the clone would hold:
 * - every object file, copied (reflinked where the file system can), never hard-linked: the step
 *   that owns its checkout must not own the mirror's files too;
 * - the source's branches as `origin/*` remote-tracking refs, its tags as tags, and its default
 *   branch as a local branch tracking `origin`, which HEAD names; no checkout yet (no index): the
 *   caller's `git checkout` is the first, and git makes the whole tree for it;
 * - `origin` pointing at the source; the source's object format; no hooks, no sample files.
 * `source` is a bare mirror or a working repository (its `.git`). Other processes may fetch into it
 * and repack it meanwhile: the refs are read before the objects are copied (a fetch writes objects
 * before the refs that name them, and a repack keeps what the refs name), and a copy that meets a
 * repack is made again.
 */
export async function cloneLocal(source: string, dir: string): Promise<void> {
  const from = await gitDirOf(source);
  for (let attempt = 1; ; attempt++) {
    try {
      return await copyRepository(source, from, dir);
    } catch (err) {
      if (!(err instanceof SourceChanged)) throw err;
      await rm(dir, { recursive: true, force: true });
      if (attempt >= ATTEMPTS) throw new ApolloError(ErrorCode.GitFailed, `could not create the workspace: ${source} was repacked while it was copied, ${ATTEMPTS} times`);
    }
  }
}

async function copyRepository(source: string, from: string, dir: string): Promise<void> {
  const [refs, head, sourceConfig] = await Promise.all([
    refsOf(from),
    readFile(join(from, 'HEAD'), 'utf8').catch(() => ''),
    readFile(join(from, 'config'), 'utf8').catch(() => ''),
  ]);
  const objectFormat = objectFormatOf(sourceConfig, source);
  const git = join(dir, '.git');
  // Each file-system operation counts (a mkdir costs 0.5 ms of CPU on a busy host): only what git
  // needs. `refs/heads` and `refs/tags` are made by git when a ref is written loose.
  await mkdir(git, { recursive: true });
  await Promise.all([mkdir(join(git, 'refs')), copyObjects(join(from, 'objects'), join(git, 'objects'))]);
  const branch = defaultBranch(head, refs);
  const packed: string[] = [];
  for (const [name, sha] of [...refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    packed.push(`${sha} ${name.startsWith('refs/heads/') ? `refs/remotes/origin/${name.slice('refs/heads/'.length)}` : name}`);
  }
  const defaultSha = refs.get(branch);
  if (defaultSha) packed.push(`${defaultSha} ${branch}`);
  const short = branch.slice('refs/heads/'.length);
  await Promise.all([
    writeFile(join(git, 'HEAD'), `ref: ${branch}\n`),
    writeFile(join(git, 'packed-refs'), packed.map((line) => `${line}\n`).join('')),
    defaultSha ? mkdir(join(git, 'refs', 'remotes', 'origin'), { recursive: true }).then(() => writeFile(join(git, 'refs', 'remotes', 'origin', 'HEAD'), `ref: refs/remotes/origin/${short}\n`)) : undefined,
    writeFile(
      join(git, 'config'),
      [
        '[core]',
        `\trepositoryformatversion = ${objectFormat === 'sha256' ? 1 : 0}`,
        '\tfilemode = true',
        '\tbare = false',
        '\tlogallrefupdates = true',
        ...(objectFormat === 'sha256' ? ['[extensions]', '\tobjectformat = sha256'] : []),
        '[remote "origin"]',
        `\turl = ${configValue(source)}`,
        '\tfetch = +refs/heads/*:refs/remotes/origin/*',
        ...(defaultSha ? [`[branch ${configValue(short)}]`, '\tremote = origin', `\tmerge = ${branch}`] : []),
        '',
      ].join('\n'),
    ),
  ]);
}

/**
 * The branch HEAD names, as git clone picks it: the source's HEAD when it names a branch; when it is
 * detached, a branch at the same commit (main or master first); else `main`, unborn.
 */
function defaultBranch(head: string, refs: Map<string, string>): string {
  const named = /^ref: (refs\/heads\/\S+)\s*$/.exec(head)?.[1];
  if (named && isRefName(named)) return named;
  const detached = head.trim();
  if (OBJECT_NAME.test(detached)) {
    const at = [...refs].filter(([name, sha]) => sha === detached && name.startsWith('refs/heads/')).map(([name]) => name).sort();
    const preferred = ['refs/heads/main', 'refs/heads/master'].find((name) => at.includes(name)) ?? at[0];
    if (preferred) return preferred;
  }
  return 'refs/heads/main';
}

/**
 * The source's object format, from its config's `[extensions]`: an extension this copy does not
 * know how to carry over (reftable refs, a partial clone) is refused rather than copied wrong.
 */
function objectFormatOf(config: string, source: string): 'sha1' | 'sha256' {
  let section = '';
  let format: 'sha1' | 'sha256' = 'sha1';
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    const header = /^\[\s*([A-Za-z0-9.-]+)/.exec(line);
    if (header) {
      section = header[1]!.toLowerCase();
      continue;
    }
    if (section !== 'extensions' || line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [key = '', value = ''] = line.split('=').map((part) => part.trim().toLowerCase());
    if (!KNOWN_EXTENSIONS.has(key)) throw new ApolloError(ErrorCode.GitFailed, `could not create the workspace: ${source} uses the git extension ${key}, which apollo's checkout cannot copy`);
    if (key === 'objectformat') format = value === 'sha256' ? 'sha256' : 'sha1';
  }
  return format;
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
 * The source's branches and tags with their commits, read as git reads them: loose refs first,
 * then `packed-refs` for the rest (`pack-refs` writes `packed-refs` before it deletes the loose
 * files, so in this order a ref being packed is never missed). Symbolic refs, lock files and names
 * git would refuse are skipped.
 */
async function refsOf(gitDir: string): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  await Promise.all(
    (await looseRefNames(gitDir)).map(async (name) => {
      if (!isRefName(name)) return;
      const sha = (await readFile(join(gitDir, name), 'utf8').catch(() => '')).trim();
      if (OBJECT_NAME.test(sha)) refs.set(name, sha);
    }),
  );
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (sha && name && OBJECT_NAME.test(sha) && isRefName(name) && !refs.has(name)) refs.set(name, sha);
  }
  return refs;
}

/**
 * Copies the object files: packs and loose objects (`info/`, for dumb HTTP servers, and packs'
 * bitmaps, for serving fetches, are not needed by a checkout); regular files and directories only
 * (links are never followed), files being written by a concurrent fetch (`tmp_*`) skipped. A file
 * that disappears meanwhile (a repack) makes the copy start over (SourceChanged).
 */
async function copyObjects(from: string, to: string, top = true): Promise<void> {
  const [entries] = await Promise.all([readdir(from, { withFileTypes: true }), mkdir(to)]);
  await Promise.all(
    entries.map(async (entry) => {
      if (entry.name.startsWith('tmp_') || entry.name.endsWith('.bitmap') || (top && entry.name === 'info')) return;
      if (entry.isDirectory()) {
        await copyObjects(join(from, entry.name), join(to, entry.name), false).catch(vanished);
      } else if (entry.isFile()) {
        await copyFile(join(from, entry.name), join(to, entry.name), constants.COPYFILE_FICLONE).catch(vanished);
      }
    }),
  );
}

/** A file or directory listed a moment ago is gone: the source was repacked meanwhile. */
function vanished(err: unknown): never {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SourceChanged();
  throw err;
}

/** A value for git's config file, quoted: `"` and `\` escaped; a control character cannot be written. */
function configValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(value)) throw new ApolloError(ErrorCode.GitFailed, 'could not create the workspace: the mirror path has a control character');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
