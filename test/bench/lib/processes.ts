/**
 * Processes the benchmark starts: each one is remembered by PID and stopped by PID (SIGTERM, then
 * SIGKILL after a grace period), also when the benchmark is interrupted. Plus the small probes every
 * measurement needs: resident memory of a PID and "poll this URL until it answers 200".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

const STOP_GRACE_MS = 3_000;
const OUTPUT_KEEP_CHARS = 20_000;

export interface StartedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Spawn time (performance.now()). */
  readonly startedAt: number;
  /** The last output (stdout + stderr) for error messages. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

const running = new Set<StartedProcess>();

export function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): StartedProcess {
  const startedAt = performance.now();
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEEP_CHARS);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: StartedProcess = {
    name,
    pid: child.pid,
    child,
    startedAt,
    output: () => output,
    waitForOutput: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const done = (error: Error | null, match?: RegExpMatchArray): void => {
          listeners.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(match as RegExpMatchArray);
        };
        const check = (): void => {
          const match = pattern.exec(output);
          if (match) done(null, match);
          else if (child.exitCode !== null || child.signalCode !== null)
            done(
              new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-2000)}`),
            );
        };
        const timer = setTimeout(
          () => done(new Error(`${name}: no ${pattern} within ${timeoutMs} ms:\n${output.slice(-2000)}`)),
          timeoutMs,
        );
        listeners.add(check);
        void exited.then(check);
        check();
      }),
    stop: async () => {
      running.delete(started);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(started);
  return started;
}

/** Stops every process still running (on the way out, also after an error or Ctrl-C). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((started) => started.stop()));
}

/** Resident set size of `pid` in MB (10^6 bytes), or null when the process is gone. */
export function rssMB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? (Number(match[1]) * 1024) / 1e6 : null;
  } catch {
    return null;
  }
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One GET on loopback (no agent, no redirects), with a deadline. */
export function get(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body = body.length < 100_000 ? body + text : body));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls `url` every `intervalMs` until it answers `status`; resolves with performance.now() at that
 * answer. Fails after `timeoutMs`, or at once when `alive()` turns false.
 */
export async function pollUntil(
  url: string,
  options: {
    headers?: Record<string, string>;
    status?: number;
    timeoutMs: number;
    intervalMs?: number;
    alive?: () => boolean;
    what: string;
  },
): Promise<number> {
  const deadline = performance.now() + options.timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (options.alive && !options.alive()) throw new Error(`${options.what}: the process exited (${last})`);
    try {
      const answer = await get(url, options.headers, 5_000);
      if (answer.status === (options.status ?? 200)) return performance.now();
      last = `HTTP ${answer.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2));
  }
  throw new Error(
    `${options.what}: ${url} did not answer ${options.status ?? 200} within ${options.timeoutMs} ms (${last})`,
  );
}

export function isAlive(started: StartedProcess): () => boolean {
  return () => started.child.exitCode === null && started.child.signalCode === null;
}

/** Runs a command to completion; resolves with its exit code and output. */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-OUTPUT_KEEP_CHARS)),
    );
    const timer =
      options.timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
