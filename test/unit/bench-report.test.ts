// The benchmark's readers (test/bench/lib/): wrk's summary and latency distribution, and the targets
// of issue 6 computed from a run's medians (ratios, added latency, noise that cannot be a result).
import { describe, expect, it } from 'vitest';

import type { BenchResults } from '../bench/lib/report.ts';
import { markdown, svgChart, targets } from '../bench/lib/report.ts';
import { parseDuration, parseWrk } from '../bench/lib/wrk.ts';

// Output of `wrk -t1 -c2 -d1s --latency` (wrk 4.1.0, Debian).
const WRK_OUTPUT = `Running 1s test @ http://127.0.0.1:18755/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     9.05ms    4.93ms  33.04ms   77.25%
    Req/Sec   222.60     46.29   290.00     60.00%
  Latency Distribution
     50%    7.71ms
     75%   11.33ms
     90%   15.33ms
     99%   28.18ms
  223 requests in 1.01s, 3.86MB read
Requests/sec:    221.89
Transfer/sec:      3.84MB
`;

describe('wrk output', () => {
  it('reads requests/s and p50/p99 in milliseconds', () => {
    expect(parseWrk(WRK_OUTPUT)).toEqual({ requestsPerSecond: 221.89, p50Ms: 7.71, p99Ms: 28.18, errors: 0 });
  });

  it('counts non-2xx answers and socket errors', () => {
    const failing = WRK_OUTPUT.replace(
      'Requests/sec',
      '  Socket errors: connect 0, read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 5\nRequests/sec',
    );
    expect(parseWrk(failing).errors).toBe(8);
  });

  it('converts every unit wrk prints', () => {
    expect(parseDuration('250.00us')).toBeCloseTo(0.25);
    expect(parseDuration('1.50ms')).toBe(1.5);
    expect(parseDuration('2.00s')).toBe(2000);
    expect(parseDuration('1.00m')).toBe(60_000);
    expect(() => parseDuration('3 parsecs')).toThrow(/cannot read/);
  });

  it('refuses output without a summary', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(
      /unexpected output/,
    );
  });
});

function http(rps: number, p50Ms: number, p99Ms: number) {
  const point = { requestsPerSecond: rps, p50Ms, p99Ms, errors: 0 };
  return { runs: [point], median: point };
}

function results(directP99Ms: number): BenchResults {
  return {
    date: '2026-01-01T00:00:00.000Z',
    quick: false,
    machine: { cpus: 2, model: 'test CPU', memoryGB: 8, kernel: '6.1', loadAverage: 0.5 },
    node: { contenders: 'v24.21.0', host: 'v20.19.0' },
    settings: { repeats: 3, httpSeconds: 5, wsSeconds: 4 },
    load: {
      http: {
        '1k-c1': { direct: http(30_000, 0.02, directP99Ms), hubify: http(5_000, 0.1, 0.4) },
        '1k-c64': {
          nginx: http(20_000, 1, 2),
          hubify: http(11_000, 2, 4),
          chp: http(5_000, 5, 9),
          floor: http(12_000, 2, 4),
        },
      },
      websocket: {},
      download: {},
    },
    rssAfterLoadMB: { hubify: 90 },
    coldStart: {},
    containers: null,
    builds: null,
    incumbentLayer: null,
    notes: [],
  };
}

describe('targets', () => {
  const byText = (run: BenchResults, start: string) => targets(run).find((t) => t.text.startsWith(start));

  it('computes ratios and added latency from the medians', () => {
    const run = results(0.3);
    expect(byText(run, '1 KiB c=64: ≥ 0.5× nginx')).toMatchObject({ measured: '0.55×', met: true });
    expect(byText(run, '1 KiB c=64: ≥ 2× configurable')).toMatchObject({ measured: '2.20×', met: true });
    expect(byText(run, '1 KiB c=64: ≥ 0.85× minimal')).toMatchObject({ measured: '0.92×', met: true });
    expect(byText(run, 'added latency at c=1, p50')).toMatchObject({ measured: '+0.080 ms', met: false });
    expect(byText(run, 'added latency at c=1, p99')).toMatchObject({ measured: '+0.100 ms', met: true });
    expect(byText(run, 'RSS ≤ 80 MB after load')).toMatchObject({ measured: '90.0 MB', met: false });
    expect(byText(run, 'WebSocket c=1')).toMatchObject({ met: null });
  });

  it('never counts a negative added latency (noise in direct) as met', () => {
    expect(byText(results(5), 'added latency at c=1, p99')).toMatchObject({ met: 'inconclusive' });
  });

  it('renders the table and a well-formed chart', () => {
    const run = results(0.3);
    const table = markdown(run);
    expect(table).toContain('| HTTP 1 KiB, c=64: req/s (p50 / p99 ms) |');
    expect(table).toContain('| 1 KiB c=64: ≥ 0.5× nginx | 0.55× | met |');
    const svg = svgChart(run);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('0.17 (5,000/s)');
  });
});
