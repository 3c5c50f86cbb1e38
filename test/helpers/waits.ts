// Named durations and one bounded polling primitive for every test in the repository.
// Tests never spell a raw timeout: pick the name that says why the wait is as long as it is.
import { setTimeout as sleep } from 'node:timers/promises';

/** Something local and quick: a loopback server answering, a child process exiting. */
export const WAIT_SHORT = 5_000;
/** Something that involves a real process starting up: an app, a single-user server. */
export const WAIT_MEDIUM = 15_000;
/** Something slow but bounded: a spawn through the hub, a browser page with OAuth redirects. */
export const WAIT_LONG = 45_000;
/** The hub itself starting (Python imports, sqlite migration, CHP start). */
export const WAIT_HUB_START = 60_000;
/** Grace period before SIGKILL when stopping a process we started. */
export const WAIT_KILL_GRACE = 10_000;

/** Poll interval for cheap local checks (a file exists, a port answers). */
export const POLL_FAST = 25;
/** Poll interval for checks that cost a request to the hub. */
export const POLL_MEDIUM = 200;
/** Poll interval for expensive checks. */
export const POLL_SLOW = 1_000;

export interface WaitForOptions {
  /** Upper bound for the whole wait. */
  timeoutMs: number;
  /** Pause between attempts; defaults to POLL_FAST. */
  intervalMs?: number;
  /** What is being waited for, in words; it starts the timeout error ("timed out after 5000 ms waiting for <what>"). */
  what: string;
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  /** The `what` of the wait that timed out. */
  readonly what: string;
  /** The error the last attempt threw, if it threw. */
  readonly lastError: unknown;
  constructor(message: string, what: string, lastError: unknown) {
    super(message, { cause: lastError });
    this.what = what;
    this.lastError = lastError;
  }
}

/** Thrown from a waitFor callback to give up at once (the condition can no longer come true). */
export class StopWaiting extends Error {
  override readonly name = 'StopWaiting';
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return typeof error;
  }
}

/**
 * Calls `fn` until it returns a value other than `undefined`, `null` or `false`, and returns that value.
 * A thrown error counts as "not yet"; the last one is quoted in the timeout error. A thrown
 * StopWaiting ends the wait at once and is rethrown.
 * The last attempt starts before the deadline, so a slow `fn` can overrun it by its own duration.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs, what } = options;
  const intervalMs = options.intervalMs ?? POLL_FAST;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) {
        return value as Exclude<T, undefined | null | false>;
      }
      lastError = undefined;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      lastError = error;
    }
    const now = Date.now();
    if (now >= deadline) {
      const last = lastError === undefined ? '' : `; last error: ${describe(lastError)}`;
      throw new WaitTimeoutError(
        `timed out after ${now - started} ms (limit ${timeoutMs} ms, ${attempts} attempts) waiting for ${what}${last}`,
        what,
        lastError,
      );
    }
    await sleep(Math.min(intervalMs, deadline - now));
  }
}

/** Races `promise` against a named timeout; the error names `what`. The promise is not cancelled. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`, what, undefined));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
