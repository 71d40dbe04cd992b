import { statSync } from 'node:fs';
import { lchown, mkdir, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join, relative, resolve, sep } from 'node:path';
import { within } from './within.js';
import { execa } from 'execa';
import { ApolloError, ErrorCode } from '../errors.js';

/** How a step's process is started: the program and its arguments (never a shell string). */
export interface StepCommand {
  file: string;
  args: string[];
  /** The environment of the process started (the step's own, unless the sandbox carries it itself). */
  env: Record<string, string>;
}

/**
 * The only environment a root process of the sandbox ever has: fixed, with no variable a step (or
 * a repository's pipeline file) chose. `LD_PRELOAD`, `BASH_ENV` or `PATH` in a root process's
 * environment would run the step's code as root before privileges are dropped.
 */
export const ROOT_ENV: Readonly<Record<string, string>> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

/**
 * Where steps run. `namespaces`: as an unprivileged user in their own PID and mount namespaces;
 * `none`: as the worker itself (only when the operator says so with `worker.sandbox: none`).
 */
export interface StepSandbox {
  readonly kind: 'namespaces' | 'none';
  /**
   * Runs `script` with bash in `cwd`, a directory inside the lane's checkout `workspaceDir`;
   * `network: 'none'` gives the step a network namespace of its own, with nothing in it.
   */
  command(script: string, cwd: string, workspaceDir: string, network: StepNetwork, env: Record<string, string>): StepCommand;
  /**
   * Who must own a checkout, so that steps can write in it and nowhere else of ours (Workspace.create
   * hands it over as it makes it); undefined: the worker.
   */
  readonly owner?: { uid: number; gid: number };
  /** One line for the start-up log. */
  describe(): string;
}

/** `host`: the worker's network; `none`: a namespace of its own (no route out, not even to 127.0.0.1 of the host). */
export type StepNetwork = 'host' | 'none';

export interface StepUser {
  uid: number;
  gid: number;
  name: string;
}

/**
 * How a step starts. `bwrap` (bubblewrap), as root with ROOT_ENV only, makes fresh PID, mount, IPC
 * and cgroup namespaces (and, for `network: none`, a network namespace with nothing in it) and
 * builds the step's view of the files:
 * - the host's tree, with a `/proc` of its own (the worker's processes and their environ are not
 *   there) and a minimal `/dev`, with a `/dev/shm` of its own (POSIX semaphores: Python's
 *   multiprocessing, which ansible-lint uses);
 * - the state dir (mirror, logs, other checkouts, the private Redis) covered by an empty tmpfs, with
 *   a fresh `HOME` and `TMPDIR` in it (mode 1777, as `/tmp`: only the step user writes there), and
 *   the lane's checkout bound back at its own path;
 * - the hidden files (the config, with its secrets) covered by `/dev/null`.
 * Both tmpfs are capped (TMPFS_BYTES): a step filling them must not take the host's memory.
 *
 * Then SANDBOX_INIT runs as the namespace's PID 1 (`--as-pid-1`), as root, with ROOT_ENV only.
 * Positional arguments, never interpolated: $1 the step's script, $2 uid, $3 gid, then the step's
 * environment as NAME=VALUE words, which only `env -i` reads, after `setpriv` has dropped to the step
 * user (no supplementary groups, no_new_privs: setuid programs cannot climb back): no variable a
 * step chose (`LD_PRELOAD`, `BASH_ENV`) is ever in a root process's environment.
 *
 * SANDBOX_INIT is root and PID 1, so the step can neither signal, stop nor trace it. A SIGTERM
 * (cancel, timeout, shutdown: the worker signals the whole process group) is forwarded to every
 * process of the namespace, `setsid` ones included, which get their grace period. When the step's
 * shell ends, PID 1 ends, and the kernel kills whatever the step left, double-forked children
 * included; the SIGKILL that follows a grace period takes PID 1, and so the namespace, down at once.
 *
 * One process start from the worker, where the shell script of mounts this replaces took seven more
 * (every process start counts: it is most of a short step's cost). `APOLLO_SANDBOX` marks the
 * command lines, so that a lost worker's leftovers are recognised (process-groups.ts), and tells
 * steps where they run.
 */
