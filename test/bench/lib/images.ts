/**
 * Image-side figures:
 *   build      `hubify build` of the docker-stacks fixture: cold (empty hubify and npm caches, the
 *              engine's cache off, as test/bench/build-time.mjs does) and warm (everything cached);
 *              its JSON result gives the layer's raw and gzip size;
 *   incumbent  the layer `apt-get install --no-install-recommends jupyterhub jupyter-notebook` (what a
 *              working `jupyterhub-singleuser` needs, as the docker-stacks fixture installs it) adds to
 *              the same Debian base (built once, cached
 *              by tag; gzip size measured on the layer tar from `docker save`, level 6 like the engine);
 *   container  `docker run` -> first 200 on <prefix>api from the host, the same hubified image run
 *              with hubify's `jupyterhub-singleuser` shim and with Debian's real one, against a real
 *              hub (host networking: the container reaches the hub on loopback).
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { hubifyCacheDir } from '../../../cli/layer/cache-dir.ts';
import { gzipSize } from '../../../cli/layer/gzip-size.ts';
import { buildImage, connectDocker, inspectImage } from '../../helpers/docker.ts';
import { getFreePort } from '../../helpers/free-port.ts';
import { REPO_ROOT, type StartedHub } from '../../helpers/hub.ts';
import { BASE_IMAGE, ensureFixtures } from '../../images/build-fixtures.ts';
import { HUBIFY_PREFIX } from './contenders.ts';
import { singleUserEnv } from './cold-start.ts';
import { median, pollUntil, runToEnd } from './processes.ts';

export const FIXTURE = 'hubify-fixture/docker-stacks:latest';
export const HUBIFIED = 'hubify-bench/docker-stacks:latest';
const INCUMBENT_REPO = 'hubify-bench/jupyterhub-apt';
const INCUMBENT_DOCKERFILE = `FROM ${BASE_IMAGE}
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends jupyterhub jupyter-notebook \\
    && rm -rf /var/lib/apt/lists/*
`;

export interface BuildRun {
  wallSeconds: number;
  hubifySeconds: number;
  layerRawBytes: number;
  layerGzipBytes: number;
  nodeVersion: string;
}

export interface LayerCost {
  rawBytes: number;
  gzipBytes: number;
}

async function hubifyBuild(tag: string, extra: string[], env: NodeJS.ProcessEnv): Promise<BuildRun> {
  const started = performance.now();
  const result = await runToEnd(
    process.execPath,
    [join(REPO_ROOT, 'dist', 'hubify.mjs'), 'build', FIXTURE, '--tag', tag, '--json', ...extra],
    {
      env,
      cwd: REPO_ROOT,
      timeoutMs: 600_000,
    },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.code !== 0)
    throw new Error(`hubify build exited ${result.code}:\n${result.stderr.slice(-3000)}`);
  const json = JSON.parse(result.stdout) as {
    timingsMs: { total: number };
    layer: { rawSize: number; gzipSize: number };
    parts: { node: { version: string } };
  };
  return {
    wallSeconds,
    hubifySeconds: json.timingsMs.total / 1000,
    layerRawBytes: json.layer.rawSize,
    layerGzipBytes: json.layer.gzipSize,
    nodeVersion: json.parts.node.version,
  };
}

/** Builds the hubified image (warm, `repeats` times) and, with `cold`, once from empty caches first. */
export async function measureBuilds(options: {
  cold: boolean;
  repeats: number;
  log: (line: string) => void;
}): Promise<{ cold: BuildRun | null; warm: BuildRun[] }> {
  await ensureFixtures(['docker-stacks'], { log: options.log });
  let cold: BuildRun | null = null;
  if (options.cold) {
    const cache = await mkdtemp(join(tmpdir(), 'hubify-bench-cache-'));
    try {
      const env = {
        ...process.env,
        XDG_CACHE_HOME: join(cache, 'xdg'),
        npm_config_cache: join(cache, 'npm'),
      };
      cold = await hubifyBuild(`${HUBIFIED}-cold`, ['--no-cache'], env);
      options.log(
        `  build     cold  ${cold.wallSeconds.toFixed(1)} s (hubify ${cold.hubifySeconds.toFixed(1)} s)`,
      );
    } finally {
      await rm(cache, { recursive: true, force: true });
      await runToEnd('docker', ['image', 'rm', '-f', `${HUBIFIED}-cold`]);
    }
  }
  const warm: BuildRun[] = [];
  for (let i = 0; i < options.repeats; i++) {
    const run = await hubifyBuild(HUBIFIED, [], process.env);
    warm.push(run);
    options.log(
      `  build     warm  ${run.wallSeconds.toFixed(1)} s (hubify ${run.hubifySeconds.toFixed(1)} s), layer ${(run.layerRawBytes / 1e6).toFixed(1)} MB raw, ${(run.layerGzipBytes / 1e6).toFixed(1)} MB gzip`,
    );
  }
  return { cold, warm };
}

