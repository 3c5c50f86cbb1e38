/**
 * `hubify build` without a container engine (`--engine none`, or when none answers), the way
 * `crane append` works: the base image is read from a registry, an OCI layout or a `docker save`
 * archive; for each platform its layers are read as tar streams (cli/oci/layer-tree.ts) into the same
 * detection as `hubify inspect`, the same runtime layer is written (cli/build/runtime-layer.ts) and
 * appended gzip-compressed, and the config gets the same settings templates/Dockerfile.hubify gives
 * (cli/build/image-config.ts applySettings). Base layers are copied byte for byte (same digests); an
 * image index in gives an index out, each platform with its own Node and tini.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, usageError } from '../errors.ts';
import { parseImageReference } from '../engine/image-reference.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import { detectImageFacts, imageInputFromInspect } from '../inspect/detect.ts';
import { cachedGzipBlob } from '../layer/gzip-size.ts';
import { loadRuntimeBundle, type RuntimeBundle } from '../layer/runtime-bundle.ts';
import { openDestination, parseOutput, type Destination, type OutputSpec } from '../oci/destination.ts';
import { SourceFormatError, type PlatformImage, type SourceImage } from '../oci/image-source.ts';
import { LayerTree } from '../oci/layer-tree.ts';
import {
  encodeDocument,
  isIndexType,
  layerCompression,
  MEDIA_TYPES,
  platformText,
  type Descriptor,
  type ImageConfigDocument,
  type ImageIndex,
  type ImageManifest,
} from '../oci/media-types.ts';
import { RegistryClients } from '../oci/registry-image.ts';
import { registryBuildError, RegistryError } from '../oci/registry-client.ts';
import { openSource, parseSource } from '../oci/source-spec.ts';
import type { ManifestOverrides } from './build-manifest.ts';
import { buildError } from './error-codes.ts';
import type { FactsSource } from './facts-source.ts';
import { checkPlatform, checkRequest, buildResultParts, type HubifyBuildResult } from './hubify-build.ts';
import { applySettings, type HubifiedSettings } from './image-config.ts';
import { ARCH, hubifiedAlready, prepareRuntimeLayer, unsupported, type Platform } from './runtime-layer.ts';
import { Timer } from './timer.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface DaemonlessBuildRequest {
  /** SOURCE: a reference, `docker://REF`, `oci:DIR[:REF]` or `docker-archive:FILE`. */
  image: string;
  /** The result's name; pushed there unless `output` says otherwise. */
  tag: string;
  /** `oci:DIR[:REF]`, `docker-archive:FILE`, or null for the registry of `tag`. */
  output: string | null;
  /** Only this platform (of an index); all supported ones when null. */
  platform: Platform | null;
  /** Plain http to registries. */
  insecure: boolean;
  overrides: ManifestOverrides;
  env: Env;
  cacheDir: string;
  hubifyVersion: string;
  runtimeBundlePath?: string;
}

/** One platform's result: what a build through the engine reports, plus the digests written. */
export type PlatformResult = Omit<
  HubifyBuildResult,
  'image' | 'base' | 'dockerfile' | 'timingsMs' | 'layer'
> & {
  manifestDigest: string;
  configDigest: string;
  layer: HubifyBuildResult['layer'] & { blobDigest: string };
  /** The base image's config digest (its image id) and layer digests. */
  base: { id: string; layers: string[] };
};

export interface DaemonlessBuildResult {
  image: {
    reference: string;
    /** The digest of what was written under the tag (the index, or the manifest). */
    digest: string;
    mediaType: string;
    destination: string;
  };
  base: { reference: string; digest: string };
  platforms: PlatformResult[];
  /** Platforms of the index left out, with why. */
  notes: string[];
  blobs: Record<string, number>;
  registryRequests: number;
  timingsMs: Record<string, number>;
}

export interface DaemonlessReporter {
  step: (text: string) => void;
}

