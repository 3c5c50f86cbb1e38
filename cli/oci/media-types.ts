/**
 * The OCI image-spec and Docker schema 2 documents hubify reads and writes: manifests, image indexes
 * (Docker's manifest lists), descriptors and the media types that tell them apart.
 */
import { createHash } from 'node:crypto';
import type { ContainerConfig } from '../build/image-config.ts';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** Every manifest and index type, for the Accept header of a manifest request. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.dockerManifest,
].join(', ');

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An image config (OCI and Docker agree on these fields); unknown fields are kept as they are. */
export interface ImageConfigDocument {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  config?: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

export function isIndexType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerList;
}

export function isManifestType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPES.ociManifest || mediaType === MEDIA_TYPES.dockerManifest;
}

/** The media type of a manifest or index document: its own field, else what its shape says. */
export function documentType(document: {
  mediaType?: string;
  manifests?: unknown;
  config?: unknown;
}): string {
  if (document.mediaType !== undefined) return document.mediaType;
  return document.manifests !== undefined ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
}

/** How a layer blob is compressed, from its media type. */
export function layerCompression(mediaType: string): 'gzip' | 'zstd' | 'none' {
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) return 'zstd';
  if (mediaType.endsWith('gzip')) return 'gzip';
  return 'none';
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A document as bytes with its descriptor (the bytes are what the digest is of). */
export function encodeDocument(
  document: object,
  mediaType: string,
): { bytes: Buffer; descriptor: Descriptor } {
  const bytes = Buffer.from(JSON.stringify(document));
  return { bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length } };
}

/** `linux/amd64`, `linux/arm64/v8` for a platform. */
export function platformText(platform: Platform | undefined): string {
  if (platform === undefined) return 'unknown';
  return [platform.os, platform.architecture, platform.variant]
    .filter((part) => part !== undefined)
    .join('/');
}

/** True for an index entry that is not an image to run (attestations, signatures: unknown/unknown). */
export function isAttestation(descriptor: Descriptor): boolean {
  return (
    descriptor.platform?.os === 'unknown' ||
    descriptor.annotations?.['vnd.docker.reference.type'] !== undefined
  );
}
