/**
 * The gzip size of a file (what a registry stores for a layer, near enough: the engine compresses
 * with Go's default level, zlib's 6), remembered by the file's sha256 so a warm build does not
 * compress 100 MB again: <cache>/layers/<hex>.json.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export async function gzipSize(file: string): Promise<number> {
  let size = 0;
  await pipeline(
    createReadStream(file),
    createGzip({ level: 6 }),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback();
      },
    }),
  );
  return size;
}

/** gzipSize, cached under `cacheDir` by `sha256` (sha256:<hex>) of the file. */
export async function cachedGzipSize(
  file: string,
  sha256: string,
  cacheDir: string,
): Promise<{ size: number; cached: boolean }> {
  const record = join(cacheDir, 'layers', `${sha256.replace(/^sha256:/, '')}.json`);
  try {
    const saved = JSON.parse(await readFile(record, 'utf8')) as { gzipSize?: unknown };
    if (typeof saved.gzipSize === 'number') return { size: saved.gzipSize, cached: true };
  } catch {
    // not measured yet
  }
  const size = await gzipSize(file);
  await mkdir(join(cacheDir, 'layers'), { recursive: true });
  await writeFile(record, `${JSON.stringify({ gzipSize: size })}\n`).catch(() => {});
  return { size, cached: false };
}

export interface GzipBlob {
  /** The compressed file, in `<cache>/blobs/sha256/<hex>`. */
  path: string;
  digest: string;
  size: number;
  cached: boolean;
}

/**
 * The file gzip-compressed (level 6; Node's gzip header carries no time or name, so the same file
 * gives the same bytes) into hubify's blob cache, found again by the file's `sha256` on a warm build:
 * `<cache>/layers/<hex>.json` records `gzipDigest` next to `gzipSize`.
 */
export async function cachedGzipBlob(file: string, sha256: string, cacheDir: string): Promise<GzipBlob> {
  const record = join(cacheDir, 'layers', `${sha256.replace(/^sha256:/, '')}.json`);
  const blobDir = join(cacheDir, 'blobs', 'sha256');
  try {
    const saved = JSON.parse(await readFile(record, 'utf8')) as { gzipSize?: unknown; gzipDigest?: unknown };
    if (typeof saved.gzipSize === 'number' && typeof saved.gzipDigest === 'string') {
      const path = join(blobDir, saved.gzipDigest.replace(/^sha256:/, ''));
      const info = await stat(path).catch(() => null);
      if (info?.size === saved.gzipSize)
        return { path, digest: saved.gzipDigest, size: saved.gzipSize, cached: true };
    }
  } catch {
    // not compressed yet
  }
  await mkdir(blobDir, { recursive: true });
  const partial = join(blobDir, `.hubify-${process.pid}-${Date.now()}.part`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      createReadStream(file),
      createGzip({ level: 6 }),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      }),
      createWriteStream(partial),
    );
    const digest = `sha256:${hash.digest('hex')}`;
    const path = join(blobDir, digest.replace(/^sha256:/, ''));
    await rename(partial, path);
    await mkdir(join(cacheDir, 'layers'), { recursive: true });
    await writeFile(record, `${JSON.stringify({ gzipSize: size, gzipDigest: digest })}\n`);
    return { path, digest, size, cached: false };
  } finally {
    await rm(partial, { force: true });
  }
}