function sourceError(error: unknown, image: string): Error {
  if (error instanceof RegistryError) return registryBuildError(error, 'pull', image);
  if (error instanceof SourceFormatError)
    return buildError({
      code: 'HUBIFY_SOURCE_UNREADABLE',
      message: `cannot read the image ${image}`,
      detail: error.message,
      hint: 'Give an OCI layout directory as oci:DIR[:REF], a docker save archive as docker-archive:FILE, or an image reference.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  return error instanceof Error ? error : new Error(String(error));
}

/** The platform of an image (its index entry's, else its config's), as hubify names it. */
function platformOfImage(image: PlatformImage): string {
  const platform = image.descriptor.platform ?? {
    os: image.config.os,
    architecture: image.config.architecture,
    ...(image.config.variant === undefined ? {} : { variant: image.config.variant }),
  };
  return `${platform.os}/${platform.architecture}`;
}

/** The images to build: the platform asked for, or every supported one (the others noted). */
export function chooseImages(
  source: Pick<SourceImage, 'images' | 'name'>,
  wanted: Platform | null,
): { images: PlatformImage[]; notes: string[] } {
  const notes: string[] = [];
  const images = source.images.filter((image) => {
    const platform = platformOfImage(image);
    if (wanted !== null) return platform === wanted;
    const supported = Object.keys(ARCH).includes(platform);
    if (!supported)
      notes.push(
        `${platformText(image.descriptor.platform)} left out: hubify ships a runtime for ${Object.keys(ARCH).join(' and ')} only`,
      );
    return supported;
  });
  if (images.length === 0) {
    const have = source.images.map(platformOfImage).join(', ');
    throw buildError({
      code: wanted === null ? 'HUBIFY_IMAGE_UNSUPPORTED' : 'HUBIFY_PLATFORM_MISMATCH',
      message: `${source.name} has no ${wanted ?? Object.keys(ARCH).join(' or ')} image`,
      detail: `it has: ${have}`,
      hint:
        wanted === null
          ? 'Start from an image for linux/amd64 or linux/arm64.'
          : `Leave out --platform, or pick one of: ${have}.`,
      exitCode: wanted === null ? EXIT.CHECK_FAILED : EXIT.USAGE,
    });
  }
  return { images, notes };
}

/** The history entry of the appended layer. */
export function layerHistory(epoch: number, hubifyVersion: string): ImageConfigDocument['history'] {
  return [
    {
      created: isoDate(epoch),
      created_by: 'hubify build: ADD hubify-layer.tar / (the /opt/hubify runtime layer)',
      comment: `hubify ${hubifyVersion}`,
    },
  ];
}

function isoDate(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
}

/** The base config with the hubified settings, one more diff id and one more history entry. */
export function hubifiedConfig(
  base: ImageConfigDocument,
  settings: HubifiedSettings,
  layerDiffId: string,
  epoch: number,
  hubifyVersion: string,
): ImageConfigDocument {
  return {
    ...base,
    created: isoDate(epoch),
    config: applySettings(base.config ?? {}, settings),
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, layerDiffId] },
    history: [...(base.history ?? []), ...(layerHistory(epoch, hubifyVersion) ?? [])],
  };
}

/** The base manifest with the new config and one more layer, in the base's own format. */
export function hubifiedManifest(
  base: ImageManifest,
  baseType: string,
  config: Descriptor,
  layer: Descriptor,
): ImageManifest {
  return { ...base, mediaType: baseType, config, layers: [...base.layers, layer] };
}

function isDockerFormat(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.dockerManifest || mediaType === MEDIA_TYPES.dockerList;
}

interface BuildContext {
  request: DaemonlessBuildRequest;
  source: SourceImage;
  facts: Pick<FactsSource, 'manifestFromFacts' | 'manifestInvalidError'>;
  runtime: RuntimeBundle;
  epoch: number;
  destination: Destination;
  workDir: string;
  timer: Timer;
  report: DaemonlessReporter;
}

