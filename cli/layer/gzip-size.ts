/**
 * The gzip size of a file (what a registry stores for a layer, near enough: the engine compresses
 * with Go's default level, zlib's 6), remembered by the file's sha256 so a warm build does not
 * compress 100 MB again: <cache>/layers/<hex>.json.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
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
