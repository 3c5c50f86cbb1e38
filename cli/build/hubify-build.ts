/**
 * `hubify build`, the work itself (cli/commands/build.ts only parses and prints):
 *
 *   1. make sure the engine has the image (pull when missing), inspect it (cli/inspect/), refuse an
 *      unsupported one with every reason;
 *   2. generate and validate its manifest (with --manifest / --app);
 *   3. gather the parts: the pinned Node (npm, stripped, cached), Debian's static tini, the runtime
 *      bundle next to the CLI;
 *   4. read what the layer touches outside /opt/hubify from the image (parent directories, and
 *      /etc/passwd and /etc/group when a user must be added);
 *   5. write the layer tar reproducibly, render templates/Dockerfile.hubify, build through the Engine
 *      API from a tar-stream context, check the result has exactly one layer more, optionally push.
 *
 * Reproducibility: the engine's ADD unpacks the tar into the image and the engine re-tars the change
 * as the layer. Entries keep the tar's owners, modes and mtimes; parents that are not in the tar get
 * the build time as mtime, so every parent directory is in the tar with the metadata it has in the
 * base image. Then two builds give the same layer diff id (checked by the integration test).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import { EXIT, usageError } from '../errors.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import { buildFromContext } from '../engine/build-image.ts';
import { parseImageReference, withDefaultTag } from '../engine/image-reference.ts';
import { ImageFiles } from '../engine/image-files.ts';
import type { LayerProgress } from '../engine/layer-progress.ts';
import { ensureImage } from '../engine/pull-image.ts';
import { pushImage } from '../engine/push-image.ts';
import { cachedGzipSize } from '../layer/gzip-size.ts';
import { LAYOUT } from '../layer/layout.ts';
import type { NodeBinary } from '../layer/node-binary.ts';
import { loadRuntimeBundle } from '../layer/runtime-bundle.ts';
import type { TiniBinary } from '../layer/tini-binary.ts';
import { LAYER_TAR_NAME, buildContext } from './build-context.ts';
import type { ManifestOverrides } from './build-manifest.ts';
import {
  envInstructions,
  labelInstruction,
  loadDockerfileTemplate,
  renderDockerfile,
  workdirValue,
  type DockerfileValues,
} from './dockerfile.ts';
import { buildError } from './error-codes.ts';
import type { FactsSource } from './facts-source.ts';
import { sourceDateEpoch, type HubifiedSettings, type RuntimeUser } from './image-config.ts';
import {
  hubifiedAlready,
  platformOf,
  prepareRuntimeLayer,
  tiniFor,
  unsupported,
  type Platform,
} from './runtime-layer.ts';
import { Timer } from './timer.ts';

export { PLATFORMS, type Platform } from './runtime-layer.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface HubifyBuildRequest {
  /** The image to make hub-ready, as the user named it. */
  image: string;
  /** The result's name (repo[:tag]; :latest added when missing). */
  tag: string;
  /** The platform to build for; the image's own when null. */
  platform: Platform | null;
  push: boolean;
  /** Build without the engine's cache. */
  noCache: boolean;
  overrides: ManifestOverrides;
  env: Env;
  cacheDir: string;
  hubifyVersion: string;
  /** The runtime bundle; default dist/hubify-proxy.mjs next to the CLI. */
  runtimeBundlePath?: string;
  /** Labels for the short-lived containers the build creates to read the image (tests mark theirs). */
  containerLabels?: Record<string, string>;
}

/** Where progress goes: steps (one line each), detail (engine output, --debug), per-layer bars. */
export interface BuildReporter {
  step: (text: string) => void;
  detail: (text: string) => void;
  layerProgress: () => LayerProgress | undefined;
}

export interface HubifyBuildResult {
  image: { reference: string; id: string; pushedDigest: string | null };
  base: { reference: string; id: string; digest: string; pulled: boolean };
  platform: Platform;
  layer: {
    /** The diff id of the layer the engine stored (the last of the image's RootFS.Layers). */
    diffId: string;
    /** sha256 of the tar hubify wrote (what the engine unpacked). */
    tarDigest: string;
    rawSize: number;
    gzipSize: number;
    entries: number;
  };
  parts: {
    node: Omit<NodeBinary, 'path'>;
    tini: Omit<TiniBinary, 'path'>;
    runtime: { size: number; source: string };
    manifest: { size: number };
  };
  user: RuntimeUser;
  shim: { path: string; reason: string };
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  apps: string[];
  defaultApp: string | null;
  labels: Record<string, string>;
  dockerfile: string;
  notes: string[];
  timingsMs: Record<string, number>;
}

