// Load and soak of hubify-proxy on loopback: the runtime bundle (standalone mode) in front of the real
// echo app, N HTTP connections that each send a request, wait for the answer, pause and repeat, and M
// WebSockets that each send a message every second and check the echo, all for the given duration.
// Checks: no errors (every HTTP answer 200 with the right body, every WebSocket message echoed, no
// WebSocket closed early), RSS growth under 10 % (the highest RSS of the last third of the run
// against the highest of the middle third; the first third is warm-up), file descriptors (/proc/<pid>/fd) back to the idle baseline once the clients are gone.
//
//   npm run soak                                   full: 1,000 HTTP + 200 WebSockets for 5 minutes
//   npm run soak -- --duration 30 --http 200 --ws 50
//
// Exit code 0 when every check holds, 1 otherwise. test/integration/soak-short.test.ts runs the short
// form in CI through runSoak().
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from 'undici';
import WebSocket from 'ws';
import { getFreePort } from '../helpers/free-port.ts';
import { RUNTIME_NODE_FLAGS } from '../../cli/layer/layout.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNTIME_BUNDLE = join(REPO_ROOT, 'dist', 'hubify-proxy.mjs');
const ECHO_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs');
const TOKEN = 'soak-token-0123456789abcdef';
const MAX_RSS_GROWTH = 0.1;
/** Upstream keep-alive sockets close after 30 s idle (proxy/forward/upstream-pools.ts); wait a bit longer. */
const FD_SETTLE_MS = 40_000;
const REQUEST_TIMEOUT_MS = 60_000;

export interface SoakOptions {
  durationSeconds: number;
  httpConnections: number;
  webSockets: number;
  /** Pause between one connection's requests (default 1000 ms: concurrency, not a throughput race). */
  thinkMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface SoakFigures {
  durationSeconds: number;
  httpConnections: number;
  webSockets: number;
  httpRequests: number;
  httpErrors: number;
  httpP50Ms: number;
  httpP99Ms: number;
  wsMessages: number;
  wsErrors: number;
  rssBaselineKiB: number;
  rssWarmKiB: number;
  rssEndKiB: number;
  rssGrowth: number;
  fdBaseline: number;
  fdPeak: number;
  fdAfter: number;
  /** First few error messages, for the report. */
  errorSamples: string[];
  /** The checks that failed, in words; empty when the soak passed. */
  failures: string[];
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'NaN');
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function startRuntime(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      ...RUNTIME_NODE_FLAGS, // as the image launches it
      RUNTIME_BUNDLE,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--app',
      `echo=${process.execPath} ${ECHO_APP} --port {port}`,
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        HUBIFY_TOKEN: TOKEN,
        HUBIFY_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hubify-proxy exited during start:\n${output}`);
    if (Date.now() - started > 15_000) throw new Error(`hubify-proxy did not answer within 15 s:\n${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api`);
      await res.text();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return { child, output: () => output };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const log = options.log ?? (() => undefined);
  const thinkMs = options.thinkMs ?? 1000;
  const port = await getFreePort();
  const origin = `http://127.0.0.1:${port}`;
  const { child, output } = await startRuntime(port);
  const pid = child.pid ?? 0;
  const auth = { authorization: `token ${TOKEN}` };
  const errors: string[] = [];
  let errorCount = 0;
  const fail = (what: string): void => {
    errorCount++;
    if (errors.length < 10) errors.push(what);
  };
  try {
    // Warm the app (lazy start) and the runtime, then take the idle baseline.
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${origin}/echo/headers`, { headers: auth });
      await res.text();
      if (res.status !== 200) throw new Error(`warm-up request answered ${res.status}`);
    }
    await sleep(1000);
    const rssBaselineKiB = rssKiB(pid);
    const fdBaseline = fdCount(pid);
    log(`baseline: RSS ${rssBaselineKiB} KiB, ${fdBaseline} fds`);

    const deadline = performance.now() + options.durationSeconds * 1000;
    const latencies: number[] = [];
    let httpRequests = 0;
    const clients = Array.from(
      { length: options.httpConnections },
      () =>
        new Client(origin, {
          pipelining: 1,
          keepAliveTimeout: 120_000,
          headersTimeout: REQUEST_TIMEOUT_MS,
          bodyTimeout: REQUEST_TIMEOUT_MS,
          connectTimeout: REQUEST_TIMEOUT_MS,
        }),
    );
    const httpLoops = clients.map(async (client, index) => {
      // Spread the first requests over one think time, so connections do not all open in one burst.
      await sleep((index / options.httpConnections) * thinkMs);
      for (let i = 0; performance.now() < deadline && i < 1_000_000; i++) {
        const started = performance.now();
        try {
          const res = await client.request({
            path: `/echo/headers?c=${index}&i=${i}`,
            method: 'GET',
            headers: auth,
          });
          const body = await res.body.text();
          if (res.statusCode !== 200) fail(`HTTP ${res.statusCode} on connection ${index}`);
          else if (!body.includes(`"/headers?c=${index}&i=${i}"`)) fail(`wrong body on connection ${index}`);
          else latencies.push(performance.now() - started);
          httpRequests++;
        } catch (error) {
          fail(`HTTP error on connection ${index}: ${(error as Error).message}`);
        }
        await sleep(thinkMs);
      }
    });

    let wsMessages = 0;
    const wsLoops = Array.from({ length: options.webSockets }, async (_unused, index) => {
      await sleep((index / Math.max(1, options.webSockets)) * 1000);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/echo/ws`, { headers: auth });
      let closedEarly = true;
      try {
        await new Promise<void>((opened, failed) => {
          ws.once('open', () => opened());
          ws.once('error', failed);
        });
        ws.on('close', () => {
          if (closedEarly) fail(`WebSocket ${index} closed early`);
        });
        for (let i = 0; performance.now() < deadline && i < 1_000_000; i++) {
          const text = `ws ${index} message ${i}`;
          const echoed = await new Promise<string>((answered, failed) => {
            const timer = setTimeout(() => failed(new Error('no echo within 60 s')), REQUEST_TIMEOUT_MS);
            ws.once('message', (data: Buffer) => {
              clearTimeout(timer);
              answered(data.toString());
            });
            ws.send(text);
          });
          if (echoed !== text)
            fail(`WebSocket ${index} echoed ${JSON.stringify(echoed)} for ${JSON.stringify(text)}`);
          else wsMessages++;
          await sleep(1000);
        }
      } catch (error) {
        fail(`WebSocket ${index}: ${(error as Error).message}`);
      } finally {
        closedEarly = false;
        ws.close();
      }
    });

