/**
 * An image's filesystem read straight from its layer tars (no engine, no container): the layers are
 * applied in order as an overlay filesystem would, `.wh.NAME` whiteouts removing NAME (and what is
 * below it) from lower layers and `.wh..wh..opq` making a directory opaque (its lower-layer contents
 * removed). The result answers detection (`ImageFs`, cli/inspect/) and the build's reads
 * (`ImageFileReader`): stat, list, read. Small files are kept in memory while the layers stream by;
 * a larger file is read again from its layer when asked for.
 */
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import tar from 'tar-stream';
import type { PathInfo } from '../engine/image-files.ts';
import type { ImageFileReader } from '../build/runtime-layer.ts';
import type {
  DirListing,
  FileRead,
  ImageFs,
  ListOptions,
  ListedEntry,
  PathKind,
  PathStat,
} from '../inspect/image-fs.ts';
import { resolveSymlinks } from '../inspect/memory-fs.ts';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** A layer to read: how to open its (possibly compressed) tar. */
export interface LayerBlob {
  open: () => Readable;
  compression: 'gzip' | 'zstd' | 'none';
}

interface TreeNode {
  kind: PathKind;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  /** A symlink's target as written. */
  target: string | null;
  /** A hard link: the path it links to (absolute). */
  hardlink: string | null;
  /** Which layer it comes from. */
  layer: number;
  /** The bytes, when kept while streaming. */
  content: Buffer | null;
}

export interface LayerTreeOptions {
  /** Files up to this size are kept in memory as the layers stream by. */
  keepFileBytes?: number;
  /** No more than this in memory in all. */
  keepTotalBytes?: number;
}

function decompress(layer: LayerBlob): Readable {
  const raw = layer.open();
  if (layer.compression === 'none') return raw;
  if (layer.compression === 'gzip') return raw.pipe(zlib.createGunzip({ chunkSize: 1 << 20 }));
  const zstd = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream })
    .createZstdDecompress;
  if (zstd === undefined)
    throw new Error('the image has a zstd-compressed layer: reading it needs Node 22.15 or newer');
  return raw.pipe(zstd()) as unknown as Readable;
}