/** Reasons beyond inspect's own: an image hubify already built, ONBUILD triggers that would run. */
export function buildBlockers(facts: ImageFacts, inspect: Docker.ImageInspectInfo): string[] {
  const reasons = hubifiedAlready(facts.config.labels);
  const onBuild = inspect.Config.OnBuild ?? [];
  if (onBuild.length > 0)
    reasons.push(`it has ONBUILD triggers that would run during the build (${onBuild.join('; ')}).`);
  return reasons;
}

/**
 * Checks what can be checked without an engine: the tag and SOURCE_DATE_EPOCH (usage errors, exit 2).
 * Returns the tag with :latest added when it has none, and the date for mtimes and labels.
 */
export function checkRequest(request: Pick<HubifyBuildRequest, 'tag' | 'env'>): {
  tag: string;
  epoch: number;
} {
  let epoch: number;
  try {
    epoch = sourceDateEpoch(request.env);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const parsed = parseImageReference(request.tag);
  if ('error' in parsed || parsed.digest !== null)
    throw usageError(
      `--tag ${request.tag} is not an image name: ${'error' in parsed ? parsed.error : 'it cannot hold a digest'}`,
    );
  return { tag: withDefaultTag(request.tag), epoch };
}

export async function hubifyBuild(
  docker: Docker,
  source: FactsSource,
  request: HubifyBuildRequest,
  report: BuildReporter,
): Promise<HubifyBuildResult> {
  const timer = new Timer();
  const { tag, epoch } = checkRequest(request);
  // The runtime bundle first: without it nothing else is worth fetching.
  const runtime = await loadRuntimeBundle(request.runtimeBundlePath);
  const labelsForContainers = request.containerLabels ?? {};
  const parts = { cacheDir: request.cacheDir, step: report.step, timer };

  // An explicit platform: check the parts for it first, so a build that cannot happen fails at once.
  const earlyTini = request.platform === null ? undefined : await tiniFor(request.platform, parts);

  // 1. The image and its facts.
  report.step(`inspecting ${request.image}`);
  const ensured = await timer.time('pull', () =>
    ensureImage(docker, request.image, {
      ...(request.platform === null ? {} : { platform: request.platform }),
      progress: report.layerProgress(),
      onLine: report.step,
      env: request.env,
    }),
  );
  const facts = await timer.time('inspect', () =>
    source.inspectImage(docker, request.image, labelsForContainers),
  );
  const reasons = [...facts.unsupported, ...buildBlockers(facts, ensured.inspect)];
  if (reasons.length > 0) throw unsupported(facts, reasons);
  const platform = checkPlatform(facts, request.image, request.platform);
  const baseDigest = ensured.inspect.RepoDigests?.[0] ?? null;

  // 2.-4. The manifest, the parts, the layer (files read through the engine's archive API).
  const work = await mkdtemp(join(tmpdir(), 'hubify-build-'));
  const files = await ImageFiles.open(docker, facts.id, labelsForContainers);
  try {
    let prepared;
    try {
      prepared = await prepareRuntimeLayer({
        facts,
        files,
        platform,
        overrides: request.overrides,
        runtime: runtime.content,
        baseRepoDigest: baseDigest,
        hubifyVersion: request.hubifyVersion,
        epoch,
        env: request.env,
        workDir: work,
        source,
        ...parts,
        ...(earlyTini === undefined ? {} : { tini: earlyTini }),
      });
    } finally {
      await files.close();
    }
    const { layer, settings } = prepared;

    // 5. The Dockerfile, the build.
    const dockerfile = renderDockerfile(await loadDockerfileTemplate(), dockerfileValues(facts, settings));
    report.step(`building ${tag}`);
    const [built, gzip] = await Promise.all([
      timer.time('build', () =>
        buildFromContext(
          docker,
          buildContext({ dockerfile, layerFile: layer.file, layerSize: layer.size, mtime: epoch }),
          { tag, noCache: request.noCache, onLine: report.detail },
        ),
      ),
      timer.time('gzip', () => cachedGzipSize(layer.file, layer.sha256, request.cacheDir)),
    ]);
    const baseLayers = ensured.inspect.RootFS.Layers ?? [];
    const layers = built.inspect.RootFS.Layers ?? [];
    const added = layers.slice(baseLayers.length);
    if (added.length !== 1 || baseLayers.some((diffId, index) => layers[index] !== diffId))
      throw new Error(
        `the built image should have the base's ${baseLayers.length} layers and one more, but has ${layers.length}: ${added.join(', ')}`,
      );

    let pushedDigest: string | null = null;
    if (request.push) {
      report.step(`pushing ${tag}`);
      pushedDigest = await timer.time('push', () =>
        pushImage(docker, tag, { progress: report.layerProgress(), env: request.env }),
      );
    }
    timer.total();
    return {
      ...buildResultParts(prepared, platform, runtime),
      image: { reference: tag, id: built.id, pushedDigest },
      base: {
        reference: facts.reference,
        id: facts.id,
        digest: prepared.labels['org.hubify.base.digest'] ?? facts.id,
        pulled: ensured.pulled,
      },
      layer: {
        diffId: added[0] ?? '',
        tarDigest: layer.sha256,
        rawSize: layer.size,
        gzipSize: gzip.size,
        entries: prepared.entries.length,
      },
      dockerfile,
      timingsMs: timer.timings,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The platform to build for: the image's, which must be the one asked for when one was. */
export function checkPlatform(facts: ImageFacts, image: string, wanted: Platform | null): Platform {
  const platform = platformOf(facts);
  if (platform === null) throw unsupported(facts, [`architecture ${facts.architecture} is not supported.`]);
  if (wanted !== null && wanted !== platform) {
    throw buildError({
      code: 'HUBIFY_PLATFORM_MISMATCH',
      message: `${image} is a ${platform} image, not ${wanted}`,
      hint: `Build it for ${platform} (leave out --platform), or pull the ${wanted} variant first (docker pull --platform ${wanted} ...).`,
      exitCode: EXIT.USAGE,
    });
  }
  return platform;
}

/** The Dockerfile's values: the same settings the daemonless path writes into the config. */
export function dockerfileValues(
  facts: Pick<ImageFacts, 'id'>,
  settings: HubifiedSettings,
): DockerfileValues {
  return {
    BASE_IMAGE: facts.id,
    LAYER_TAR: LAYER_TAR_NAME,
    ENV: envInstructions(settings.env),
    LABELS: labelInstruction(settings.labels),
    USER: settings.user,
    WORKDIR: workdirValue(settings.workdir),
    PORT: String(settings.port),
    ENTRYPOINT: JSON.stringify(settings.entrypoint),
    CMD: JSON.stringify(settings.cmd),
  };
}

/** The parts of a build result that do not depend on how the image was put together. */
export function buildResultParts(
  prepared: Awaited<ReturnType<typeof prepareRuntimeLayer>>,
  platform: Platform,
  runtime: { content: Buffer; source: string },
): Pick<
  HubifyBuildResult,
  | 'platform'
  | 'parts'
  | 'user'
  | 'shim'
  | 'env'
  | 'entrypoint'
  | 'cmd'
  | 'apps'
  | 'defaultApp'
  | 'labels'
  | 'notes'
> {
  const { path: _nodePath, ...nodePart } = prepared.node;
  const { path: _tiniPath, ...tiniPart } = prepared.tini;
  return {
    platform,
    parts: {
      node: nodePart,
      tini: tiniPart,
      runtime: { size: runtime.content.length, source: runtime.source },
      manifest: { size: prepared.manifest.json.length },
    },
    user: prepared.user,
    shim: { path: posix.join(prepared.shim.dir, LAYOUT.shimName), reason: prepared.shim.reason },
    env: Object.fromEntries(prepared.env),
    entrypoint: [...prepared.settings.entrypoint],
    cmd: [...prepared.settings.cmd],
    apps: prepared.apps,
    defaultApp: prepared.manifest.manifest.defaultApp ?? null,
    labels: prepared.labels,
    notes: prepared.notes,
  };
}
