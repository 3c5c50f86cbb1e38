/**
 * Turns one run's results into what people read: the targets of issue 6 with met / not met, a
 * markdown table with ratios to direct and to nginx, the JSON file, an SVG chart (written here, no
 * browser), and the README block between `<!-- bench:start -->` and `<!-- bench:end -->`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';
import type { StartResults } from './cold-start.ts';
import type { ContenderName } from './contenders.ts';
import type { BuildRun, ContainerName, ContainerResults, LayerCost } from './images.ts';
import { median } from './processes.ts';
import type { LoadResults } from './proxy-load.ts';

export interface BenchResults {
  date: string;
  quick: boolean;
  machine: { cpus: number; model: string; memoryGB: number; kernel: string; loadAverage: number };
  node: { contenders: string; host: string };
  settings: { repeats: number; httpSeconds: number; wsSeconds: number };
  load: LoadResults;
  rssAfterLoadMB: Partial<Record<ContenderName, number>>;
  coldStart: StartResults;
  containers: ContainerResults | null;
  builds: { cold: BuildRun | null; warm: BuildRun[] } | null;
  incumbentLayer: LayerCost | null;
  notes: string[];
}

/** Figures quoted by issue 6 for what cannot run here (no PyPI: jupyter-server-proxy). */
export const QUOTED = { jupyterServerProxyRps1kC64: 1400 } as const;
/** "Flat" memory during the 100 MB download: the peak stays within this of the RSS before it. */
export const FLAT_RSS_GROWTH_MB = 10;

export interface Target {
  text: string;
  measured: string;
  /** null: not measured in this run; 'inconclusive': measured, but the noise is larger than the effect. */
  met: boolean | null | 'inconclusive';
}

const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

function rps(results: BenchResults, key: string, name: ContenderName): number | undefined {
  return results.load.http[key]?.[name]?.median.requestsPerSecond;
}
function msgs(results: BenchResults, key: string, name: ContenderName): number | undefined {
  return results.load.websocket[key]?.[name]?.median.msgsPerSecond;
}

function atLeast(text: string, value: number | undefined, limit: number, shown: string): Target {
  return { text, measured: shown, met: value === undefined ? null : value >= limit };
}
/** A proxy cannot take time away: a negative difference is noise in direct's own figure. */
function addedLatency(what: string, added: number | undefined, limit: number): Target {
  const text = `added latency at c=1, ${what} over direct`;
  if (added !== undefined && added < 0)
    return { text, measured: `${fmt(added, 3)} ms (direct's own spread was larger)`, met: 'inconclusive' };
  return atMost(text, added, limit, `+${fmt(added, 3)} ms`);
}

function atMost(text: string, value: number | undefined, limit: number, shown: string): Target {
  return { text, measured: shown, met: value === undefined ? null : value <= limit };
}