/** `./etc/passwd`, `etc/`, `/etc` → `/etc/passwd`, `/etc`. */
export function normalTarPath(name: string): string {
  const path = posix.normalize(`/${name}`).replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

function kindOf(type: string | null | undefined): PathKind {
  if (type === 'file' || type === 'contiguous-file') return 'file';
  if (type === 'directory') return 'dir';
  if (type === 'symlink') return 'symlink';
  return 'other';
}

/** A directory no layer names (the root, or a parent a layer left out): root-owned, 0755. */
function implicitDirectory(): TreeNode {
  return {
    kind: 'dir',
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtime: 0,
    size: 0,
    target: null,
    hardlink: null,
    layer: -1,
    content: null,
  };
}

export class LayerTree implements ImageFs {
  private readonly nodes = new Map<string, TreeNode>();
  private readonly children = new Map<string, Set<string>>();
  private readonly layers: LayerBlob[];
  private readonly keepFileBytes: number;
  private keepBudget: number;
  /** Requests answered (for the inspect stats). */
  calls = 0;

  private constructor(layers: LayerBlob[], options: LayerTreeOptions) {
    this.layers = layers;
    this.keepFileBytes = options.keepFileBytes ?? 64 * 1024;
    this.keepBudget = options.keepTotalBytes ?? 64 * 1024 * 1024;
    this.nodes.set('/', implicitDirectory());
  }

  /** Reads every layer in order. */
  static async read(layers: LayerBlob[], options: LayerTreeOptions = {}): Promise<LayerTree> {
    const tree = new LayerTree(layers, options);
    for (const [index, layer] of layers.entries()) await tree.apply(index, layer);
    return tree;
  }

  /** Convenience for layer blobs that are files. */
  static fromFiles(
    files: { path: string; compression: LayerBlob['compression'] }[],
    options: LayerTreeOptions = {},
  ): Promise<LayerTree> {
    return LayerTree.read(
      files.map((file) => ({
        open: () => createReadStream(file.path, { highWaterMark: 1 << 20 }),
        compression: file.compression,
      })),
      options,
    );
  }

  private link(path: string): void {
    const parent = posix.dirname(path);
    if (parent === path) return;
    if (!this.nodes.has(parent)) {
      // A layer may name a file before (or without) its directory: the directory exists all the same.
      this.nodes.set(parent, implicitDirectory());
      this.link(parent);
    }
    let set = this.children.get(parent);
    if (set === undefined) {
      set = new Set();
      this.children.set(parent, set);
    }
    set.add(posix.basename(path));
  }

  /** Removes `path` and everything below it. */
  private remove(path: string): void {
    for (const name of this.children.get(path) ?? []) this.remove(posix.join(path, name));
    this.children.delete(path);
    this.nodes.delete(path);
    this.children.get(posix.dirname(path))?.delete(posix.basename(path));
  }

  /** Removes what is below `dir` from layers before `layer` (an opaque directory). */
  private removeBelow(dir: string, layer: number): void {
    for (const name of [...(this.children.get(dir) ?? [])]) {
      const path = posix.join(dir, name);
      const node = this.nodes.get(path);
      if (node === undefined) continue;
      if (node.layer < layer) this.remove(path);
      else if (node.kind === 'dir') this.removeBelow(path, layer);
    }
  }

  private async apply(index: number, layer: LayerBlob): Promise<void> {
    const extract = tar.extract();
    const source = decompress(layer);
    source.on('error', (error) => extract.destroy(error));
    source.pipe(extract);
    for await (const entry of extract) {
      const { header } = entry;
      const path = normalTarPath(header.name);
      const name = posix.basename(path);
      const dir = posix.dirname(path);
      if (name === OPAQUE_MARKER) {
        this.removeBelow(dir, index);
        entry.resume();
        continue;
      }
      if (name.startsWith(WHITEOUT_PREFIX)) {
        this.remove(posix.join(dir, name.slice(WHITEOUT_PREFIX.length)));
        entry.resume();
        continue;
      }
      const kind = header.type === 'link' ? 'file' : kindOf(header.type);
      const size = header.size ?? 0;
      let content: Buffer | null = null;
      if (
        kind === 'file' &&
        header.type !== 'link' &&
        size <= this.keepFileBytes &&
        size <= this.keepBudget
      ) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        content = Buffer.concat(chunks);
        this.keepBudget -= content.length;
      } else {
        entry.resume();
      }
      const existing = this.nodes.get(path);
      if (existing !== undefined && !(existing.kind === 'dir' && kind === 'dir')) this.remove(path);
      this.nodes.set(path, {
        kind,
        mode: (header.mode ?? 0) & 0o7777,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        mtime: Math.floor((header.mtime?.getTime() ?? 0) / 1000),
        size,
        target: kind === 'symlink' ? (header.linkname ?? '') : null,
        hardlink: header.type === 'link' ? normalTarPath(header.linkname ?? '') : null,
        layer: index,
        content,
      });
      this.link(path);
    }
  }

  private lookup = (path: string): { kind: string; target?: string } | undefined => {
    const node = this.nodes.get(path);
    if (node === undefined) return undefined;
    return node.target === null ? { kind: node.kind } : { kind: node.kind, target: node.target };
  };

  private resolve(path: string, followLast: boolean): string | null {
    return resolveSymlinks(path, followLast, this.lookup);
  }

  /** The node of a hard link's target (itself otherwise). */
  private data(node: TreeNode): TreeNode {
    if (node.hardlink === null) return node;
    return this.nodes.get(node.hardlink) ?? node;
  }

  /** Bytes of a file not kept in memory: its layer read again up to it. */
  private async reread(path: string, node: TreeNode, maxBytes: number): Promise<Buffer> {
    const layer = this.layers[node.layer];
    if (layer === undefined) return Buffer.alloc(0);
    const extract = tar.extract();
    const source = decompress(layer);
    source.on('error', (error) => extract.destroy(error));
    source.pipe(extract);
    try {
      for await (const entry of extract) {
        if (normalTarPath(entry.header.name) !== path) {
          entry.resume();
          continue;
        }
        const chunks: Buffer[] = [];
        let kept = 0;
        for await (const chunk of entry) {
          chunks.push(chunk as Buffer);
          kept += (chunk as Buffer).length;
          if (kept >= maxBytes) break;
        }
        return Buffer.concat(chunks).subarray(0, maxBytes);
      }
      return Buffer.alloc(0);
    } finally {
      source.unpipe(extract);
      source.destroy();
      extract.destroy();
    }
  }

  private async content(path: string, maxBytes: number): Promise<{ node: TreeNode; bytes: Buffer } | null> {
    const resolved = this.resolve(path, true);
    const found = resolved === null ? undefined : this.nodes.get(resolved);
    if (found === undefined || found.kind !== 'file') return null;
    const node = this.data(found);
    const dataPath = found.hardlink ?? resolved ?? path;
    const bytes =
      node.content !== null
        ? node.content.subarray(0, maxBytes)
        : await this.reread(dataPath, node, maxBytes);
    return { node, bytes };
  }

  private statNode(path: string): { full: string; node: TreeNode } | null {
    const normal = posix.normalize(path);
    if (normal === '/') return { full: '/', node: this.nodes.get('/') as TreeNode };
    const parent = this.resolve(posix.dirname(normal), true);
    if (parent === null) return null;
    const full = posix.join(parent, posix.basename(normal));
    const node = this.nodes.get(full);
    return node === undefined ? null : { full, node };
  }

  // ImageFs: what detection (cli/inspect/detect.ts) reads.

  stat(path: string): Promise<PathStat | null> {
    this.calls += 1;
    const found = this.statNode(path);
    if (found === null) return Promise.resolve(null);
    const { full, node } = found;
    const linkTarget =
      node.kind === 'symlink'
        ? (this.resolve(full, true) ?? posix.resolve(posix.dirname(full), node.target ?? ''))
        : null;
    return Promise.resolve({
      path,
      kind: node.kind,
      mode: node.mode,
      size: this.data(node).size,
      linkTarget,
    });
  }

  async readFile(path: string, maxBytes: number): Promise<FileRead | null> {
    this.calls += 1;
    const got = await this.content(path, maxBytes);
    if (got === null) return null;
    const { node, bytes } = got;
    return {
      path: this.resolve(path, true) ?? path,
      content: bytes,
      uid: node.uid,
      gid: node.gid,
      mode: node.mode,
      truncated: bytes.length < node.size,
    };
  }

  /** The same tree as the build reads it (cli/build/runtime-layer.ts). */
  fileReader(): ImageFileReader {
    const info = (node: TreeNode): PathInfo => ({
      type: node.kind === 'dir' ? 'directory' : node.kind,
      mode: node.mode,
      uid: node.uid,
      gid: node.gid,
      mtime: node.mtime,
      linkname: node.kind === 'symlink' ? node.target : null,
    });
    return {
      stat: (path) => {
        const found = this.statNode(path);
        return Promise.resolve(found === null ? null : info(found.node));
      },
      readFile: async (path) => {
        const got = await this.content(path, Number.MAX_SAFE_INTEGER);
        if (got !== null) return { info: info(got.node), content: got.bytes };
        const found = this.statNode(path);
        if (found === null) return null;
        throw new Error(`${path} is a ${info(found.node).type}, not a regular file`);
      },
    };
  }

  list(dir: string, options: ListOptions): Promise<DirListing | null> {
    this.calls += 1;
    const resolved = this.resolve(dir, true);
    if (resolved === null || this.nodes.get(resolved)?.kind !== 'dir') return Promise.resolve(null);
    const entries: ListedEntry[] = [];
    let bytes = 0;
    let truncated = false;
    const walk = (at: string, prefix: string, depth: number): void => {
      for (const name of [...(this.children.get(at) ?? [])].sort()) {
        if (truncated) return;
        const path = posix.join(at, name);
        const node = this.nodes.get(path);
        if (node === undefined) continue;
        bytes += 512 + (node.kind === 'file' ? node.size : 0);
        if (bytes > options.maxBytes) {
          truncated = true;
          return;
        }
        const relative = prefix === '' ? name : `${prefix}/${name}`;
        if (depth <= options.maxDepth) entries.push({ name: relative, kind: node.kind, size: node.size });
        if (node.kind === 'dir' && depth < options.maxDepth) walk(path, relative, depth + 1);
      }
    };
    walk(resolved, '', 1);
    return Promise.resolve({ entries, truncated });
  }
}
