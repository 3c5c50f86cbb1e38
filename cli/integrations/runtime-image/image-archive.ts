/**
 * A one-layer image with no base (what `FROM scratch` + `ADD layer.tar /` would make), handed to the
 * engine as a `docker load` archive written by the OCI module's `DockerArchiveWriter`. Building it this
 * way instead of through a Dockerfile keeps the config fully ours: the architecture asked for (an
 * arm64 image on an amd64 engine), fixed `created` and history, so the same layer gives the same image
 * id on every machine.
 */
import { createReadStream } from 'node:fs';
import type Docker from 'dockerode';
import { followEngineStream } from '../../engine/engine-stream.ts';
import { inspectLocalImage } from '../../engine/pull-image.ts';
import { DockerArchiveWriter } from '../../oci/docker-archive.ts';
import {
  encodeDocument,
  MEDIA_TYPES,
  type Descriptor,
  type ImageConfigDocument,
} from '../../oci/media-types.ts';

export interface ScratchImageConfig {
  /** `amd64` or `arm64`. */
  architecture: string;
  /** sha256:<hex> of the uncompressed layer tar. */
  diffId: string;
  labels: Record<string, string>;
  /** The image's creation time, seconds since the epoch (SOURCE_DATE_EPOCH). */
  created: number;
  /** What the one history entry says made the layer. */
  createdBy: string;
}

/** The image config: its bytes (whose sha256 is the image id) and descriptor. */
export function scratchImageConfig(config: ScratchImageConfig): { bytes: Buffer; descriptor: Descriptor } {
  const created = new Date(config.created * 1000).toISOString();
  const document: ImageConfigDocument = {
    architecture: config.architecture,
    os: 'linux',
    created,
    config: {
      Labels: Object.fromEntries(Object.entries(config.labels).sort(([a], [b]) => a.localeCompare(b))),
    },
    rootfs: { type: 'layers', diff_ids: [config.diffId] },
    history: [{ created, created_by: config.createdBy }],
  };
  return encodeDocument(document, MEDIA_TYPES.dockerConfig);
}

export interface LoadArchiveInputs {
  config: { bytes: Buffer; descriptor: Descriptor };
  /** The uncompressed layer tar on disk, its size and sha256 (its diff id). */
  layerFile: string;
  layerSize: number;
  diffId: string;
  /** repo:tag to give the image. */
  tag: string;
}

/** Writes the `docker load` archive to `file`. */
export async function writeLoadArchive(file: string, inputs: LoadArchiveInputs): Promise<void> {
  const writer = new DockerArchiveWriter(file);
  await writer.putBytes(inputs.config.descriptor.digest, inputs.config.bytes);
  await writer.putFile(inputs.diffId, inputs.layerFile);
  await writer.finish(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: inputs.config.descriptor,
      layers: [{ mediaType: MEDIA_TYPES.ociLayer, digest: inputs.diffId, size: inputs.layerSize }],
    },
    inputs.tag,
  );
}

/** Loads the archive into the engine and returns the image's inspect record (by its tag). */
export async function loadIntoEngine(
  docker: Docker,
  archive: string,
  tag: string,
  onLine: (line: string) => void = () => {},
): Promise<Docker.ImageInspectInfo> {
  const stream = await docker.loadImage(createReadStream(archive), { quiet: true });
  await followEngineStream(docker, stream, (event) => {
    const text = (event.stream ?? event.status ?? '').trim();
    if (text !== '') onLine(text);
  });
  const inspect = await inspectLocalImage(docker, tag);
  if (inspect === undefined) throw new Error(`the engine loaded ${tag} but has no image of that name`);
  return inspect;
}
