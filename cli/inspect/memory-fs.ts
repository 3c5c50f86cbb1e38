/**
 * An `ImageFs` over an in-memory file tree, with the engine's semantics (a final symlink is not
 * followed by `stat`, its `linkTarget` is fully resolved; `readFile` and `list` follow symlinks). Used
 * by the unit tests to drive detection without an engine.
 */
import { posix } from 'node:path';
import type { DirListing, FileRead, ImageFs, ListOptions, ListedEntry, PathStat } from './image-fs.ts';

export type MemoryNode =
  | { kind: 'file'; content?: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { kind: 'dir'; mode?: number }
  | { kind: 'symlink'; target: string };

/** A file tree: absolute path to node. Parent directories need not be listed. */
export type MemoryTree = Record<string, MemoryNode | string>;

const MAX_HOPS = 16;

/** What `resolveSymlinks` needs to know of a path: whether it exists, and a symlink's target. */
export type PathLookup = (path: string) => { kind: string; target?: string } | undefined;

/**
 * Resolves every symlink in an absolute `path` (the last one too when `followLast`) against a file
 * tree given by `lookup`, as the kernel would inside the image; null when a part is missing or the
 * links loop.
 */
export function resolveSymlinks(
  path: string,
  followLast: boolean,
  lookup: PathLookup,
  hops = 0,
): string | null {
  if (hops > MAX_HOPS) return null;
  const parts = posix
    .normalize(path)
    .split('/')
    .filter((part) => part !== '');
  let current = '/';
  for (const [index, part] of parts.entries()) {
    const next = posix.join(current, part);
    const node = lookup(next);
    if (node === undefined) return null;
    const last = index === parts.length - 1;
    if (node.kind === 'symlink' && node.target !== undefined && (!last || followLast)) {
      const target = resolveSymlinks(posix.resolve(current, node.target), true, lookup, hops + 1);
      if (target === null) return null;
      current = target;
    } else {
      current = next;
    }
  }
  return current;
}

export class MemoryImageFs implements ImageFs {
  /** Requests answered so far. */
  calls = 0;
  private readonly nodes = new Map<string, MemoryNode>();

  /** A string value is shorthand for a regular file with that content (mode 0644). */
  constructor(tree: MemoryTree) {
    this.nodes.set('/', { kind: 'dir' });
    for (const [path, node] of Object.entries(tree)) {
      const normal = posix.normalize(path);
      this.nodes.set(normal, typeof node === 'string' ? { kind: 'file', content: node } : node);
      for (let dir = posix.dirname(normal); !this.nodes.has(dir); dir = posix.dirname(dir)) {
        this.nodes.set(dir, { kind: 'dir' });
      }
    }
  }

  /** Resolves every symlink in `path` (the last one too when `followLast`); null when missing. */
  private resolve(path: string, followLast: boolean): string | null {
    return resolveSymlinks(path, followLast, (at) => this.nodes.get(at));
  }

  stat(path: string): Promise<PathStat | null> {
    this.calls += 1;
    const resolved = this.resolve(path, false);
    const node = resolved === null ? undefined : this.nodes.get(resolved);
    if (resolved === null || node === undefined) return Promise.resolve(null);
    if (node.kind === 'symlink') {
      const target = this.resolve(resolved, true);
      return Promise.resolve({
        path,
        kind: 'symlink',
        mode: 0o777,
        size: node.target.length,
        linkTarget: target ?? posix.resolve(posix.dirname(resolved), node.target),
      });
    }
    if (node.kind === 'dir') {
      return Promise.resolve({ path, kind: 'dir', mode: node.mode ?? 0o755, size: 4096, linkTarget: null });
    }
    const size = node.content === undefined ? 0 : Buffer.byteLength(node.content);
    return Promise.resolve({ path, kind: 'file', mode: node.mode ?? 0o644, size, linkTarget: null });
  }

  readFile(path: string, maxBytes: number): Promise<FileRead | null> {
    this.calls += 1;
    const resolved = this.resolve(path, true);
    const node = resolved === null ? undefined : this.nodes.get(resolved);
    if (resolved === null || node?.kind !== 'file') return Promise.resolve(null);
    const all = Buffer.from(node.content ?? '');
    return Promise.resolve({
      path: resolved,
      content: all.subarray(0, maxBytes),
      uid: node.uid ?? 0,
      gid: node.gid ?? 0,
      mode: node.mode ?? 0o644,
      truncated: all.length > maxBytes,
    });
  }

  list(dir: string, options: ListOptions): Promise<DirListing | null> {
    this.calls += 1;
    const resolved = this.resolve(dir, true);
    if (resolved === null || this.nodes.get(resolved)?.kind !== 'dir') return Promise.resolve(null);
    const prefix = resolved === '/' ? '/' : `${resolved}/`;
    const entries: ListedEntry[] = [];
    let bytes = 0;
    let truncated = false;
    for (const path of [...this.nodes.keys()].sort()) {
      if (!path.startsWith(prefix) || path === resolved) continue;
      const name = path.slice(prefix.length);
      const node = this.nodes.get(path);
      if (node === undefined) continue;
      const size = node.kind === 'file' ? Buffer.byteLength(node.content ?? '') : 0;
      bytes += 512 + size;
      if (bytes > options.maxBytes) {
        truncated = true;
        break;
      }
      if (name.split('/').length > options.maxDepth) continue;
      entries.push({ name, kind: node.kind, size });
    }
    return Promise.resolve({ entries, truncated });
  }
}
