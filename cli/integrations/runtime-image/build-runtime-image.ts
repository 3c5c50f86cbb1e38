/**
 * `hubify runtime-image`, the work: gather the parts `hubify build` uses (the pinned Node, Debian's
 * static tini, the runtime bundle) plus the in-image detector, write the layer reproducibly
 * (runtime-layer.ts, cli/layer/), load it into the engine as a one-layer image with no base
 * (image-archive.ts), optionally push. The image is only ever a source for
 * `COPY --from=<it> /opt/hubify /opt/hubify`: it has no libc, so nothing in it runs by itself.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { EXIT } from '../../errors.ts';
import { buildError, diskFullError, isDiskFull } from '../../build/error-codes.ts';
import { checkRequest } from '../../build/hubify-build.ts';
import { ARCH, type Platform } from '../../build/runtime-layer.ts';
import type { LayerProgress } from '../../engine/layer-progress.ts';
import { pushImage } from '../../engine/push-image.ts';
import { cachedGzipSize } from '../../layer/gzip-size.ts';
import { writeLayerTar } from '../../layer/layer-tar.ts';
import { describeRuntimeParts, obtainRuntimeParts } from '../../layer/runtime-parts.ts';
import { loadRuntimeBundle, runtimeBundlePath, withImageShebang } from '../../layer/runtime-bundle.ts';
import { loadIntoEngine, scratchImageConfig, writeLoadArchive } from './image-archive.ts';
import { runtimeImageEntries } from './runtime-layer.ts';

export const DETECT_BUNDLE_NAME = 'hubify-detect.mjs';

type Env = Readonly<Record<string, string | undefined>>;

export interface RuntimeImageRequest {
  tag: string;
  platform: Platform;
  push: boolean;
  env: Env;
  cacheDir: string;
  hubifyVersion: string;
  /** The runtime bundle; default dist/hubify-proxy.mjs next to the CLI (the detector is beside it). */
  runtimeBundlePath?: string;
}

export interface RuntimeImageReporter {
  step: (text: string) => void;
  layerProgress: () => LayerProgress | undefined;
}

export interface RuntimeImageResult {
  image: { reference: string; id: string; pushedDigest: string | null };
  platform: Platform;
  layer: { diffId: string; rawSize: number; gzipSize: number; entries: number };
  parts: {
    node: { version: string; size: number; stripped: boolean };
    tini: { version: string; size: number };
    runtime: { size: number; source: string };
    detect: { size: number; source: string };
  };
  /** The line a Dockerfile uses to take the runtime. */
  copy: string;
  labels: Record<string, string>;
}

/** The detector bundle (dist/hubify-detect.mjs), next to the runtime bundle, with the image's #! line. */
export async function loadDetectBundle(runtimePath: string): Promise<{ source: string; content: Buffer }> {
  const source = join(dirname(runtimePath), DETECT_BUNDLE_NAME);
  try {
    return { source, content: withImageShebang(await readFile(source)) };
  } catch (error) {
    throw buildError({
      code: 'HUBIFY_RUNTIME_BUNDLE_MISSING',
      message: `the manifest detector bundle ${source} is missing`,
      detail: `hubify runtime-image puts it into the image as /opt/hubify/bin/hubify-detect; "npm run build" makes it.\n${(error as Error).message}`,
      hint: 'Run "npm run build" in the hubify repository (or reinstall the hubify package), then run again.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
}

export function runtimeImageLabels(
  version: string,
  nodeVersion: string,
  created: number,
): Record<string, string> {
  return {
    'org.hubify.version': version,
    'org.hubify.runtime-image': 'true',
    'org.hubify.node.version': nodeVersion,
    'org.opencontainers.image.title': 'hubify runtime',
    'org.opencontainers.image.description':
      'The hubify JupyterHub runtime under /opt/hubify, for COPY --from=<this image> /opt/hubify /opt/hubify',
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.created': new Date(created * 1000).toISOString(),
    'org.opencontainers.image.licenses': 'BSD-3-Clause',
  };
}

export async function buildRuntimeImage(
  docker: Docker,
  request: RuntimeImageRequest,
  report: RuntimeImageReporter,
): Promise<RuntimeImageResult> {
  const { tag, epoch } = checkRequest(request);
  const runtimePath = request.runtimeBundlePath ?? runtimeBundlePath();
  const runtime = await loadRuntimeBundle(runtimePath);
  const detect = await loadDetectBundle(runtimePath);
  const parts = await obtainRuntimeParts({
    arch: ARCH[request.platform].image,
    cacheDir: request.cacheDir,
    env: request.env,
    onProgress: report.step,
  });
  const { node, tini } = parts;
  report.step(describeRuntimeParts(parts));
  const licenses: Record<string, Buffer> = {};
  if (node.licensePath !== null) licenses['node-LICENSE'] = await readFile(node.licensePath);
  if (tini.copyrightPath !== null) licenses['tini-copyright'] = await readFile(tini.copyrightPath);

  const entries = runtimeImageEntries({
    mtime: epoch,
    node: { kind: 'file', path: node.path, size: node.size },
    tini: { kind: 'file', path: tini.path, size: tini.size },
    runtime: runtime.content,
    detect: detect.content,
    licenses,
  });
  const work = await mkdtemp(join(tmpdir(), 'hubify-runtime-image-'));
  try {
    report.step(`writing the runtime layer (${entries.length} entries)`);
    const layerFile = join(work, 'layer.tar');
    const layer = await writeLayerTar(entries, layerFile).catch((error: unknown) => {
      throw isDiskFull(error) ? diskFullError(`the layer into ${work}`, error) : error;
    });
    const labels = runtimeImageLabels(request.hubifyVersion, node.version, epoch);
    const config = scratchImageConfig({
      architecture: ARCH[request.platform].image,
      diffId: layer.sha256,
      labels,
      created: epoch,
      createdBy: `hubify runtime-image ${request.hubifyVersion}: /opt/hubify (node ${node.version}, tini ${tini.version}, hubify-proxy, hubify-detect)`,
    });
    const archive = join(work, 'image.tar');
    await writeLoadArchive(archive, { config, layerFile, layerSize: layer.size, diffId: layer.sha256, tag });
    report.step(`loading ${tag} into the engine`);
    const [inspect, gzip] = await Promise.all([
      loadIntoEngine(docker, archive, tag, report.step),
      cachedGzipSize(layerFile, layer.sha256, request.cacheDir),
    ]);
    let pushedDigest: string | null = null;
    if (request.push) {
      report.step(`pushing ${tag}`);
      pushedDigest = await pushImage(docker, tag, { progress: report.layerProgress(), env: request.env });
    }
    return {
      image: { reference: tag, id: inspect.Id, pushedDigest },
      platform: request.platform,
      layer: { diffId: layer.sha256, rawSize: layer.size, gzipSize: gzip.size, entries: entries.length },
      parts: {
        node: { version: node.version, size: node.size, stripped: node.stripped },
        tini: { version: tini.version, size: tini.size },
        runtime: { size: runtime.content.length, source: runtime.source },
        detect: { size: detect.content.length, source: detect.source },
      },
      copy: `COPY --from=${tag} /opt/hubify /opt/hubify`,
      labels,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
