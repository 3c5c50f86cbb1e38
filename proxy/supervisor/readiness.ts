import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ReadinessSpec } from '../app-spec.ts';
import type { AppTarget } from './app-status.ts';

export type ReadinessOutcome =
  { kind: 'ready'; status: number } | { kind: 'timeout'; lastTry: string | null } | { kind: 'aborted' };

const FIRST_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 500;
/** One probe may take this long: a busy app that is up answers well within it, a hung one does not. */
const PROBE_TIMEOUT_MS = 2_000;
const MIN_PROBE_TIMEOUT_MS = 100;

/**
 * Polls `GET readiness.path` until an accepted status arrives, the timeout passes, or `signal` aborts.
 * Redirects are not followed: a login redirect already proves the app is serving.
 */
export async function waitUntilReady(
  target: AppTarget,
  readiness: ReadinessSpec,
  signal: AbortSignal,
): Promise<ReadinessOutcome> {
  const deadline = Date.now() + readiness.timeoutSeconds * 1000;
  let interval = FIRST_INTERVAL_MS;
  let lastTry: string | null = null;
  for (;;) {
    if (signal.aborted) return { kind: 'aborted' };
    const timeoutMs = Math.min(PROBE_TIMEOUT_MS, Math.max(MIN_PROBE_TIMEOUT_MS, deadline - Date.now()));
    const answer = await probe(target, readiness.path, timeoutMs, signal);
    if (signal.aborted) return { kind: 'aborted' };
    if (typeof answer === 'number') {
      if (isAccepted(answer, readiness.status)) return { kind: 'ready', status: answer };
      lastTry = `status ${answer}`;
    } else {
      lastTry = answer;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { kind: 'timeout', lastTry };
    try {
      await sleep(Math.min(interval, remaining), undefined, { signal });
    } catch {
      return { kind: 'aborted' };
    }
    interval = Math.min(interval * 1.5, MAX_INTERVAL_MS);
  }
}

function isAccepted(status: number, accepted: number[]): boolean {
  return accepted.length === 0 ? status < 500 : accepted.includes(status);
}

/** The response status, or a short text saying why there was none. */
function probe(
  target: AppTarget,
  path: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<number | string> {
  return new Promise((resolve) => {
    const where =
      target.kind === 'tcp' ? { host: target.host, port: target.port } : { socketPath: target.path };
    const req = request({ ...where, path, method: 'GET', agent: false, signal });
    const timer = setTimeout(() => {
      resolve(`no answer within ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? error.message);
    });
    req.end();
  });
}
