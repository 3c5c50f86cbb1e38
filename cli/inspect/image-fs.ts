/**
 * Read-only access to an image's filesystem without running anything from it. `EngineImageFs` asks
 * the Docker engine's archive API about a created-but-never-started container: `HEAD .../archive`
 * (stat only, from the `X-Docker-Container-Path-Stat` header, about 2 ms) and `GET .../archive` (a tar
 * stream, about 45 ms because the engine forks a helper for each one). Detection stats first and reads
 * only what exists, so an inspect needs a few dozen stats and about ten reads.
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import tar from 'tar-stream';

export type PathKind = 'file' | 'dir' | 'symlink' | 'other';

export interface PathStat {
  /** The path as asked. */
  path: string;
  kind: PathKind;
  /** Permission bits (0o777 plus setuid/setgid/sticky as 0o7000). */
  mode: number;
  size: number;
  /** For a symlink: its target, fully resolved to an absolute path inside the image; else null. */
  linkTarget: string | null;
}

export interface FileRead {
  /** The path of the file actually read (after following symlinks). */
  path: string;
  content: Buffer;
  uid: number;
  gid: number;
  mode: number;
  /** True when the file is longer than the bytes asked for. */
  truncated: boolean;
}

export interface ListedEntry {
  /** Path below the listed directory, without a leading or trailing slash (`hello/app.R`). */
  name: string;
  kind: PathKind;
  size: number;
}

export interface DirListing {
  entries: ListedEntry[];
  /** True when the listing stopped at its byte budget (entries after that point are missing). */
  truncated: boolean;
}

export interface ListOptions {
  /** Deepest entry kept: 1 = direct children. */
  maxDepth: number;
  /** Stop reading the engine's tar stream after this many bytes. */
  maxBytes: number;
}

/** What detection needs from an image's filesystem. Every method answers null for a missing path. */
export interface ImageFs {
  /** Stats a path without following a final symlink (intermediate ones are followed). */
  stat(path: string): Promise<PathStat | null>;
  /** Reads up to `maxBytes` of a regular file, following symlinks; null when missing or not a file. */
  readFile(path: string, maxBytes: number): Promise<FileRead | null>;
  /** Lists a directory (following a symlink to it); null when missing or not a directory. */
  list(dir: string, options: ListOptions): Promise<DirListing | null>;
}

/** The engine refused a filesystem request for another reason than "no such path". */
export class ImageFsError extends Error {
  override readonly name = 'ImageFsError';
}

const MAX_SYMLINK_HOPS = 8;

/** Go `os.FileMode` bits as the engine sends them in the path-stat header. */
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_TYPE_BITS = [2 ** 26, 2 ** 25, 2 ** 24, 2 ** 21, 2 ** 19]; // device, pipe, socket, char, irregular
const GO_MODE_SETUID = 2 ** 23;
const GO_MODE_SETGID = 2 ** 22;
const GO_MODE_STICKY = 2 ** 20;

function hasBit(mode: number, bit: number): boolean {
  return Math.floor(mode / bit) % 2 === 1;
}

/** Decodes the engine's path-stat `mode` (a Go FileMode) into a kind and Unix permission bits. */
export function decodeGoFileMode(mode: number): { kind: PathKind; permissions: number } {
  const kind: PathKind = hasBit(mode, GO_MODE_DIR)
    ? 'dir'
    : hasBit(mode, GO_MODE_SYMLINK)
      ? 'symlink'
      : GO_MODE_TYPE_BITS.some((bit) => hasBit(mode, bit))
        ? 'other'
        : 'file';
  let permissions = mode % 0o1000;
  if (hasBit(mode, GO_MODE_SETUID)) permissions += 0o4000;
  if (hasBit(mode, GO_MODE_SETGID)) permissions += 0o2000;
  if (hasBit(mode, GO_MODE_STICKY)) permissions += 0o1000;
  return { kind, permissions };
}

function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function tarKind(type: string | null | undefined): PathKind {
  if (type === 'file' || type === 'contiguous-file') return 'file';
  if (type === 'directory') return 'dir';
  if (type === 'symlink') return 'symlink';
  return 'other';
}

/** A small counting semaphore: the engine serialises archive requests per container anyway. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

interface TarEntry {
  name: string;
  kind: PathKind;
  size: number;
  uid: number;
  gid: number;
  mode: number;
  linkname: string | null;
  content: Buffer | null;
  truncated: boolean;
}

/**
 * Reads a tar stream entry by entry. `keepContent(index)` says how many bytes of an entry's data to
 * keep (0: none). Stops (and destroys the source) after `maxBytes` of tar data or when `stopAfter`
 * entries were seen.
 */