async function buildPlatform(
  context: BuildContext,
  image: PlatformImage,
  top: boolean,
): Promise<{ descriptor: Descriptor; bytes: Buffer; manifest: ImageManifest; result: PlatformResult }> {
  const { request, source, timer, report } = context;
  const label = platformOfImage(image);
  // Known from the config alone: no need to fetch the layers of an image hubify already built.
  const already = hubifiedAlready(image.config.config?.Labels ?? {});
  if (already.length > 0) throw unsupported({ reference: source.name }, already);
  report.step(`${label}: reading ${image.manifest.layers.length} layers`);
  const files = await timer.time('fetch', () =>
    Promise.all(
      image.manifest.layers.map(async (layer) => ({
        path: await source.blobFile(layer.digest),
        compression: layerCompression(layer.mediaType),
      })),
    ),
  );
  const tree = await timer.time('inspect', () => LayerTree.fromFiles(files));
  const configDigest = image.manifest.config.digest;
  const input = imageInputFromInspect(source.name, {
    Id: configDigest,
    Os: image.config.os,
    Architecture: image.config.architecture,
    Config: image.config.config ?? null,
  });
  const facts: ImageFacts = await timer.time('inspect', () => detectImageFacts(input, tree));
  const reasons = [...facts.unsupported];
  const onBuild = image.config.config?.OnBuild ?? [];
  if (onBuild.length > 0)
    reasons.push(`it has ONBUILD triggers that a build would run (${onBuild.join('; ')}).`);
  if (reasons.length > 0) throw unsupported(facts, reasons);
  const platform = checkPlatform(facts, source.name, null);
  const workDir = join(context.workDir, label.replace('/', '-'));
  await mkdir(workDir, { recursive: true });

  const prepared = await prepareRuntimeLayer({
    facts,
    files: tree.fileReader(),
    platform,
    overrides: request.overrides,
    runtime: context.runtime.content,
    baseRepoDigest: source.repoDigest,
    hubifyVersion: request.hubifyVersion,
    epoch: context.epoch,
    env: request.env,
    cacheDir: request.cacheDir,
    workDir,
    source: context.facts,
    step: (text) => report.step(`${label}: ${text}`),
    timer,
  });
  const gzip = await timer.time('gzip', () =>
    cachedGzipBlob(prepared.layer.file, prepared.layer.sha256, request.cacheDir),
  );

  const baseType = image.descriptor.mediaType;
  const docker = isDockerFormat(baseType);
  const config = hubifiedConfig(
    image.config,
    prepared.settings,
    prepared.layer.sha256,
    context.epoch,
    request.hubifyVersion,
  );
  const configDoc = encodeDocument(config, docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig);
  const layer: Descriptor = {
    mediaType: docker ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.ociLayerGzip,
    digest: gzip.digest,
    size: gzip.size,
  };
  const manifest = hubifiedManifest(image.manifest, baseType, configDoc.descriptor, layer);
  const manifestDoc = encodeDocument(manifest, baseType);
  const descriptor: Descriptor = {
    ...manifestDoc.descriptor,
    ...(image.descriptor.platform === undefined ? {} : { platform: image.descriptor.platform }),
  };

  report.step(`${label}: writing to ${context.destination.description}`);
  await timer.time('write', async () => {
    for (const base of image.manifest.layers)
      await context.destination.putBlobFile(base.digest, () => source.blobFile(base.digest));
    await context.destination.putBlobFile(gzip.digest, () => Promise.resolve(gzip.path));
    await context.destination.putBlobBytes(configDoc.descriptor.digest, configDoc.bytes);
    await context.destination.putManifest(descriptor, manifestDoc.bytes, manifest, top);
  });

  return {
    descriptor,
    bytes: manifestDoc.bytes,
    manifest,
    result: {
      ...buildResultParts(prepared, platform, context.runtime),
      manifestDigest: descriptor.digest,
      configDigest: configDoc.descriptor.digest,
      layer: {
        diffId: prepared.layer.sha256,
        tarDigest: prepared.layer.sha256,
        blobDigest: gzip.digest,
        rawSize: prepared.layer.size,
        gzipSize: gzip.size,
        entries: prepared.entries.length,
      },
      base: { id: configDigest, layers: image.manifest.layers.map((item) => item.digest) },
    },
  };
}