const SANDBOX_INIT = `script=$1 uid=$2 gid=$3
shift 3
trap 'kill -TERM -1 2>/dev/null || true' TERM
setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- env -i -- "$@" bash -c "$script" &
child=$!
while :; do
  wait "$child"
  status=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"`;

/** The size of each tmpfs of a step (the state dir's, with HOME and TMPDIR, and /dev/shm). */
const TMPFS_BYTES = String(256 * 1024 * 1024);

/** Set in every sandboxed step's environment, and on the sandbox's command line (see process-groups.ts). */
export const SANDBOX_MARK = 'APOLLO_SANDBOX';

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** A variable name as the step's environment may have it (anything else is dropped). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

class NamespaceSandbox implements StepSandbox {
  readonly kind = 'namespaces' as const;

  constructor(
    private readonly user: StepUser,
    private readonly stateDir: string,
    private readonly hidden: string[],
  ) {}

  get owner(): { uid: number; gid: number } {
    return { uid: this.user.uid, gid: this.user.gid };
  }

  command(script: string, cwd: string, workspaceDir: string, network: StepNetwork, env: Record<string, string>): StepCommand {
    const { uid, gid } = this.user;
    const state = this.stateDir;
    const assignments = Object.entries(env)
      .filter(([name]) => ENV_NAME.test(name) && name !== SANDBOX_MARK && name !== 'HOME' && name !== 'TMPDIR')
      .map(([name, value]) => `${name}=${value}`);
    // Files under the state dir are under its tmpfs already; a missing file has nothing to hide.
    const hide = this.hidden.filter((path) => !within(state, path) && isFile(path)).flatMap((path) => ['--ro-bind', '/dev/null', path]);
    // The directories between the tmpfs and the checkout, made traversable (bwrap would make them 0700,
    // and tools that resolve their cwd's absolute path, as terraform does, would be refused).
    const parents: string[] = [];
    if (within(state, workspaceDir)) {
      const names = relative(state, workspaceDir).split(sep).slice(0, -1);
      names.forEach((_, i) => parents.push('--perms', '0755', '--dir', join(state, ...names.slice(0, i + 1))));
    }
    return {
      file: 'bwrap',
      args: [
        '--unshare-pid', '--as-pid-1', '--unshare-ipc', '--unshare-cgroup-try',
        ...(network === 'none' ? ['--unshare-net'] : []),
        '--bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--size', TMPFS_BYTES, '--tmpfs', '/dev/shm',
        '--size', TMPFS_BYTES, '--tmpfs', state, '--perms', '1777', '--dir', join(state, 'home'), '--perms', '1777', '--dir', join(state, 'tmp'),
        ...parents, '--bind', workspaceDir, workspaceDir,
        ...hide,
        '--chdir', cwd,
        '--', 'sh', '-c', SANDBOX_INIT, 'apollo-sandbox', script, String(uid), String(gid),
        ...assignments, `HOME=${join(state, 'home')}`, `TMPDIR=${join(state, 'tmp')}`, `${SANDBOX_MARK}=namespaces`,
      ],
      env: { ...ROOT_ENV },
    };
  }

  describe(): string {
    return `steps run as ${this.user.name} (uid ${this.user.uid}) with bubblewrap, in their own PID and mount namespaces`;
  }
}

class NoSandbox implements StepSandbox {
  readonly kind = 'none' as const;

  command(script: string, _cwd: string, _workspaceDir: string, _network: StepNetwork, env: Record<string, string>): StepCommand {
    return { file: 'bash', args: ['-c', script], env };
  }

  describe(): string {
    return 'worker.sandbox is none: steps run UNSANDBOXED as the worker user, and can read what the worker can';
  }
}

export const NO_SANDBOX: StepSandbox = new NoSandbox();

