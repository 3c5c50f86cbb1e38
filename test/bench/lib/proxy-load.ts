/**
 * The load phases against running contenders: HTTP (wrk), WebSocket round trips, the 100 MB download.
 * Interleaved: each repeat goes through every point, and within a point through every contender, in
 * an order rotated per repeat, so slow drifts of a shared machine spread over all contenders.
 */
import { download, type DownloadPoint } from './download.ts';
import type { Contender, ContenderName } from './contenders.ts';
import { median } from './processes.ts';
import { runWebSocketLoad, type WebSocketPoint } from './websocket-load.ts';
import { runWrk, type HttpPoint } from './wrk.ts';

export interface HttpCase {
  key: string;
  body: '1k' | '100k';
  connections: number;
}
export interface WebSocketCase {
  key: string;
  connections: number;
}

export const HTTP_CASES: readonly HttpCase[] = [
  { key: '1k-c1', body: '1k', connections: 1 },
  { key: '1k-c64', body: '1k', connections: 64 },
  { key: '100k-c1', body: '100k', connections: 1 },
  { key: '100k-c64', body: '100k', connections: 64 },
];
export const WS_CASES: readonly WebSocketCase[] = [
  { key: 'ws-c1', connections: 1 },
  { key: 'ws-c16', connections: 16 },
];
export const DOWNLOAD_MB = 100;

export type Series<T> = Partial<Record<ContenderName, { runs: T[]; median: T }>>;

export interface LoadResults {
  http: Record<string, Series<HttpPoint>>;
  websocket: Record<string, Series<WebSocketPoint>>;
  download: Series<DownloadPoint>;
}

export interface LoadSettings {
  node: string;
  repeats: number;
  httpSeconds: number;
  wsSeconds: number;
  downloads: number;
  log: (line: string) => void;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = by % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}

/** Median of each numeric field over the runs. */
export function medianOf<T extends object>(runs: readonly T[]): T {
  const first = runs[0] as T;
  const out: Record<string, number> = {};
  for (const key of Object.keys(first))
    out[key] = median(runs.map((run) => (run as Record<string, number>)[key] as number));
  return out as T;
}

function add<T extends object>(series: Series<T>, name: ContenderName, point: T): void {
  const entry = (series[name] ??= { runs: [], median: point });
  entry.runs.push(point);
  entry.median = medianOf(entry.runs);
}

export async function warmUp(contenders: readonly Contender[], seconds: number): Promise<void> {
  for (const contender of contenders)
    await runWrk({ url: `${contender.httpBase}1k`, connections: 16, seconds, headers: contender.headers });
}

export async function runLoad(
  contenders: readonly Contender[],
  settings: LoadSettings,
  cases: { http: readonly HttpCase[]; websocket: readonly WebSocketCase[] },
): Promise<LoadResults> {
  const results: LoadResults = { http: {}, websocket: {}, download: {} };
  for (let repeat = 0; repeat < settings.repeats; repeat++) {
    const order = rotate(contenders, repeat);
    for (const point of cases.http) {
      const series = (results.http[point.key] ??= {});
      for (const contender of order) {
        const run = await runWrk({
          url: `${contender.httpBase}${point.body}`,
          connections: point.connections,
          seconds: settings.httpSeconds,
          headers: contender.headers,
        });
        if (run.errors > 0) throw new Error(`${contender.name} ${point.key}: ${run.errors} failed requests`);
        add(series, contender.name, run);
        settings.log(
          `  ${point.key.padEnd(9)} ${contender.name.padEnd(7)} ${run.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${run.p50Ms.toFixed(3)} ms  p99 ${run.p99Ms.toFixed(3)} ms`,
        );
      }
    }
    for (const point of cases.websocket) {
      const series = (results.websocket[point.key] ??= {});
      for (const contender of order) {
        const run = await runWebSocketLoad({
          node: settings.node,
          url: contender.wsUrl,
          connections: point.connections,
          seconds: settings.wsSeconds,
          headers: contender.headers,
        });
        add(series, contender.name, run);
        settings.log(
          `  ${point.key.padEnd(9)} ${contender.name.padEnd(7)} ${run.msgsPerSecond.toFixed(0).padStart(7)} msg/s  p50 ${run.p50Ms.toFixed(3)} ms  p99 ${run.p99Ms.toFixed(3)} ms`,
        );
      }
    }
    if (repeat < settings.downloads) {
      for (const contender of order) {
        const run = await download({
          url: `${contender.httpBase}stream?mb=${DOWNLOAD_MB}`,
          headers: contender.headers,
          pid: contender.process.pid,
          expectedBytes: DOWNLOAD_MB * 1024 * 1024,
          timeoutMs: 120_000,
        });
        add(results.download, contender.name, run);
        settings.log(
          `  download  ${contender.name.padEnd(7)} ${run.megabytesPerSecond.toFixed(0).padStart(7)} MB/s   RSS ${run.rssBeforeMB.toFixed(1)} -> peak ${run.rssPeakMB.toFixed(1)} MB`,
        );
      }
    }
  }
  return results;
}
