/**
 * An image to build from without an engine, whatever it was read from (a registry, an OCI layout, a
 * `docker save` archive): the document the name resolved to (an image index or one manifest), each
 * platform's manifest and config, and the blobs as local files.
 */
import { readFile } from 'node:fs/promises';
import {
  documentType,
  isAttestation,
  isIndexType,
  sha256Digest,
  type Descriptor,
  type ImageConfigDocument,
  type ImageIndex,
  type ImageManifest,
} from './media-types.ts';

export interface PlatformImage {
  /** The manifest's descriptor (with `platform` when it came from an index). */
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfigDocument;
}

export interface SourceImage {
  /** As the user named it. */
  name: string;
  /** The digest the name resolved to (the index's, or the manifest's). */
  digest: string;
  /** `repository@digest` when it came from a registry (for the base-digest labels), else null. */
  repoDigest: string | null;
  /** The index when the name resolved to one, else null. */
  index: ImageIndex | null;
  /** The runnable images: one per index entry (attestations left out), or the one manifest. */
  images: PlatformImage[];
  /** A local file holding a blob of the image (fetched on first use when it is in a registry). */
  blobFile: (digest: string) => Promise<string>;
  /** Where the blobs are when they are in a registry (for cross-repository mounts), else null. */
  registry: { host: string; repository: string } | null;
}

export class SourceFormatError extends Error {
  override readonly name = 'SourceFormatError';
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new SourceFormatError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/** Bytes by digest (a manifest, index or config), checked against the digest. */
export type DocumentLoader = (descriptor: Descriptor) => Promise<Buffer>;

/** Reads a blob file and checks its digest. */
export async function readBlobChecked(file: string, digest: string): Promise<Buffer> {
  const bytes = await readFile(file);
  const got = sha256Digest(bytes);
  if (got !== digest) throw new SourceFormatError(`${file} should have the digest ${digest} but has ${got}`);
  return bytes;
}

/** The images of a manifest or index document (`top`), loading what it refers to with `load`. */
export async function resolveImages(
  top: { bytes: Buffer; descriptor: Descriptor },
  load: DocumentLoader,
): Promise<{ index: ImageIndex | null; images: PlatformImage[] }> {
  const document = parseJson<ImageIndex & ImageManifest>(top.bytes, `the document ${top.descriptor.digest}`);
  const type = documentType(document);
  if (isIndexType(type) || isIndexType(top.descriptor.mediaType)) {
    const index = document as ImageIndex;
    if (!Array.isArray(index.manifests))
      throw new SourceFormatError(`the index ${top.descriptor.digest} has no manifests`);
    const entries = index.manifests.filter((entry) => !isAttestation(entry));
    const images = await Promise.all(entries.map((entry) => loadImage(entry, load)));
    return { index, images };
  }
  return { index: null, images: [await imageFrom(top.descriptor, top.bytes, load)] };
}

async function loadImage(descriptor: Descriptor, load: DocumentLoader): Promise<PlatformImage> {
  return imageFrom(descriptor, await load(descriptor), load);
}

async function imageFrom(
  descriptor: Descriptor,
  bytes: Buffer,
  load: DocumentLoader,
): Promise<PlatformImage> {
  const manifest = parseJson<ImageManifest>(bytes, `the manifest ${descriptor.digest}`);
  if (isIndexType(documentType(manifest)))
    throw new SourceFormatError(
      `the index ${descriptor.digest} is nested in another index; hubify reads one level`,
    );
  if (manifest.config === undefined || !Array.isArray(manifest.layers))
    throw new SourceFormatError(`the manifest ${descriptor.digest} has no config or no layers`);
  const config = parseJson<ImageConfigDocument>(
    await load(manifest.config),
    `the config ${manifest.config.digest}`,
  );
  if (config.rootfs?.diff_ids?.length !== manifest.layers.length)
    throw new SourceFormatError(
      `the config ${manifest.config.digest} lists ${config.rootfs?.diff_ids?.length ?? 0} layers, its manifest ${manifest.layers.length}`,
    );
  return {
    descriptor: { ...descriptor, mediaType: descriptor.mediaType || documentType(manifest) },
    manifest,
    config,
  };
}