/** `nobody`, `1001` or `1001:1001` → ids, looked up with id(1). Root is refused. */
export async function resolveStepUser(runAs: string): Promise<StepUser> {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(runAs);
  let user: StepUser;
  if (numeric) {
    const uid = Number(numeric[1]);
    user = { uid, gid: numeric[2] !== undefined ? Number(numeric[2]) : uid, name: runAs };
  } else {
    const [uid, gid] = await Promise.all(['-u', '-g'].map((flag) => execa('id', [flag, '--', runAs], { reject: false, stdin: 'ignore' })));
    if (uid!.exitCode !== 0 || gid!.exitCode !== 0) {
      throw new ApolloError(ErrorCode.SandboxUnavailable, `worker.runAs: no user ${runAs} on this machine (create one, or give a uid)`);
    }
    user = { uid: Number(uid!.stdout.trim()), gid: Number(gid!.stdout.trim()), name: runAs };
  }
  if (user.uid === 0 || user.gid === 0) throw new ApolloError(ErrorCode.SandboxUnavailable, 'worker.runAs: steps never run as root (uid or gid 0)');
  return user;
}

/** The probe's exit status when the step user cannot reach the state dir by its absolute path. */
const UNREACHABLE_STATE = 3;

export interface SandboxSettings {
  sandbox: 'namespaces' | 'none';
  runAs: string;
  stateDir: string;
  /** Files a step must not read (the config file with its secret values). */
  hide?: string[];
  /** The worker's uid (default: this process's); tests say "not root" without leaving root. */
  uid?: number;
}

/**
 * The sandbox the operator asked for, after proving it works here: a probe step must run as the
 * step user in its own namespaces. Throws SandboxUnavailable with one line saying what to do.
 */
export async function createSandbox(settings: SandboxSettings): Promise<StepSandbox> {
  if (settings.sandbox === 'none') return NO_SANDBOX;
  const stateDir = resolve(settings.stateDir);
  const why = (reason: string) =>
    new ApolloError(
      ErrorCode.SandboxUnavailable,
      `the step sandbox is not available here (${reason}): run the worker as root on Linux with bubblewrap (bwrap) and util-linux (setpriv), or set worker.sandbox: none to run steps unsandboxed`,
    );
  if ((settings.uid ?? process.getuid?.()) !== 0) throw why('the worker is not root');
  const user = await resolveStepUser(settings.runAs);
  const sandbox = new NamespaceSandbox(user, stateDir, (settings.hide ?? []).map((p) => resolve(p)));
  const probeDir = join(stateDir, 'workspaces', `.probe-${randomUUID()}`);
  try {
    await mkdir(probeDir, { recursive: true });
    await lchown(probeDir, user.uid, user.gid);
    // The uid is a number we resolved, not user input: safe inside the probe's script text. Steps
    // reach their checkout, HOME and TMPDIR by absolute paths (terraform resolves its cwd's): the
    // step user must be able to pass through every directory above the state dir.
    const script = `[ "$(id -u)" = "${user.uid}" ] && touch written || exit 1\ncd "$APOLLO_PROBE_DIR" 2>/dev/null && touch "$HOME/written" || exit ${UNREACHABLE_STATE}`;
    const { file, args, env } = sandbox.command(script, probeDir, probeDir, 'host', { PATH: process.env.PATH ?? '/usr/bin:/bin', APOLLO_PROBE_DIR: probeDir });
    const probe = await execa(file, args, {
      cwd: probeDir,
      env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    });
    if (probe.exitCode === UNREACHABLE_STATE) {
      throw new ApolloError(
        ErrorCode.SandboxUnavailable,
        `the step user (${user.name}) cannot reach the state dir ${stateDir} by its path: a directory above it is not searchable by others (chmod o+x each of them, or put APOLLO_STATE_DIR under /var/lib)`,
      );
    }
    if (probe.exitCode !== 0) throw why(probe.stderr.trim().split('\n').at(-1) || `probe exited ${probe.exitCode ?? probe.signal}`);
  } finally {
    await rm(probeDir, { recursive: true, force: true });
  }
  return sandbox;
}
