/**
 * Blobs as files on this machine, by digest: hubify's blob cache (`<cache>/blobs/sha256/<hex>`, where
 * layers read from a registry are kept so a warm build fetches nothing again), an OCI layout's own
 * `blobs/`, or a directory a `docker save` archive was unpacked into.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';

/** `<dir>/sha256/<hex>` for `sha256:<hex>`; refuses anything but a sha256 digest. */
export function blobPath(blobsDir: string, digest: string): string {
  const match = /^(sha256):([a-f0-9]{64})$/.exec(digest);
  if (match === null) throw new Error(`not a sha256 digest: ${digest}`);
  return join(blobsDir, match[1] ?? 'sha256', match[2] ?? '');
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** `sha256:<hex>` of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
