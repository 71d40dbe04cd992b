import { lchown, mkdir, readdir, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
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
  /** Hands a fresh checkout to the step user, so its steps can write in it and nowhere else of ours. */
  adopt(dir: string): Promise<void>;
  /** Who must own a checkout (Workspace.create hands it over as it makes it); undefined: the worker. */
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
 * The sandbox's PID 1, run by `unshare` as root inside fresh PID and mount namespaces, with
 * ROOT_ENV only. Positional arguments, never interpolated: $1 checkout, $2 step cwd, $3 state dir,
 * $4 uid, $5 gid, $6 the step's script, $7 how many paths to hide (the config file), those paths,
 * then the step's environment as NAME=VALUE words, which only `env -i` reads, after `setpriv` has
 * dropped to the step user: no root process ever has a variable the step chose.
 *
 * - The state dir (mirror, logs, other checkouts, the private Redis) is covered by an empty tmpfs;
 *   the checkout is bound back at its own path from the shell's cwd, which still refers to the real
 *   directory after the tmpfs covers its path (`--no-canonicalize`, or mount would re-resolve it).
 * - Hidden files (the config) are covered by /dev/null.
 * - `--mount-proc` gives the namespace its own /proc: the worker's processes and environ are gone.
 * - The step runs as the unprivileged user with no_new_privs, so setuid programs cannot climb back.
 * - PID 1 forwards SIGTERM to every process of the namespace (PID 1 ignores signals it has no
 *   handler for), and when it exits the kernel kills whatever is left, setsid and double-forked
 *   children included.
 */
const INIT = `set -eu
ws=$1 cwd=$2 state=$3 uid=$4 gid=$5 script=$6 nhidden=$7
shift 7
hidden=("\${@:1:$nhidden}")
shift "$nhidden"
cd "$ws"
[ -d "$state" ] || mkdir -p "$state"
mount -t tmpfs -o mode=0755,size=256m apollo-sandbox "$state"
mkdir -p "$ws"
install -d -o "$uid" -g "$gid" -m 0700 "$state/home" "$state/tmp"
mount --no-canonicalize --bind . "$ws"
for path in "\${hidden[@]}"; do
  if [ -f "$path" ]; then mount --bind /dev/null "$path"; fi
done
cd "$cwd"
trap 'kill -TERM -1 2>/dev/null || true' TERM
setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- env -i -- "$@" HOME="$state/home" TMPDIR="$state/tmp" bash -c "$script" &
child=$!
set +e
while :; do
  wait "$child"
  status=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"`;

/** What `env -i` takes as a variable's name (anything else would be read as an option or a command). */
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
    return {
      file: 'unshare',
      args: [
        '--pid', '--fork', '--kill-child', '--mount', '--mount-proc', '--propagation', 'private',
        ...(network === 'none' ? ['--net'] : []),
        '--', 'bash', '-c', INIT, 'apollo-sandbox',
        workspaceDir, cwd, this.stateDir, String(this.user.uid), String(this.user.gid), script,
        String(this.hidden.length), ...this.hidden,
        ...Object.entries(env).filter(([name]) => ENV_NAME.test(name)).map(([name, value]) => `${name}=${value}`),
      ],
      env: { ...ROOT_ENV },
    };
  }

  /** `chown -R --no-dereference`, done here rather than by a process of its own (one fewer per lane). */
  async adopt(dir: string): Promise<void> {
    const { uid, gid } = this.user;
    try {
      await lchown(dir, uid, gid);
      // Walked by hand: readdir's `recursive` follows symlinks to directories, and a committed
      // symlink (`up -> ../..`) must never lead a chown outside the checkout. Links are changed
      // themselves (lchown), never followed.
      const pending = [dir];
      while (pending.length > 0) {
        const parent = pending.pop()!;
        const entries = await readdir(parent, { withFileTypes: true });
        // A few at a time: enough to keep the disk busy, few enough not to flood libuv's threads.
        for (let i = 0; i < entries.length; i += 64) {
          await Promise.all(
            entries.slice(i, i + 64).map((entry) => {
              const path = join(parent, entry.name);
              if (entry.isDirectory()) pending.push(path);
              return lchown(path, uid, gid);
            }),
          );
        }
      }
    } catch (err) {
      throw new ApolloError(ErrorCode.SandboxUnavailable, `could not hand the checkout to ${this.user.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  describe(): string {
    return `steps run as ${this.user.name} (uid ${this.user.uid}) in their own PID and mount namespaces`;
  }
}

class NoSandbox implements StepSandbox {
  readonly kind = 'none' as const;

  command(script: string, _cwd: string, _workspaceDir: string, _network: StepNetwork, env: Record<string, string>): StepCommand {
    return { file: 'bash', args: ['-c', script], env };
  }

  async adopt(): Promise<void> {}

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
      `the step sandbox is not available here (${reason}): run the worker as root on Linux with util-linux (unshare, setpriv), or set worker.sandbox: none to run steps unsandboxed`,
    );
  if ((settings.uid ?? process.getuid?.()) !== 0) throw why('the worker is not root');
  const user = await resolveStepUser(settings.runAs);
  const sandbox = new NamespaceSandbox(user, stateDir, (settings.hide ?? []).map((p) => resolve(p)));
  const probeDir = join(stateDir, 'workspaces', `.probe-${randomUUID()}`);
  try {
    await mkdir(probeDir, { recursive: true });
    await sandbox.adopt(probeDir);
    // The uid is a number we resolved, not user input: safe inside the probe's script text.
    const { file, args, env } = sandbox.command(`[ "$(id -u)" = "${user.uid}" ] && touch written`, probeDir, probeDir, 'host', { PATH: process.env.PATH ?? '/usr/bin:/bin' });
    const probe = await execa(file, args, {
      cwd: probeDir,
      env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 20_000,
    });
    if (probe.exitCode !== 0) throw why(probe.stderr.trim().split('\n').at(-1) || `probe exited ${probe.exitCode ?? probe.signal}`);
  } finally {
    await rm(probeDir, { recursive: true, force: true });
  }
  return sandbox;
}
