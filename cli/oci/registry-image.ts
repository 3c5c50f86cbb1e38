/**
 * Images in a registry: read one (its index or manifest, each platform's manifest and config, the
 * layers fetched into hubify's blob cache on first use) and write one (blobs pushed, mounted from the
 * source repository when it is on the same registry, manifests, then the index under the tag).
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { registryAuth } from '../engine/registry-auth.ts';
import type { ImageReference } from '../engine/image-reference.ts';
import { blobPath, exists } from './blob-files.ts';
import { readBlobChecked, resolveImages, type SourceImage } from './image-source.ts';
import type { Descriptor } from './media-types.ts';
import { RegistryClient, RegistryError, registryLocation } from './registry-client.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** One client per registry host, so tokens are reused between reading and writing. */
export class RegistryClients {
  private readonly clients = new Map<string, RegistryClient>();
  private readonly insecure: boolean;
  private readonly env: Env;
  constructor(insecure: boolean, env: Env) {
    this.insecure = insecure;
    this.env = env;
  }

  async forReference(reference: ImageReference): Promise<{ client: RegistryClient; repository: string }> {
    const { host, repository } = registryLocation(reference);
    let client = this.clients.get(host);
    if (client === undefined) {
      client = new RegistryClient(host, {
        insecure: this.insecure,
        credentials: await registryAuth(reference, this.env),
      });
      this.clients.set(host, client);
    }
    return { client, repository };
  }

  /** Requests sent to every registry so far. */
  get requests(): number {
    return [...this.clients.values()].reduce((sum, client) => sum + client.requests, 0);
  }
}

/** The blob cache directory: `<cacheDir>/blobs`. */
export function blobCacheDir(cacheDir: string): string {
  return join(cacheDir, 'blobs');
}

export async function readRegistryImage(
  reference: ImageReference,
  name: string,
  clients: RegistryClients,
  cacheDir: string,
): Promise<SourceImage> {
  const { client, repository } = await clients.forReference(reference);
  const ref = reference.digest ?? reference.tag ?? 'latest';
  const top = await client.getManifest(repository, ref);
  if ('status' in top)
    throw new RegistryError(`GET manifest ${repository}:${ref}: ${top.status} ${top.message}`, top.status);
  const blobs = blobCacheDir(cacheDir);
  const blobFile = async (digest: string): Promise<string> => {
    const file = blobPath(blobs, digest);
    if (!(await exists(file))) {
      await mkdir(dirname(file), { recursive: true });
      await client.fetchBlob(repository, digest, file);
    }
    return file;
  };
  const load = async (descriptor: Descriptor): Promise<Buffer> => {
    if (descriptor.mediaType.includes('manifest') || descriptor.mediaType.includes('index')) {
      const got = await client.getManifest(repository, descriptor.digest);
      if ('status' in got)
        throw new RegistryError(
          `GET manifest ${repository}@${descriptor.digest}: ${got.status} ${got.message}`,
          got.status,
        );
      return got.bytes;
    }
    return readBlobChecked(await blobFile(descriptor.digest), descriptor.digest);
  };
  const { index, images } = await resolveImages(
    {
      bytes: top.bytes,
      descriptor: { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length },
    },
    load,
  );
  const repoName =
    reference.registry === null ? reference.repository : `${reference.registry}/${reference.repository}`;
  return {
    name,
    digest: top.digest,
    repoDigest: `${repoName}@${top.digest}`,
    index,
    images,
    blobFile,
    registry: { host: client.host, repository },
  };
}

/** Writes blobs and manifests into a repository of a registry. */
export class RegistryWriter {
  private readonly client: RegistryClient;
  readonly repository: string;
  private readonly mountFrom: string | null;
  /** How each blob got there: exists, mounted, uploaded. */
  readonly outcomes: Record<string, number> = { exists: 0, mounted: 0, uploaded: 0 };

  constructor(client: RegistryClient, repository: string, source: SourceImage['registry']) {
    this.client = client;
    this.repository = repository;
    this.mountFrom = source !== null && source.host === client.host ? source.repository : null;
  }

  /** A blob in a local file (or how to get the file); its bytes are sent only when the registry lacks it. */
  async putFile(digest: string, file: string | (() => Promise<string>)): Promise<void> {
    const path = typeof file === 'string' ? file : await file();
    const size = (await stat(path)).size;
    const outcome = await this.client.pushBlob(
      this.repository,
      { digest, size, open: () => createReadStream(path) },
      this.mountFrom,
    );
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }

  async putBytes(digest: string, bytes: Buffer): Promise<void> {
    const outcome = await this.client.pushBlob(
      this.repository,
      { digest, size: bytes.length, open: () => Readable.from([bytes]) },
      this.mountFrom,
    );
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }

  putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    return this.client.putManifest(this.repository, reference, bytes, mediaType);
  }
}
