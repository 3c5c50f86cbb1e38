/**
 * The runtime layer as a tar file, written byte-for-byte reproducibly: entries sorted by path, every
 * owner, mode and mtime explicit (nothing read from the machine that builds it), no user or group
 * names, plain ustar headers. The same entries give the same bytes, hence the same sha256.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

interface EntryBase {
  /** Absolute path inside the image, e.g. /opt/hubify/bin/node (no trailing slash). */
  path: string;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface DirectoryEntry extends EntryBase {
  type: 'directory';
  /** Permission bits, including setuid/setgid/sticky (0o7777 at most). */
  mode: number;
}

export interface FileEntry extends EntryBase {
  type: 'file';
  mode: number;
  /** The bytes, in memory or in a file on this machine (streamed, never read whole). */
  content: { kind: 'buffer'; data: Buffer } | { kind: 'file'; path: string; size: number };
}

export interface SymlinkEntry extends EntryBase {
  type: 'symlink';
  target: string;
}

export type LayerEntry = DirectoryEntry | FileEntry | SymlinkEntry;

export interface LayerTar {
  /** Where the tar was written. */
  file: string;
  /** `sha256:<hex>` of the uncompressed tar: the layer's diff id when the tar is the layer itself. */
  sha256: string;
  /** Size of the uncompressed tar in bytes. */
  size: number;
  /** Entries in the order written. */
  entries: LayerEntry[];
}

/** The name an entry has inside the tar: relative, directories with a trailing slash. */
export function tarName(entry: LayerEntry): string {
  const relative = entry.path.replace(/^\/+/, '');
  return entry.type === 'directory' ? `${relative}/` : relative;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Checks the entries (absolute normalised paths, no duplicates, every parent directory present,
 * modes and ids in range) and returns them sorted by path bytes, so a parent precedes its children.
 */
export function sortLayerEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  const sorted = [...entries].sort((a, b) => compareBytes(a.path, b.path));
  const directories = new Set<string>();
  let previous: string | null = null;
  for (const entry of sorted) {
    const { path } = entry;
    const parts = path.split('/').slice(1);
    if (!path.startsWith('/') || parts.some((part) => part === '' || part === '.' || part === '..'))
      throw new Error(`layer entry path ${JSON.stringify(path)} is not a normalised absolute path`);
    if (path === previous) throw new Error(`layer entry ${path} appears twice`);
    previous = path;
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (parent !== '' && !directories.has(parent))
      throw new Error(`layer entry ${path} has no entry for its parent directory ${parent}`);
    if (entry.type === 'directory') directories.add(path);
    if (entry.type !== 'symlink' && (entry.mode & ~0o7777) !== 0)
      throw new Error(`layer entry ${path} has mode ${entry.mode.toString(8)} beyond 07777`);
    for (const id of [entry.uid, entry.gid, entry.mtime])
      if (!Number.isInteger(id) || id < 0)
        throw new Error(`layer entry ${path} has an invalid owner or mtime`);
  }
  return sorted;
}

function header(entry: LayerEntry): Partial<tar.Header> & { name: string } {
  const common = {
    name: tarName(entry),
    uid: entry.uid,
    gid: entry.gid,
    uname: '',
    gname: '',
    mtime: new Date(entry.mtime * 1000),
  };
  switch (entry.type) {
    case 'directory':
      return { ...common, type: 'directory', mode: entry.mode, size: 0 };
    case 'symlink':
      return { ...common, type: 'symlink', mode: 0o777, size: 0, linkname: entry.target };
    case 'file':
      return {
        ...common,
        type: 'file',
        mode: entry.mode,
        size: entry.content.kind === 'buffer' ? entry.content.data.length : entry.content.size,
      };
  }
}

async function addEntry(pack: tar.Pack, entry: LayerEntry): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header(entry), (error) => (error ? reject(error) : resolve()));
    // An entry's failure reaches the callback above; without a listener its 'error' event would throw.
    sink.on('error', () => {});
    if (entry.type !== 'file') return;
    if (entry.content.kind === 'buffer') {
      sink.end(entry.content.data);
      return;
    }
    const source = entry.content;
    void (async () => {
      const info = await stat(source.path);
      if (info.size !== source.size)
        throw new Error(
          `${source.path} changed size while the layer was written (${info.size} != ${source.size})`,
        );
      for await (const chunk of createReadStream(source.path)) {
        if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
      }
      sink.end(Buffer.alloc(0));
    })().catch((error: unknown) => {
      // The caller destroys the whole pack; destroying the entry here would emit an unheard 'error'.
      reject(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await done;
}

/** A pass-through that hashes and counts what flows through it. */
class Digest extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

/** Writes the entries (sorted and checked by `sortLayerEntries`) as a tar to `file`. */
export async function writeLayerTar(entries: readonly LayerEntry[], file: string): Promise<LayerTar> {
  const sorted = sortLayerEntries(entries);
  const pack = tar.pack();
  const digest = new Digest();
  const written = pipeline(pack, digest, createWriteStream(file));
  const fed = (async () => {
    for (const entry of sorted) await addEntry(pack, entry);
    pack.finalize();
  })();
  fed.catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
  await Promise.all([written, fed]);
  return { file, sha256: `sha256:${digest.hash.digest('hex')}`, size: digest.bytes, entries: sorted };
}

/** One entry as read back from a tar (for tests and the layer listing). */
export interface TarListing {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  size: number;
  linkname: string | null;
}

/** Lists a tar stream's entries without keeping their contents. */
export async function listTar(source: NodeJS.ReadableStream): Promise<TarListing[]> {
  const extract = tar.extract();
  const listing: TarListing[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      listing.push({
        name: h.name,
        type: h.type,
        mode: h.mode & 0o7777,
        uid: h.uid,
        gid: h.gid,
        uname: h.uname,
        gname: h.gname,
        mtime: Math.floor(h.mtime.getTime() / 1000),
        size: h.size,
        linkname: h.linkname || null,
      });
      entry.resume();
    }
  })();
  await Promise.all([pipeline(source, extract), reading]);
  return listing;
}