export function targets(results: BenchResults): Target[] {
  const r = (key: string, of: ContenderName): number | undefined =>
    ratio(rps(results, key, 'hubify'), rps(results, key, of));
  const w = (key: string): number | undefined =>
    ratio(msgs(results, key, 'hubify'), msgs(results, key, 'nginx'));
  const lat = (field: 'p50Ms' | 'p99Ms'): number | undefined => {
    const hubify = results.load.http['1k-c1']?.hubify?.median[field];
    const direct = results.load.http['1k-c1']?.direct?.median[field];
    return hubify === undefined || direct === undefined ? undefined : hubify - direct;
  };
  const x = (value: number | undefined): string => `${fmt(value, 2)}×`;
  const hubifyStart = results.coldStart.hubify?.median;
  const download = results.load.download.hubify?.median;
  const container = results.containers?.hubify?.median;
  const warm =
    results.builds === null || results.builds.warm.length === 0
      ? undefined
      : median(results.builds.warm.map((b) => b.wallSeconds));
  const layer = results.builds?.warm[0];
  const jsp = rps(results, '1k-c64', 'hubify');
  return [
    atLeast('1 KiB c=64: ≥ 0.5× nginx', r('1k-c64', 'nginx'), 0.5, x(r('1k-c64', 'nginx'))),
    atLeast('1 KiB c=64: ≥ 2× configurable-http-proxy', r('1k-c64', 'chp'), 2, x(r('1k-c64', 'chp'))),
    atLeast('100 KiB c=64: ≥ 0.5× nginx', r('100k-c64', 'nginx'), 0.5, x(r('100k-c64', 'nginx'))),
    atLeast(
      '100 KiB c=64: ≥ 0.85× minimal node:http proxy (the floor)',
      r('100k-c64', 'floor'),
      0.85,
      x(r('100k-c64', 'floor')),
    ),
    atLeast(
      '1 KiB c=64: ≥ 0.85× minimal node:http proxy (the floor)',
      r('1k-c64', 'floor'),
      0.85,
      x(r('1k-c64', 'floor')),
    ),
    addedLatency('p50 ≤ 0.05 ms', lat('p50Ms'), 0.05),
    addedLatency('p99 ≤ 0.5 ms', lat('p99Ms'), 0.5),
    atLeast('WebSocket c=1: ≥ 0.9× nginx msgs/s', w('ws-c1'), 0.9, x(w('ws-c1'))),
    atLeast('WebSocket c=16: ≥ 0.8× nginx msgs/s', w('ws-c16'), 0.8, x(w('ws-c16'))),
    atLeast(
      `≥ 15× jupyter-server-proxy req/s (not runnable here: issue's ${fmt(QUOTED.jupyterServerProxyRps1kC64)} req/s at 1 KiB c=64)`,
      ratio(jsp, QUOTED.jupyterServerProxyRps1kC64),
      15,
      `${fmt(ratio(jsp, QUOTED.jupyterServerProxyRps1kC64), 1)}×`,
    ),
    atMost('RSS ≤ 50 MB fresh', hubifyStart?.idleRssMB, 50, `${fmt(hubifyStart?.idleRssMB, 1)} MB`),
    atMost(
      'RSS ≤ 80 MB after load',
      results.rssAfterLoadMB.hubify,
      80,
      `${fmt(results.rssAfterLoadMB.hubify, 1)} MB`,
    ),
    atMost(
      `RSS flat during a 100 MB download (peak ≤ ${FLAT_RSS_GROWTH_MB} MB above start)`,
      download?.rssGrowthMB,
      FLAT_RSS_GROWTH_MB,
      `+${fmt(download?.rssGrowthMB, 1)} MB`,
    ),
    atMost(
      'cold start to first proxied 200 ≤ 60 ms',
      hubifyStart?.proxiedMs,
      60,
      `${fmt(hubifyStart?.proxiedMs)} ms`,
    ),
    atMost('container start to hub-ready ≤ 0.5 s', container, 500, `${fmt(container)} ms`),
    atMost(
      'hubify layer ≤ 40 MB gzip',
      layer?.layerGzipBytes,
      40e6,
      `${fmt((layer?.layerGzipBytes ?? NaN) / 1e6, 1)} MB`,
    ),
    atMost(
      'hubify layer ≤ 110 MB raw',
      layer?.layerRawBytes,
      110e6,
      `${fmt((layer?.layerRawBytes ?? NaN) / 1e6, 1)} MB`,
    ),
    atMost('warm `hubify build` ≤ 10 s', warm, 10, `${fmt(warm, 1)} s`),
  ];
}

const COLUMNS: readonly (ContenderName | 'jupyterhub-singleuser')[] = [
  'direct',
  'hubify',
  'nginx',
  'chp',
  'floor',
  'jupyterhub-singleuser',
];
const HEADINGS: Record<(typeof COLUMNS)[number], string> = {
  direct: 'direct',
  hubify: '**hubify**',
  nginx: 'nginx',
  chp: 'CHP',
  floor: 'node:http floor',
  'jupyterhub-singleuser': 'jupyterhub-singleuser',
};

type Row = {
  label: string;
  cells: Partial<Record<(typeof COLUMNS)[number], string>>;
  values: Partial<Record<(typeof COLUMNS)[number], number>>;
};

