/**
 * OCI image layout directories (image-spec `image-layout.md`): `oci-layout`, `index.json` and
 * `blobs/sha256/<hex>`. Read: the entry of index.json whose `org.opencontainers.image.ref.name` is the
 * tag asked for (or the only entry). Write: blobs copied in, index.json updated (an entry with the
 * same ref name replaced, others kept).
 */
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blobPath, exists } from './blob-files.ts';
import { readBlobChecked, resolveImages, SourceFormatError, type SourceImage } from './image-source.ts';
import { MEDIA_TYPES, type Descriptor, type ImageIndex } from './media-types.ts';

export const REF_NAME = 'org.opencontainers.image.ref.name';

/** `oci:DIR[:REF]` split; the last `:` starts REF when what follows has no `/`. */
export function splitLayoutSpec(spec: string): { dir: string; ref: string | null } {
  const colon = spec.lastIndexOf(':');
  if (colon > 0 && !spec.slice(colon + 1).includes('/') && spec.slice(colon + 1) !== '')
    return { dir: spec.slice(0, colon), ref: spec.slice(colon + 1) };
  return { dir: spec, ref: null };
}

async function readIndex(dir: string): Promise<ImageIndex> {
  let text: string;
  try {
    text = await readFile(join(dir, 'index.json'), 'utf8');
  } catch (error) {
    throw new SourceFormatError(
      `${dir} is not an OCI image layout: no readable index.json (${(error as Error).message})`,
    );
  }
  const index = JSON.parse(text) as ImageIndex;
  if (!Array.isArray(index.manifests)) throw new SourceFormatError(`${dir}/index.json lists no manifests`);
  return index;
}

export async function readLayout(spec: string, name: string): Promise<SourceImage> {
  const { dir, ref } = splitLayoutSpec(spec);
  const index = await readIndex(dir);
  const names = index.manifests
    .map((entry) => entry.annotations?.[REF_NAME])
    .filter((text) => text !== undefined);
  const chosen =
    ref === null
      ? index.manifests.length === 1
        ? index.manifests[0]
        : undefined
      : index.manifests.find((entry) => entry.annotations?.[REF_NAME] === ref);
  if (chosen === undefined)
    throw new SourceFormatError(
      ref === null
        ? `${dir} holds ${index.manifests.length} images; name one as oci:${dir}:REF (${names.join(', ') || 'none has a ref name'})`
        : `${dir} has no image named ${ref} (it has: ${names.join(', ') || 'none with a ref name'})`,
    );
  const blobs = join(dir, 'blobs');
  const load = (descriptor: Descriptor): Promise<Buffer> =>
    readBlobChecked(blobPath(blobs, descriptor.digest), descriptor.digest);
  const { index: imageIndex, images } = await resolveImages(
    { bytes: await load(chosen), descriptor: chosen },
    load,
  );
  return {
    name,
    digest: chosen.digest,
    repoDigest: null,
    index: imageIndex,
    images,
    blobFile: async (digest) => {
      const file = blobPath(blobs, digest);
      if (!(await exists(file))) throw new SourceFormatError(`${dir} lacks the blob ${digest}`);
      return file;
    },
    registry: null,
  };
}

/** Where an image is written: blobs (files or bytes), then the top descriptor under a ref name. */
export interface BlobWriter {
  putFile(digest: string, file: string): Promise<void>;
  putBytes(digest: string, bytes: Buffer): Promise<void>;
}

export class LayoutWriter implements BlobWriter {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private async target(digest: string): Promise<string | null> {
    const file = blobPath(join(this.dir, 'blobs'), digest);
    if (await exists(file)) return null;
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    return file;
  }

  async putFile(digest: string, source: string): Promise<void> {
    const file = await this.target(digest);
    if (file === null) return;
    await copyFile(source, `${file}.part`);
    await rename(`${file}.part`, file);
  }

  async putBytes(digest: string, bytes: Buffer): Promise<void> {
    const file = await this.target(digest);
    if (file !== null) await writeFile(file, bytes);
  }

  /** Adds (or replaces) the entry named `ref` in index.json. */
  async finish(top: Descriptor, ref: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
    let index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
    if (await exists(join(this.dir, 'index.json'))) index = await readIndex(this.dir);
    const entry: Descriptor = { ...top, annotations: { ...top.annotations, [REF_NAME]: ref } };
    index.manifests = [...index.manifests.filter((item) => item.annotations?.[REF_NAME] !== ref), entry];
    await writeFile(join(this.dir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  }
}