/** The last layer of `image`, from `docker save`: raw (tar) and gzip bytes; remembered by image id. */
async function lastLayerCost(image: string, id: string): Promise<LayerCost> {
  const cacheFile = join(hubifyCacheDir(process.env), 'bench', `${id.replace(':', '-')}.json`);
  try {
    return JSON.parse(await readFile(cacheFile, 'utf8')) as LayerCost;
  } catch {
    // not measured yet
  }
  const dir = await mkdtemp(join(tmpdir(), 'hubify-bench-save-'));
  try {
    const archive = join(dir, 'image.tar');
    const saved = await runToEnd('docker', ['image', 'save', '-o', archive, image], { timeoutMs: 600_000 });
    if (saved.code !== 0) throw new Error(`docker image save ${image}: ${saved.stderr}`);
    const listed = await runToEnd('tar', ['-xf', archive, '-C', dir, 'manifest.json']);
    if (listed.code !== 0) throw new Error(`reading manifest.json of ${image}: ${listed.stderr}`);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const layer = manifest[0]?.Layers.at(-1);
    if (layer === undefined) throw new Error(`${image} has no layers`);
    const extracted = await runToEnd('tar', ['-xf', archive, '-C', dir, layer]);
    if (extracted.code !== 0) throw new Error(`extracting ${layer}: ${extracted.stderr}`);
    const { size } = await stat(join(dir, layer));
    const cost = { rawBytes: size, gzipBytes: await gzipSize(join(dir, layer)) };
    await mkdir(join(cacheFile, '..'), { recursive: true });
    await writeFile(cacheFile, JSON.stringify(cost));
    return cost;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What installing jupyterhub-singleuser adds to the Debian base; null when not built and `build` is false. */
export async function incumbentLayer(options: {
  build: boolean;
  log: (line: string) => void;
}): Promise<LayerCost | null> {
  const docker = await connectDocker();
  const tag = `${INCUMBENT_REPO}:${createHash('sha256').update(INCUMBENT_DOCKERFILE).digest('hex').slice(0, 12)}`;
  let info = await inspectImage(docker, tag);
  if (!info) {
    if (!options.build) return null;
    await ensureFixtures([], { log: options.log, docker });
    options.log(`  building ${tag} (apt-get install jupyterhub jupyter-notebook into ${BASE_IMAGE}; once)`);
    await buildImage(docker, {
      context: [{ path: 'Dockerfile', content: Buffer.from(INCUMBENT_DOCKERFILE), mode: 0o644 }],
      tags: [tag],
      networkMode: 'host',
    });
    info = await inspectImage(docker, tag);
    if (!info) throw new Error(`${tag} was built but the engine does not have it`);
  }
  return lastLayerCost(tag, info.Id);
}

export type ContainerName = 'hubify' | 'jupyterhub-singleuser';
export type ContainerResults = Partial<Record<ContainerName, { runs: number[]; median: number }>>;

/** `docker run` -> first 200 on <prefix>api, alternating the two commands, `repeats` times each. */
export async function measureContainerStarts(
  options: { hub: StartedHub; repeats: number; log: (line: string) => void },
  /** Filled as runs finish, so a failure keeps what was measured. */
  results: ContainerResults,
): Promise<void> {
  const commands: Record<ContainerName, string> = {
    hubify: '/usr/local/bin/jupyterhub-singleuser', // hubify's shim
    'jupyterhub-singleuser': '/usr/bin/jupyterhub-singleuser',
  };
  const env = Object.entries(singleUserEnv(options.hub)).flatMap(([name, value]) => [
    '-e',
    `${name}=${value}`,
  ]);
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const names: ContainerName[] =
      repeat % 2 === 0 ? ['hubify', 'jupyterhub-singleuser'] : ['jupyterhub-singleuser', 'hubify'];
    for (const name of names) {
      const port = await getFreePort();
      const container = `hubify-bench-${process.pid}-${repeat}-${name}`;
      const started = performance.now();
      const run = runToEnd(
        'docker',
        [
          'run',
          '--rm',
          '--name',
          container,
          '--network',
          'host',
          '--label',
          'org.hubify.bench=1',
          ...env,
          HUBIFIED,
          commands[name],
          '--ip',
          '127.0.0.1',
          `--port=${port}`,
        ],
        {
          timeoutMs: 120_000,
        },
      );
      try {
        const ready = await pollUntil(`http://127.0.0.1:${port}${HUBIFY_PREFIX}api`, {
          timeoutMs: 60_000,
          intervalMs: 5,
          what: `${name} in a container`,
        });
        const ms = ready - started;
        const entry = (results[name] ??= { runs: [], median: ms });
        entry.runs.push(ms);
        entry.median = median(entry.runs);
        options.log(`  container ${name.padEnd(22)} docker run -> hub-ready ${ms.toFixed(0)} ms`);
      } finally {
        await runToEnd('docker', ['rm', '-f', container]);
        await run;
      }
    }
  }
}