    // Sample once a second while the load runs; RSS peaks per third of the run (the first is warm-up).
    let rssWarmKiB = 0;
    let rssEndKiB = 0;
    let fdPeak = fdBaseline;
    const third = (options.durationSeconds * 1000) / 3;
    while (performance.now() < deadline) {
      await sleep(Math.min(1000, Math.max(10, deadline - performance.now())));
      const rss = rssKiB(pid);
      fdPeak = Math.max(fdPeak, fdCount(pid));
      const left = deadline - performance.now();
      if (left < third) rssEndKiB = Math.max(rssEndKiB, rss);
      else if (left < 2 * third) rssWarmKiB = Math.max(rssWarmKiB, rss);
      log(
        `t=${Math.round((performance.now() - (deadline - options.durationSeconds * 1000)) / 1000)} s: ${httpRequests} HTTP, ${wsMessages} WS, ${errorCount} errors, RSS ${rss} KiB, ${fdCount(pid)} fds`,
      );
    }
    await Promise.all([...httpLoops, ...wsLoops]);
    await Promise.all(clients.map((client) => client.close()));

    // Every client is gone: the runtime's descriptors return to the idle baseline.
    const settleUntil = Date.now() + FD_SETTLE_MS;
    let fdAfter = fdCount(pid);
    while (fdAfter > fdBaseline && Date.now() < settleUntil) {
      await sleep(500);
      fdAfter = fdCount(pid);
    }
    if (child.exitCode !== null) fail(`hubify-proxy exited during the soak:\n${output()}`);

    latencies.sort((a, b) => a - b);
    const rssGrowth = (rssEndKiB - rssWarmKiB) / rssWarmKiB;
    const failures: string[] = [];
    if (errorCount > 0) failures.push(`${errorCount} errors (first: ${errors.slice(0, 3).join('; ')})`);
    if (!(rssGrowth < MAX_RSS_GROWTH))
      failures.push(
        `RSS grew ${(rssGrowth * 100).toFixed(1)} % (${rssWarmKiB} -> ${rssEndKiB} KiB), limit 10 %`,
      );
    if (fdAfter > fdBaseline) failures.push(`${fdAfter} fds after the soak, baseline ${fdBaseline}`);
    if (httpRequests === 0 || (options.webSockets > 0 && wsMessages === 0))
      failures.push('no traffic got through');
    return {
      durationSeconds: options.durationSeconds,
      httpConnections: options.httpConnections,
      webSockets: options.webSockets,
      httpRequests,
      httpErrors: errorCount,
      httpP50Ms: Math.round(percentile(latencies, 50)),
      httpP99Ms: Math.round(percentile(latencies, 99)),
      wsMessages,
      wsErrors: errors.filter((e) => e.startsWith('WebSocket')).length,
      rssBaselineKiB,
      rssWarmKiB,
      rssEndKiB,
      rssGrowth,
      fdBaseline,
      fdPeak,
      fdAfter,
      errorSamples: errors,
      failures,
    };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((done) => child.once('exit', done));
    }
  }
}

export function formatFigures(f: SoakFigures): string {
  return [
    `soak: ${f.httpConnections} HTTP connections + ${f.webSockets} WebSockets for ${f.durationSeconds} s through hubify-proxy (loopback)`,
    `  HTTP: ${f.httpRequests} requests (${(f.httpRequests / f.durationSeconds).toFixed(0)}/s), errors ${f.httpErrors}, p50 ${f.httpP50Ms} ms, p99 ${f.httpP99Ms} ms`,
    `  WebSocket: ${f.wsMessages} messages echoed, errors ${f.wsErrors}`,
    `  RSS: idle ${f.rssBaselineKiB} KiB, peak of the middle third ${f.rssWarmKiB} KiB, of the last third ${f.rssEndKiB} KiB: growth ${(f.rssGrowth * 100).toFixed(1)} % (limit 10 %)`,
    `  fds: idle ${f.fdBaseline}, peak ${f.fdPeak}, after ${f.fdAfter}`,
    f.failures.length === 0 ? '  result: PASS' : `  result: FAIL: ${f.failures.join('; ')}`,
  ].join('\n');
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '300' },
      http: { type: 'string', default: '1000' },
      ws: { type: 'string', default: '200' },
      think: { type: 'string', default: '1000' },
    },
  });
  const figures = await runSoak({
    durationSeconds: Number(values.duration),
    httpConnections: Number(values.http),
    webSockets: Number(values.ws),
    thinkMs: Number(values.think),
    log: (line) => console.log(line),
  });
  console.log(formatFigures(figures));
  process.exitCode = figures.failures.length === 0 ? 0 : 1;
}