function readTar(
  source: Readable,
  options: { maxBytes: number; stopAfter: number; keepBytes: number },
): Promise<{ entries: TarEntry[]; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    const entries: TarEntry[] = [];
    let received = 0;
    let settled = false;
    const finish = (truncated: boolean): void => {
      if (settled) return;
      settled = true;
      source.unpipe(extract);
      source.destroy();
      extract.destroy();
      resolve({ entries, truncated });
    };
    source.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > options.maxBytes) finish(true);
    });
    source.on('error', (error) => {
      if (!settled) {
        settled = true;
        extract.destroy();
        reject(error);
      }
    });
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let done = false;
      const keep = (truncated: boolean): void => {
        if (done) return;
        done = true;
        entries.push({
          name: header.name,
          kind: tarKind(header.type),
          size: header.size ?? 0,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          mode: (header.mode ?? 0) % 0o10000,
          linkname: header.linkname ?? null,
          content: options.keepBytes > 0 ? Buffer.concat(chunks) : null,
          truncated,
        });
      };
      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        if (done || options.keepBytes === 0) return;
        const room = options.keepBytes - kept;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        kept += Math.min(room, chunk.length);
        // Enough of the last wanted entry: stop without reading the rest of it.
        if (chunk.length > room) {
          keep(true);
          if (entries.length >= options.stopAfter) finish(false);
        }
      });
      stream.on('end', () => {
        keep(false);
        if (entries.length >= options.stopAfter) finish(false);
        else next();
      });
    });
    extract.on('finish', () => finish(false));
    extract.on('error', (error) => {
      if (!settled) {
        settled = true;
        source.destroy();
        reject(error);
      }
    });
    source.pipe(extract);
  });
}

/**
 * The filesystem of a container the caller created (and never starts), read through the engine's
 * archive API. Stats are cached; at most `concurrency` requests are in flight.
 */
export class EngineImageFs implements ImageFs {
  /** Engine requests made so far (stats and reads), for budgets and tests. */
  calls = 0;
  private readonly stats = new Map<string, Promise<PathStat | null>>();
  private readonly limiter: Limiter;
  private readonly container: Dockerode.Container;

  constructor(container: Dockerode.Container, concurrency = 4) {
    this.container = container;
    this.limiter = new Limiter(concurrency);
  }

  stat(path: string): Promise<PathStat | null> {
    const normal = posix.normalize(path);
    let cached = this.stats.get(normal);
    if (cached === undefined) {
      cached = this.limiter.run(() => this.statNow(normal));
      this.stats.set(normal, cached);
    }
    return cached;
  }

  private async statNow(path: string): Promise<PathStat | null> {
    this.calls += 1;
    let response: { headers: Record<string, string | string[] | undefined>; resume?: () => void };
    try {
      response = (await this.container.infoArchive({ path })) as typeof response;
    } catch (error) {
      if (statusCode(error) === 404) return null;
      throw new ImageFsError(`cannot stat ${path}: ${describe(error)}`, { cause: error });
    }
    response.resume?.();
    const header = response.headers['x-docker-container-path-stat'];
    if (typeof header !== 'string')
      throw new ImageFsError(`cannot stat ${path}: the engine sent no path stat`);
    const raw = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
      size?: number;
      mode?: number;
      linkTarget?: string;
    };
    const { kind, permissions } = decodeGoFileMode(raw.mode ?? 0);
    return {
      path,
      kind,
      mode: permissions,
      size: raw.size ?? 0,
      linkTarget: kind === 'symlink' && raw.linkTarget ? raw.linkTarget : null,
    };
  }

  private async archive(
    path: string,
    options: { maxBytes: number; stopAfter: number; keepBytes: number },
  ): Promise<{ entries: TarEntry[]; truncated: boolean } | null> {
    return this.limiter.run(async () => {
      this.calls += 1;
      let stream: Readable;
      try {
        stream = (await this.container.getArchive({ path })) as Readable;
      } catch (error) {
        const code = statusCode(error);
        // 404: no such path; 500 "not a directory": a file where a directory was expected.
        if (code === 404 || (code === 500 && /not a directory/i.test(describe(error)))) return null;
        throw new ImageFsError(`cannot read ${path}: ${describe(error)}`, { cause: error });
      }
      try {
        return await readTar(stream, options);
      } catch (error) {
        throw new ImageFsError(`cannot read ${path}: ${describe(error)}`, { cause: error });
      }
    });
  }

  async readFile(path: string, maxBytes: number): Promise<FileRead | null> {
    // Stat first (cheap): a missing file costs no archive request, a symlink is read at its target.
    let current = posix.normalize(path);
    for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop += 1) {
      const info = await this.stat(current);
      if (info === null || info.kind === 'dir' || info.kind === 'other') return null;
      if (info.kind === 'symlink') {
        if (info.linkTarget === null) return null;
        current = info.linkTarget;
        continue;
      }
      const result = await this.archive(current, {
        maxBytes: Number.POSITIVE_INFINITY,
        stopAfter: 1,
        keepBytes: maxBytes,
      });
      const entry = result?.entries[0];
      if (entry?.kind !== 'file' || entry.content === null) return null;
      return {
        path: current,
        content: entry.content,
        uid: entry.uid,
        gid: entry.gid,
        mode: entry.mode,
        truncated: entry.truncated || entry.content.length < entry.size,
      };
    }
    return null;
  }

  async list(dir: string, options: ListOptions): Promise<DirListing | null> {
    // A trailing slash makes the engine follow a symlink to the directory.
    const result = await this.archive(`${posix.normalize(dir).replace(/\/$/, '')}/`, {
      maxBytes: options.maxBytes,
      stopAfter: Number.POSITIVE_INFINITY,
      keepBytes: 0,
    });
    if (result === null) return null;
    const [first, ...rest] = result.entries;
    if (first === undefined || first.kind !== 'dir') return null;
    const entries: ListedEntry[] = [];
    for (const entry of rest) {
      // Entries are named "<dir basename>/<path below it>[/]".
      const slash = entry.name.indexOf('/');
      const name = entry.name.slice(slash + 1).replace(/\/$/, '');
      if (name === '' || name.split('/').length > options.maxDepth) continue;
      entries.push({ name, kind: entry.kind, size: entry.size });
    }
    return { entries, truncated: result.truncated };
  }
}