function rows(results: BenchResults): Row[] {
  const out: Row[] = [];
  const http: Record<string, string> = {
    '1k-c1': '1 KiB, c=1',
    '1k-c64': '1 KiB, c=64',
    '100k-c1': '100 KiB, c=1',
    '100k-c64': '100 KiB, c=64',
  };
  for (const [key, label] of Object.entries(http)) {
    const series = results.load.http[key];
    if (series === undefined) continue;
    const row: Row = { label: `HTTP ${label}: req/s (p50 / p99 ms)`, cells: {}, values: {} };
    for (const [name, entry] of Object.entries(series)) {
      const m = entry.median;
      row.values[name as ContenderName] = m.requestsPerSecond;
      row.cells[name as ContenderName] =
        `${fmt(m.requestsPerSecond)} (${fmt(m.p50Ms, 3)} / ${fmt(m.p99Ms, 2)})`;
    }
    out.push(row);
  }
  for (const [key, series] of Object.entries(results.load.websocket)) {
    const row: Row = {
      label: `WebSocket ${key.replace('ws-', '')}: msgs/s (p50 / p99 ms)`,
      cells: {},
      values: {},
    };
    for (const [name, entry] of Object.entries(series)) {
      const m = entry.median;
      row.values[name as ContenderName] = m.msgsPerSecond;
      row.cells[name as ContenderName] = `${fmt(m.msgsPerSecond)} (${fmt(m.p50Ms, 3)} / ${fmt(m.p99Ms, 2)})`;
    }
    out.push(row);
  }
  const download: Row = { label: '100 MB download: MB/s (RSS growth MB)', cells: {}, values: {} };
  for (const [name, entry] of Object.entries(results.load.download)) {
    download.values[name as ContenderName] = entry.median.megabytesPerSecond;
    download.cells[name as ContenderName] =
      `${fmt(entry.median.megabytesPerSecond)} (+${fmt(entry.median.rssGrowthMB, 1)})`;
  }
  out.push(download);
  const start: Row = { label: 'cold start: ms to first 200 (proxied, or hub-ready)', cells: {}, values: {} };
  const idle: Row = { label: 'idle RSS fresh, MB', cells: {}, values: {} };
  for (const [name, entry] of Object.entries(results.coldStart)) {
    const column = (name === 'hubify-hub' ? null : name) as (typeof COLUMNS)[number] | null;
    if (column === null) continue;
    const ms = entry.median.proxiedMs ?? entry.median.readyMs;
    start.values[column] = ms;
    start.cells[column] =
      name === 'hubify'
        ? `${fmt(ms)} (api ${fmt(entry.median.readyMs)}; hub mode ${fmt(results.coldStart['hubify-hub']?.median.readyMs)})`
        : fmt(ms);
    idle.values[column] = entry.median.idleRssMB;
    idle.cells[column] = fmt(entry.median.idleRssMB, 1);
  }
  out.push(start, idle);
  const after: Row = { label: 'RSS after the load, MB', cells: {}, values: {} };
  for (const [name, value] of Object.entries(results.rssAfterLoadMB)) {
    after.values[name as ContenderName] = value;
    after.cells[name as ContenderName] = fmt(value, 1);
  }
  out.push(after);
  if (results.containers !== null) {
    const row: Row = { label: 'container: `docker run` to hub-ready, ms', cells: {}, values: {} };
    for (const [name, entry] of Object.entries(results.containers)) {
      row.values[name as ContainerName] = entry.median;
      row.cells[name as ContainerName] = fmt(entry.median);
    }
    out.push(row);
  }
  const layer = results.builds?.warm[0];
  if (layer !== undefined || results.incumbentLayer !== null) {
    const row: Row = { label: 'image cost: layer MB gzip (raw)', cells: {}, values: {} };
    if (layer !== undefined) {
      row.values.hubify = layer.layerGzipBytes / 1e6;
      row.cells.hubify = `${fmt(layer.layerGzipBytes / 1e6, 1)} (${fmt(layer.layerRawBytes / 1e6, 1)})`;
    }
    if (results.incumbentLayer !== null) {
      row.values['jupyterhub-singleuser'] = results.incumbentLayer.gzipBytes / 1e6;
      row.cells['jupyterhub-singleuser'] =
        `${fmt(results.incumbentLayer.gzipBytes / 1e6, 1)} (${fmt(results.incumbentLayer.rawBytes / 1e6, 1)})`;
    }
    out.push(row);
  }
  if (results.builds !== null && results.builds.warm.length > 0) {
    const warm = median(results.builds.warm.map((b) => b.wallSeconds));
    const cold = results.builds.cold?.wallSeconds;
    out.push({
      label: '`hubify build` s: warm (cold)',
      cells: { hubify: `${fmt(warm, 1)} (${fmt(cold, 1)})` },
      values: {},
    });
  }
  return out;
}

