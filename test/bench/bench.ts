/**
 * `npm run bench [-- --quick] [-- --write]`: hubify-proxy against the incumbents, side by side, in one
 * run on loopback. Method and how to read it: docs/benchmarks.md. Prints the table with each target
 * of issue 6 marked met / not met; the full run (or --write) also writes docs/benchmarks/latest.json,
 * latest.svg, latest.md and the README block. Figures are printed, never asserted; a phase that
 * fails is reported in the table's notes and makes the exit code 1.
 */
import { cpus, loadavg, release, totalmem, tmpdir } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, startHub, type StartedHub } from '../helpers/hub.ts';
import { measureColdStarts, type StartName } from './lib/cold-start.ts';
import { startContender, startUpstream, type Contender, type ContenderName } from './lib/contenders.ts';
import { incumbentLayer, measureBuilds, measureContainerStarts } from './lib/images.ts';
import { rssMB, stopAllProcesses } from './lib/processes.ts';
import { HTTP_CASES, runLoad, warmUp, WS_CASES } from './lib/proxy-load.ts';
import { markdown, rewriteReadmeBlock, svgChart, writeFormatted, type BenchResults } from './lib/report.ts';
import { benchNode, ensureDockerEngine, ensureTools } from './lib/setup.ts';

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false } },
});
const quick = flags.quick === true;
const write = flags.write === true || !quick;
const log = (line: string): void => console.log(line);
const settings = quick
  ? { repeats: 3, httpSeconds: 1, wsSeconds: 0.5, downloads: 1, starts: 3, containers: 3, warmBuilds: 1 }
  : { repeats: 3, httpSeconds: 5, wsSeconds: 4, downloads: 3, starts: 5, containers: 5, warmBuilds: 3 };
const CONTENDERS: readonly ContenderName[] = ['direct', 'hubify', 'nginx', 'chp', 'floor'];
const STARTS: readonly StartName[] = [
  'nginx',
  'chp',
  'floor',
  'hubify',
  'hubify-hub',
  'jupyterhub-singleuser',
];

async function phase(results: BenchResults, name: string, work: () => Promise<void>): Promise<boolean> {
  log(`\n== ${name}`);
  try {
    await work();
    return true;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    results.notes.push(`${name} failed: ${message}`);
    console.error(`${name} failed: ${(error as Error).stack ?? String(error)}`);
    return false;
  }
}

async function main(): Promise<number> {
  await ensureTools(log);
  const node = await benchNode(log);
  const dir = await mkdtemp(join(tmpdir(), 'hubify-bench-'));
  const token = `bench-${process.pid}-${Date.now()}`;
  const cpu = cpus();
  const results: BenchResults = {
    date: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model.trim() ?? 'unknown CPU',
      memoryGB: totalmem() / 1e9,
      loadAverage: loadavg()[0] ?? 0,
      kernel: release(),
    },
    node: { contenders: node.version, host: process.version },
    settings: { repeats: settings.repeats, httpSeconds: settings.httpSeconds, wsSeconds: settings.wsSeconds },
    load: { http: {}, websocket: {}, download: {} },
    rssAfterLoadMB: {},
    coldStart: {},
    containers: null,
    builds: null,
    incumbentLayer: null,
    notes: [
      'jupyter-server-proxy cannot run here (no PyPI, no Debian package): its figures are the ones quoted by issue 6.',
    ],
  };
  let hub: StartedHub | null = null;
  let ok = true;
  try {
    const upstream = await startUpstream(node.path);
    ok =
      (await phase(results, 'proxies under load (HTTP, WebSocket, 100 MB download)', async () => {
        const contenders: Contender[] = [];
        for (const name of CONTENDERS)
          contenders.push(await startContender(name, { node: node.path, dir, upstream, token }));
        await warmUp(contenders, 1);
        results.load = await runLoad(
          contenders,
          {
            node: node.path,
            repeats: settings.repeats,
            httpSeconds: settings.httpSeconds,
            wsSeconds: settings.wsSeconds,
            downloads: settings.downloads,
            log,
          },
          { http: quick ? HTTP_CASES.filter((c) => c.key !== '100k-c1') : HTTP_CASES, websocket: WS_CASES },
        );
        for (const contender of contenders) {
          results.rssAfterLoadMB[contender.name] = rssMB(contender.process.pid) ?? undefined;
          if (contender.name !== 'direct') await contender.process.stop();
        }
      })) && ok;
    ok =
      (await phase(results, 'a real JupyterHub for the hub-mode starts', async () => {
        hub = await startHub({ name: 'bench' });
      })) && ok;
    ok =
      (await phase(results, 'cold starts and fresh memory', async () => {
        const names =
          hub === null ? STARTS.filter((n) => n !== 'hubify-hub' && n !== 'jupyterhub-singleuser') : STARTS;
        await measureColdStarts(
          names,
          { node: node.path, dir, upstreamPort: upstream.port, token, hub, repeats: settings.starts, log },
          results.coldStart,
        );
      })) && ok;
    ok =
      (await phase(results, '`hubify build` of the docker-stacks fixture', async () => {
        await ensureDockerEngine(log);
        results.builds = await measureBuilds({ cold: !quick, repeats: settings.warmBuilds, log });
      })) && ok;
    ok =
      (await phase(results, 'container start to hub-ready', async () => {
        if (hub === null) throw new Error('no hub');
        results.containers = {};
        await measureContainerStarts({ hub, repeats: settings.containers, log }, results.containers);
      })) && ok;
    ok =
      (await phase(results, 'image cost of installing jupyterhub-singleuser', async () => {
        results.incumbentLayer = await incumbentLayer({ build: !quick, log });
        if (results.incumbentLayer === null)
          results.notes.push(
            '--quick: the jupyterhub apt layer was not built yet (a full run builds it once).',
          );
      })) && ok;
  } finally {
    await stopAllProcesses();
    if (hub !== null) await (hub as StartedHub).stop();
    await rm(dir, { recursive: true, force: true });
  }
  const table = markdown(results);
  console.log(`\n${table}\n`);
  // A run with a failed phase prints its table but does not replace the published one (unless --write).
  if (write && (ok || flags.write === true)) {
    const out = join(REPO_ROOT, 'docs', 'benchmarks');
    await mkdir(out, { recursive: true });
    await writeFormatted(join(out, 'latest.json'), JSON.stringify(results));
    await writeFile(join(out, 'latest.svg'), svgChart(results));
    await writeFormatted(
      join(out, 'latest.md'),
      `# Latest benchmark\n\n![chart](latest.svg)\n\n${table.replace('](docs/benchmarks.md)', '](../benchmarks.md)')}\n`,
    );
    const readme = await rewriteReadmeBlock(join(REPO_ROOT, 'README.md'), table);
    log(
      `wrote docs/benchmarks/latest.{json,svg,md}${readme ? ' and the README block' : ' (README has no bench markers: not changed)'}`,
    );
  }
  return ok ? 0 : 1;
}

process.on('SIGINT', () => void stopAllProcesses().finally(() => process.exit(130)));
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    void stopAllProcesses().finally(() => process.exit(1));
  },
);
