/**
 * A 100 MB streamed download through a contender: throughput, and the contender's RSS sampled every
 * 20 ms before, during and after (it must stay flat: bodies are streamed, never buffered).
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { rssMB } from './processes.ts';

export interface DownloadPoint {
  megabytesPerSecond: number;
  bytes: number;
  rssBeforeMB: number;
  rssPeakMB: number;
  /** Peak minus before. */
  rssGrowthMB: number;
}

const SAMPLE_MS = 20;

export function download(options: {
  url: string;
  headers: Record<string, string>;
  pid: number;
  expectedBytes: number;
  timeoutMs: number;
}): Promise<DownloadPoint> {
  const before = rssMB(options.pid) ?? 0;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMB(options.pid) ?? 0)), SAMPLE_MS);
  const started = performance.now();
  return new Promise<DownloadPoint>((resolve, reject) => {
    const req = request(
      options.url,
      { headers: options.headers, agent: false, timeout: options.timeoutMs },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => {
          const seconds = (performance.now() - started) / 1000;
          peak = Math.max(peak, rssMB(options.pid) ?? 0);
          if (res.statusCode !== 200 || bytes !== options.expectedBytes) {
            reject(new Error(`download: HTTP ${res.statusCode}, ${bytes} of ${options.expectedBytes} bytes`));
            return;
          }
          resolve({
            megabytesPerSecond: bytes / 1e6 / seconds,
            bytes,
            rssBeforeMB: before,
            rssPeakMB: peak,
            rssGrowthMB: peak - before,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('download timed out')));
    req.on('error', reject);
    req.end();
  }).finally(() => clearInterval(sampler));
}
