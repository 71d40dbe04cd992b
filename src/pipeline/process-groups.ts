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

export function liveGroups(): number[] {
  return [...live];
}