export function markdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `Measured ${results.date.slice(0, 16).replace('T', ' ')} UTC${results.quick ? ' (`--quick`: short runs, indicative only)' : ''} on ${m.cpus} × ${m.model}, ${fmt(m.memoryGB)} GB, Linux ${m.kernel}, load average ${fmt(m.loadAverage, 1)} at the start; Node ${results.node.contenders} for hubify, CHP and the floor; median of ${results.settings.repeats}, interleaved, loopback. Method: [docs/benchmarks.md](docs/benchmarks.md).`,
    '',
    `| | ${COLUMNS.map((c) => HEADINGS[c]).join(' | ')} | hubify ÷ direct | hubify ÷ nginx |`,
    `|---|${COLUMNS.map(() => '---:').join('|')}|---:|---:|`,
  ];
  for (const row of rows(results)) {
    const cells = COLUMNS.map((c) => row.cells[c] ?? '');
    lines.push(
      `| ${row.label} | ${cells.join(' | ')} | ${fmt(ratio(row.values.hubify, row.values.direct), 2)} | ${fmt(ratio(row.values.hubify, row.values.nginx), 2)} |`,
    );
  }
  lines.push('', '| target (issue 6) | measured | |', '|---|---:|---|');
  for (const target of targets(results))
    lines.push(
      `| ${target.text} | ${target.measured} | ${target.met === null ? 'not measured' : target.met === 'inconclusive' ? 'inconclusive' : target.met ? 'met' : '**not met**'} |`,
    );
  if (results.notes.length > 0) lines.push('', ...results.notes.map((note) => `- ${note}`));
  return lines.join('\n');
}

const PALETTE: Record<ContenderName, string> = {
  direct: '#9e9e9e',
  hubify: '#e65100',
  nginx: '#2e7d32',
  chp: '#1565c0',
  floor: '#6a1b9a',
};

const escapeXml = (text: string): string => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Grouped horizontal bars: each HTTP/WebSocket point, each contender's throughput ÷ direct's. */
export function svgChart(results: BenchResults): string {
  const groups: { label: string; values: Partial<Record<ContenderName, number>> }[] = [];
  for (const [key, series] of Object.entries(results.load.http))
    groups.push({
      label: `HTTP ${key.replace('-c', ' c=').replace('k', ' KiB')}`,
      values: Object.fromEntries(Object.entries(series).map(([n, e]) => [n, e.median.requestsPerSecond])),
    });
  for (const [key, series] of Object.entries(results.load.websocket))
    groups.push({
      label: `WebSocket ${key.replace('ws-c', 'c=')}`,
      values: Object.fromEntries(Object.entries(series).map(([n, e]) => [n, e.median.msgsPerSecond])),
    });
  const names = Object.keys(PALETTE) as ContenderName[];
  const bar = 12;
  const groupHeight = names.length * bar + 18;
  const left = 150;
  const width = 760;
  const plot = width - left - 80;
  const height = 60 + groups.length * groupHeight + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Throughput relative to direct (1.0 = the app itself), median of ${results.settings.repeats}</text>`,
    `<text x="10" y="38" fill="#555">${escapeXml(`${results.date.slice(0, 10)}, ${results.machine.cpus} × ${results.machine.model}${results.quick ? ', --quick' : ''}`)}</text>`,
  ];
  names.forEach((name, i) => {
    parts.push(
      `<rect x="${left + i * 110}" y="46" width="10" height="10" fill="${PALETTE[name]}"/><text x="${left + i * 110 + 14}" y="55">${name}</text>`,
    );
  });
  groups.forEach((group, g) => {
    const top = 66 + g * groupHeight;
    parts.push(
      `<text x="10" y="${top + (names.length * bar) / 2 + 4}" font-weight="bold">${escapeXml(group.label)}</text>`,
    );
    const direct = group.values.direct ?? Math.max(...Object.values(group.values).map(Number));
    names.forEach((name, i) => {
      const value = group.values[name];
      if (value === undefined) return;
      const share = value / direct;
      const w = Math.max(1, Math.min(1.2, share) * (plot / 1.2));
      const y = top + i * bar;
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${PALETTE[name]}"/>`,
      );
      parts.push(`<text x="${left + w + 4}" y="${y + bar - 3}">${share.toFixed(2)} (${fmt(value)}/s)</text>`);
    });
  });
  const one = left + plot / 1.2;
  parts.push(
    `<line x1="${one}" y1="62" x2="${one}" y2="${height - 24}" stroke="#999" stroke-dasharray="3,3"/>`,
  );
  parts.push(`<text x="${one - 10}" y="${height - 10}" fill="#555">1.0</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** Writes `text` formatted as the project's prettier config wants it (so `format:check` stays clean). */
export async function writeFormatted(path: string, text: string): Promise<void> {
  const options = (await resolveConfig(path)) ?? {};
  await writeFile(path, await format(text, { ...options, filepath: path }));
}

/** Replaces the text between the README markers; refuses (returns false) when they are missing. */
export async function rewriteReadmeBlock(readmePath: string, block: string): Promise<boolean> {
  const text = await readFile(readmePath, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) return false;
  await writeFormatted(
    readmePath,
    `${text.slice(0, start + README_START.length)}\n\n${block}\n\n${text.slice(end)}`,
  );
  return true;
}