export async function daemonlessBuild(
  facts: Pick<FactsSource, 'manifestFromFacts' | 'manifestInvalidError'>,
  request: DaemonlessBuildRequest,
  report: DaemonlessReporter,
): Promise<DaemonlessBuildResult> {
  const timer = new Timer();
  const { tag, epoch } = checkRequest(request);
  const tagReference = parseImageReference(tag);
  if ('error' in tagReference) throw usageError(`--tag ${tag}: ${tagReference.error}`);
  const output: OutputSpec | null = parseOutput(request.output);
  if (output === null)
    throw usageError(`--output ${request.output ?? ''} is not oci:DIR[:REF] or docker-archive:FILE`);
  const sourceSpec = parseSource(request.image);
  if ('error' in sourceSpec) throw usageError(sourceSpec.error);
  const runtime = await loadRuntimeBundle(request.runtimeBundlePath);
  const clients = new RegistryClients(request.insecure, request.env);
  const workDir = await mkdtemp(join(tmpdir(), 'hubify-daemonless-'));
  try {
    report.step(`reading ${request.image}`);
    let source: SourceImage;
    try {
      source = await timer.time('fetch', () =>
        openSource(sourceSpec, { clients, cacheDir: request.cacheDir, workDir: join(workDir, 'source') }),
      );
    } catch (error) {
      throw sourceError(error, request.image);
    }
    const { images, notes } = chooseImages(source, request.platform);
    const destination = await openDestination(
      output,
      { text: tag, reference: tagReference },
      clients,
      source,
    );
    const asIndex = source.index !== null && request.platform === null;
    if (asIndex && !destination.takesIndex && images.length > 1)
      throw usageError(
        `${request.image} is a multi-platform image (${images.map(platformOfImage).join(', ')}), and ${destination.description} holds one platform`,
      );
    const context: BuildContext = {
      request,
      source,
      facts,
      runtime,
      epoch,
      destination,
      workDir,
      timer,
      report,
    };
    const built: Awaited<ReturnType<typeof buildPlatform>>[] = [];
    let digest: string;
    let mediaType: string;
    try {
      for (const image of images)
        built.push(await buildPlatform(context, image, !asIndex || !destination.takesIndex));
      const first = built[0];
      if (first === undefined) throw new Error('no platform was built');
      if (asIndex && destination.takesIndex && source.index !== null) {
        const indexType = isIndexType(source.index.mediaType)
          ? (source.index.mediaType ?? MEDIA_TYPES.ociIndex)
          : MEDIA_TYPES.ociIndex;
        const index: ImageIndex = {
          ...source.index,
          mediaType: indexType,
          manifests: built.map((item) => item.descriptor),
        };
        const indexDoc = encodeDocument(index, indexType);
        mediaType = indexType;
        digest = await timer.time('write', () =>
          destination.finish(indexDoc.descriptor, indexDoc.bytes, null),
        );
      } else {
        mediaType = first.descriptor.mediaType;
        digest = await timer.time('write', () =>
          destination.finish(first.descriptor, first.bytes, first.manifest),
        );
      }
    } catch (error) {
      if (error instanceof RegistryError) throw registryBuildError(error, 'push', tag);
      throw error;
    }
    timer.total();
    return {
      image: { reference: tag, digest, mediaType, destination: destination.description },
      base: { reference: source.name, digest: source.digest },
      platforms: built.map((item) => item.result),
      notes,
      blobs: destination.outcomes(),
      registryRequests: clients.requests,
      timingsMs: timer.timings,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
