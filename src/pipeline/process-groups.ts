import { readFileSync, readdirSync } from 'node:fs';
import { SANDBOX_MARK } from './sandbox.js';

/**
 * Steps run in their own process group (detached) so that a timeout, cancel or shutdown can stop
 * the whole tree: killing only bash would leave terraform or rspec holding the output pipe.
 */
const live = new Set<number>();

export function trackGroup(pid: number): void {
  live.add(pid);
}

export function untrackGroup(pid: number): void {
  live.delete(pid);
}

export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** SIGTERM now, SIGKILL after `graceMs` if the group is still there. */
export function stopGroup(pid: number, graceMs: number): void {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
  timer.unref();
}

/**
 * Whether `pid` on this host is still a step's process group: its leader is a sandbox's `bwrap` or
 * an unsandboxed step's `bash`, or, once the sandbox's launcher has gone (it ends on the SIGTERM
 * that starts a grace period), the group still holds the sandbox's PID 1 (`sh`). A pid read back from Redis
 * is only a claim: a lost worker's leftovers are stopped only when the claim checks out, never pid 1
 * or an unrelated process.
 */
export function isStepGroup(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  const leader = processInfo(pid);
  if (leader) return leader.pgrp === pid && ((leader.program === 'bwrap' && leader.sandboxed) || leader.program === 'bash');
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const member = processInfo(Number(entry));
    // PID 1 is `sh`; a worker of the version before ran it as `bash`, and its leftovers are recognised too.
    if (member?.pgrp === pid && member.sandboxed && (member.program === 'bwrap' || member.program === 'sh' || member.program === 'bash')) return true;
  }
  return false;
}

/** A process's group, program and whether its command line carries the sandbox's mark; undefined when gone or not ours to read. */
function processInfo(pid: number): { pgrp: number; program: string | undefined; sandboxed: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return { pgrp, program: argv[0]?.split('/').pop(), sandboxed: argv.includes(`${SANDBOX_MARK}=namespaces`) };
  } catch {
    return undefined;
  }
}

/** Stops a lost worker's step group, if `pid` really is one (see isStepGroup). */
export function signalLeftoverGroup(pid: number, signal: NodeJS.Signals): boolean {
  return isStepGroup(pid) && signalGroup(pid, signal);
}

export function liveGroups(): number[] {
  return [...live];
}
