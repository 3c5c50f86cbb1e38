/**
 * `docker save` archives (read) and `docker load`-able archives (written). Both are tars with a
 * `manifest.json`: `[{ Config, RepoTags, Layers }]`, paths inside the tar. Read: unpacked into a
 * directory, the config and layers turned into an OCI manifest (layers keep their bytes, so their
 * digests: a `docker save` layer is an uncompressed tar whose sha256 is its diff id). Written: the
 * config and layer blobs under `blobs/sha256/` (what `docker load` of Docker 20.10 and later reads,
 * compressed layers included) and manifest.json naming the tag.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { blobPath, sha256File } from './blob-files.ts';
import { SourceFormatError, type SourceImage } from './image-source.ts';
import {
  encodeDocument,
  MEDIA_TYPES,
  sha256Digest,
  type Descriptor,
  type ImageConfigDocument,
  type ImageManifest,
} from './media-types.ts';

interface ArchiveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Unpacks the regular files of a tar into `dir` (paths kept inside it). */
async function unpack(file: string, dir: string): Promise<void> {
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const name = normalize(entry.header.name).replace(/^(\.\.(\/|$))+/, '');
      if (entry.header.type !== 'file' || name.startsWith('/')) {
        entry.resume();
        continue;
      }
      const target = join(dir, name);
      await mkdir(dirname(target), { recursive: true });
      await pipeline(entry, createWriteStream(target));
    }
  })();
  // Both settle before we throw: a failed read also ends the entry loop, whose rejection must be seen.
  const [read, written] = await Promise.allSettled([pipeline(createReadStream(file), extract), done]);
  if (read.status === 'rejected') {
    throw new SourceFormatError(`${file} is not a readable tar archive: ${(read.reason as Error).message}`);
  }
  if (written.status === 'rejected') throw written.reason as Error;
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Reads a `docker save` archive of one image, unpacked into `workDir`. */
export async function readDockerArchive(file: string, workDir: string, name: string): Promise<SourceImage> {
  await unpack(file, workDir);
  let entries: ArchiveEntry[];
  try {
    entries = JSON.parse(await readFile(join(workDir, 'manifest.json'), 'utf8')) as ArchiveEntry[];
  } catch (error) {
    throw new SourceFormatError(
      `${file} is not a docker save archive: no readable manifest.json (${(error as Error).message})`,
    );
  }
  const chosen = entries.length === 1 ? entries[0] : undefined;
  if (chosen === undefined)
    throw new SourceFormatError(
      `${file} holds ${entries.length} images (${entries.flatMap((entry) => entry.RepoTags ?? []).join(', ')}); hubify reads an archive of one: docker save -o FILE IMAGE`,
    );
  const configBytes = await readFile(join(workDir, chosen.Config));
  const config = JSON.parse(configBytes.toString('utf8')) as ImageConfigDocument;
  const files = new Map<string, string>();
  const configDigest = sha256Digest(configBytes);
  files.set(configDigest, join(workDir, chosen.Config));
  const layers: Descriptor[] = [];
  for (const layer of chosen.Layers) {
    const path = join(workDir, layer);
    const digest = await sha256File(path);
    files.set(digest, path);
    const gzip = await isGzip(path);
    layers.push({
      mediaType: gzip ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer,
      digest,
      size: (await stat(path)).size,
    });
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: configBytes.length },
    layers,
  };
  const { descriptor } = encodeDocument(manifest, MEDIA_TYPES.ociManifest);
  return {
    name,
    digest: descriptor.digest,
    repoDigest: null,
    index: null,
    images: [{ descriptor, manifest, config }],
    blobFile: (digest) => {
      const path = files.get(digest);
      if (path === undefined) return Promise.reject(new SourceFormatError(`${file} has no blob ${digest}`));
      return Promise.resolve(path);
    },
    registry: null,
  };
}

/** Collects blobs, then writes the `docker load`-able tar. */
export class DockerArchiveWriter {
  private readonly blobs = new Map<string, { file: string } | { bytes: Buffer }>();
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  putFile(digest: string, file: string): Promise<void> {
    this.blobs.set(digest, { file });
    return Promise.resolve();
  }

  putBytes(digest: string, bytes: Buffer): Promise<void> {
    this.blobs.set(digest, { bytes });
    return Promise.resolve();
  }

  /** Writes the archive for one image: its config and layers, named `repoTag`. */
  async finish(manifest: ImageManifest, repoTag: string): Promise<void> {
    const name = (digest: string): string => blobPath('blobs', digest);
    const entry: ArchiveEntry = {
      Config: name(manifest.config.digest),
      RepoTags: [repoTag],
      Layers: manifest.layers.map((layer) => name(layer.digest)),
    };
    const pack = tar.pack();
    const header = { uid: 0, gid: 0, mode: 0o644, mtime: new Date(0) };
    const writing = pipeline(pack, createWriteStream(this.file));
    const seen = new Set<string>();
    for (const digest of [manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)]) {
      if (seen.has(digest)) continue;
      seen.add(digest);
      const blob = this.blobs.get(digest);
      if (blob === undefined) throw new Error(`the archive lacks the blob ${digest}`);
      if ('bytes' in blob) {
        pack.entry({ ...header, name: name(digest), size: blob.bytes.length }, blob.bytes);
        continue;
      }
      const size = (await stat(blob.file)).size;
      const sink = pack.entry({ ...header, name: name(digest), size });
      await pipeline(createReadStream(blob.file), sink);
    }
    const manifestJson = Buffer.from(JSON.stringify([entry]));
    pack.entry({ ...header, name: 'manifest.json', size: manifestJson.length }, manifestJson);
    pack.finalize();
    await writing;
  }
}
