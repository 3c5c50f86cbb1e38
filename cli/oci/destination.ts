/**
 * Where a daemonless build writes its result, behind one interface: a registry (`--tag` alone), an
 * OCI layout (`--output oci:DIR[:REF]`) or a `docker load`-able archive (`--output
 * docker-archive:FILE`, one platform only). Blobs first, then each platform's manifest, then the
 * top document (the index, or the one manifest) under the tag.
 */
import type { ImageReference } from '../engine/image-reference.ts';
import { DockerArchiveWriter } from './docker-archive.ts';
import type { SourceImage } from './image-source.ts';
import type { Descriptor, ImageManifest } from './media-types.ts';
import { LayoutWriter, splitLayoutSpec } from './oci-layout.ts';
import { RegistryWriter, type RegistryClients } from './registry-image.ts';

export type OutputSpec =
  | { kind: 'registry' }
  | { kind: 'oci'; dir: string; ref: string | null }
  | { kind: 'docker-archive'; file: string };

/** `--output` parsed; null for a text that is neither form. */
export function parseOutput(text: string | null): OutputSpec | null {
  if (text === null) return { kind: 'registry' };
  if (text.startsWith('oci:') && text.length > 4) return { kind: 'oci', ...splitLayoutSpec(text.slice(4)) };
  if (text.startsWith('docker-archive:') && text.length > 15)
    return { kind: 'docker-archive', file: text.slice('docker-archive:'.length) };
  return null;
}

export interface Destination {
  /** "registry 127.0.0.1:5000/me/x", "OCI layout ./out", ... */
  readonly description: string;
  /** More than one platform can be written (an index). */
  readonly takesIndex: boolean;
  putBlobFile(digest: string, file: () => Promise<string>): Promise<void>;
  putBlobBytes(digest: string, bytes: Buffer): Promise<void>;
  /** A platform's manifest (part of an index when `top` is false). */
  putManifest(descriptor: Descriptor, bytes: Buffer, manifest: ImageManifest, top: boolean): Promise<void>;
  /** The top document under the tag; returns the digest the destination reports. */
  finish(descriptor: Descriptor, bytes: Buffer, manifest: ImageManifest | null): Promise<string>;
  /** What happened to the blobs (registry: exists / mounted / uploaded). */
  outcomes(): Record<string, number>;
}

export async function openDestination(
  output: OutputSpec,
  tag: { text: string; reference: ImageReference },
  clients: RegistryClients,
  source: SourceImage,
): Promise<Destination> {
  const tagName = tag.reference.tag ?? 'latest';
  if (output.kind === 'registry') {
    const { client, repository } = await clients.forReference(tag.reference);
    const writer = new RegistryWriter(client, repository, source.registry);
    return {
      description: `registry ${tag.text}`,
      takesIndex: true,
      putBlobFile: (digest, file) => writer.putFile(digest, file),
      putBlobBytes: (digest, bytes) => writer.putBytes(digest, bytes),
      putManifest: async (descriptor, bytes, _manifest, top) => {
        if (!top) await writer.putManifest(descriptor.digest, bytes, descriptor.mediaType);
      },
      finish: (descriptor, bytes) => writer.putManifest(tagName, bytes, descriptor.mediaType),
      outcomes: () => writer.outcomes,
    };
  }
  if (output.kind === 'oci') {
    const writer = new LayoutWriter(output.dir);
    return {
      description: `OCI layout ${output.dir}`,
      takesIndex: true,
      putBlobFile: async (digest, file) => writer.putFile(digest, await file()),
      putBlobBytes: (digest, bytes) => writer.putBytes(digest, bytes),
      putManifest: (descriptor, bytes) => writer.putBytes(descriptor.digest, bytes),
      finish: async (descriptor, bytes) => {
        await writer.putBytes(descriptor.digest, bytes);
        await writer.finish(descriptor, output.ref ?? tagName);
        return descriptor.digest;
      },
      outcomes: () => ({}),
    };
  }
  const writer = new DockerArchiveWriter(output.file);
  return {
    description: `docker archive ${output.file}`,
    takesIndex: false,
    putBlobFile: async (digest, file) => writer.putFile(digest, await file()),
    putBlobBytes: (digest, bytes) => writer.putBytes(digest, bytes),
    putManifest: () => Promise.resolve(),
    finish: async (descriptor, _bytes, manifest) => {
      if (manifest === null) throw new Error('a docker archive holds one platform, not an index');
      await writer.finish(manifest, tag.text);
      return descriptor.digest;
    },
    outcomes: () => ({}),
  };
}
