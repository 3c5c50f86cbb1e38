/**
 * Signals and waits for whole process groups. Apps run in their own group (spawned detached), so one
 * signal reaches the helpers they start too (rsession, kernels, workers), and waiting for the group, not
 * the pid, is what guarantees the port and files are free again.
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 25;

/** Sends `signal` to the group; a group that is already gone (ESRCH) is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left. EPERM: a member changed its user (setuid); nothing we can do from here.
  }
}

/**
 * True while a member of the group still runs. Zombies do not count: they hold no port or file, and
 * reaping them is their parent's job. Orphans are reparented to PID 1, which on some hosts reaps only
 * every few seconds, so counting zombies would stretch every stop to that delay.
 */
export async function groupHasLiveMember(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true; // no procfs: believe kill()
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/** Resolves true once no member of the group runs, false if some still do after `timeoutMs`. */
export async function waitForGroupExit(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await groupHasLiveMember(pgid))) return true;
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    await sleep(Math.min(POLL_MS, remaining));
  }
}
