/**
 * An `ImageFs` over the filesystem of the machine it runs on: what `hubify-detect` uses when it runs
 * inside an image during a Docker build (the appendix's or a Dockerfile's `RUN`), where the image's
 * filesystem is simply `/`. Same semantics as the engine's archive API and `MemoryImageFs`: `stat`
 * does not follow a final symlink and reports its target fully resolved; `readFile` and `list` follow
 * symlinks. Symlinks are resolved against `root` by the same walk as the in-memory tree's
 * (`resolveSymlinks`), so an absolute link never leaves it (tests use a temporary directory as root).
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveSymlinks } from '../../inspect/memory-fs.ts';
import type {
  DirListing,
  FileRead,
  ImageFs,
  ListOptions,
  ListedEntry,
  PathKind,
  PathStat,
} from '../../inspect/image-fs.ts';

/** What a listed entry costs in the listing's byte budget (a tar header, as the engine's stream). */
const ENTRY_COST = 512;

function kindOf(info: Stats): PathKind {
  if (info.isDirectory()) return 'dir';
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isFile()) return 'file';
  return 'other';
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP';
}

export class LocalImageFs implements ImageFs {
  private readonly root: string;

  /** `root`: the directory that is `/` of the image (default the real `/`). */
  constructor(root = '/') {
    this.root = posix.resolve(root);
  }

  private host(path: string): string {
    return posix.join(this.root, path);
  }

  private async lstatOrNull(path: string): Promise<Stats | null> {
    try {
      return await lstat(this.host(path));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  /** What `resolveSymlinks` needs to know of a path: its kind and, for a link, its target. */
  private lookup(path: string): { kind: string; target?: string } | undefined {
    let info: Stats;
    try {
      info = lstatSync(this.host(path));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return info.isSymbolicLink()
      ? { kind: 'symlink', target: readlinkSync(this.host(path)) }
      : { kind: kindOf(info) };
  }

  /** Resolves every symlink in `path` (the last one too when `followLast`); null when missing. */
  private resolve(path: string, followLast: boolean): string | null {
    return resolveSymlinks(posix.resolve('/', path), followLast, (part) => this.lookup(part));
  }

  async stat(path: string): Promise<PathStat | null> {
    const resolved = this.resolve(path, false);
    if (resolved === null) return null;
    const info = await this.lstatOrNull(resolved);
    if (info === null) return null;
    const kind = kindOf(info);
    if (kind === 'symlink') {
      const target = await readlink(this.host(resolved));
      const linkTarget = this.resolve(resolved, true) ?? posix.resolve(posix.dirname(resolved), target);
      return { path, kind, mode: 0o777, size: target.length, linkTarget };
    }
    return { path, kind, mode: info.mode & 0o7777, size: info.size, linkTarget: null };
  }

  async readFile(path: string, maxBytes: number): Promise<FileRead | null> {
    const resolved = this.resolve(path, true);
    if (resolved === null) return null;
    const info = await this.lstatOrNull(resolved);
    if (info === null || !info.isFile()) return null;
    const handle = await open(this.host(resolved), 'r');
    try {
      const buffer = Buffer.alloc(Math.min(maxBytes, info.size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return {
        path: resolved,
        content: buffer.subarray(0, bytesRead),
        uid: info.uid,
        gid: info.gid,
        mode: info.mode & 0o7777,
        truncated: info.size > maxBytes,
      };
    } finally {
      await handle.close();
    }
  }

  async list(dir: string, options: ListOptions): Promise<DirListing | null> {
    const resolved = this.resolve(dir, true);
    if (resolved === null) return null;
    const info = await this.lstatOrNull(resolved);
    if (info === null || !info.isDirectory()) return null;
    const entries: ListedEntry[] = [];
    let bytes = 0;
    let truncated = false;
    // Depth first in name order, never following symlinks below `dir` (as a tar of it would not).
    const walk = async (relative: string, depth: number): Promise<void> => {
      const names = (await readdir(this.host(posix.join(resolved, relative)))).sort();
      for (const name of names) {
        if (truncated) return;
        const child = relative === '' ? name : `${relative}/${name}`;
        const childInfo = await this.lstatOrNull(posix.join(resolved, child));
        if (childInfo === null) continue;
        const kind = kindOf(childInfo);
        const size = kind === 'file' ? childInfo.size : 0;
        bytes += ENTRY_COST + size;
        if (bytes > options.maxBytes) {
          truncated = true;
          return;
        }
        entries.push({ name: child, kind, size });
        if (kind === 'dir' && depth < options.maxDepth) await walk(child, depth + 1);
      }
    };
    await walk('', 1);
    return { entries, truncated };
  }
}
