/**
 * HTTP load with wrk (Debian's): `--latency` gives the latency distribution, from which p50 and p99
 * are read; requests/s from its summary. Any non-2xx answer or socket error makes the point invalid
 * (a proxy that answers 403 fast must not win).
 */
import { runToEnd } from './processes.ts';

export interface HttpPoint {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers plus socket errors; a valid point has 0. */
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

export function parseDuration(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) throw new Error(`wrk: cannot read the duration "${text}"`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

export function parseWrk(output: string): HttpPoint {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output);
  const p99 = /^\s+99%\s+(\S+)/m.exec(output);
  if (!rps || !p50 || !p99) throw new Error(`wrk: unexpected output:\n${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: parseDuration(p50[1] as string),
    p99Ms: parseDuration(p99[1] as string),
    errors: non2xx + socketErrors,
  };
}

export async function runWrk(options: {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
}): Promise<HttpPoint> {
  const threads = Math.min(2, options.connections);
  const args = [
    `-t${threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    '--timeout',
    '5s',
  ];
  for (const [name, value] of Object.entries(options.headers)) args.push('-H', `${name}: ${value}`);
  args.push(options.url);
  const result = await runToEnd('wrk', args, { timeoutMs: (options.seconds + 30) * 1000 });
  if (result.code !== 0) throw new Error(`wrk exited ${result.code}: ${result.stderr}${result.stdout}`);
  return parseWrk(result.stdout);
}
