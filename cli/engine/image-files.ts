/**
 * Reads paths of an image without running it: a container is created (never started) and the
 * engine's archive API (GET /containers/{id}/archive) hands out one path as a tar. `stat` reads only
 * the first header (the path itself, a symlink not followed) and drops the rest of the stream, so a
 * directory as large as /usr costs one header. `close()` removes the container.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { statusCode } from './engine-stream.ts';

/** Type, owner, permission bits and mtime (seconds) of a path in an image. */
export interface PathInfo {
  type: 'directory' | 'file' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string | null;
}

function toInfo(header: tar.Header): PathInfo {
  const type =
    header.type === 'directory' || header.type === 'file' || header.type === 'symlink'
      ? header.type
      : header.type === 'contiguous-file'
        ? 'file'
        : 'other';
  return {
    type,
    mode: header.mode & 0o7777,
    uid: header.uid,
    gid: header.gid,
    mtime: Math.floor(header.mtime.getTime() / 1000),
    linkname: header.linkname || null,
  };
}

async function firstEntry(
  stream: Readable,
  withContent: boolean,
): Promise<{ info: PathInfo; content: Buffer | null } | null> {
  const extract = tar.extract();
  stream.on('error', (error) => extract.destroy(error));
  stream.pipe(extract);
  try {
    for await (const entry of extract) {
      let content: Buffer | null = null;
      if (withContent) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        content = Buffer.concat(chunks);
      }
      return { info: toInfo(entry.header), content };
    }
    return null;
  } finally {
    stream.unpipe(extract);
    stream.destroy();
  }
}

export class ImageFiles {
  private readonly container: Docker.Container;
  /** The image these paths are read from. */
  readonly image: string;

  private constructor(container: Docker.Container, image: string) {
    this.container = container;
    this.image = image;
  }

  /** Creates the (stopped) container to read from; `labels` mark it (tests label theirs). */
  static async open(docker: Docker, image: string, labels: Record<string, string> = {}): Promise<ImageFiles> {
    const container = await docker.createContainer({
      Image: image,
      // Never run: a command is only needed because images without CMD cannot be created otherwise.
      Entrypoint: ['/hubify-never-runs'],
      Cmd: [],
      NetworkDisabled: true,
      Labels: { 'org.hubify.purpose': 'read-image-files', ...labels },
    });
    return new ImageFiles(container, image);
  }

  private async archive(
    path: string,
    withContent: boolean,
  ): Promise<{ info: PathInfo; content: Buffer | null } | null> {
    let stream: Readable;
    try {
      stream = (await this.container.getArchive({ path })) as unknown as Readable;
    } catch (error) {
      if (statusCode(error) === 404) return null;
      throw error;
    }
    return firstEntry(stream, withContent);
  }

  /** Metadata of `path` (lstat: a symlink is reported as one), or null when it does not exist. */
  async stat(path: string): Promise<PathInfo | null> {
    return (await this.archive(path, false))?.info ?? null;
  }

  /** A regular file's metadata and bytes, or null when it does not exist; throws when it is not a file. */
  async readFile(path: string): Promise<{ info: PathInfo; content: Buffer } | null> {
    const found = await this.archive(path, true);
    if (found === null) return null;
    if (found.info.type !== 'file' || found.content === null)
      throw new Error(`${path} in ${this.image} is a ${found.info.type}, not a regular file`);
    return { info: found.info, content: found.content };
  }

  async close(): Promise<void> {
    await this.container.remove({ force: true, v: true }).catch((error: unknown) => {
      if (statusCode(error) !== 404) throw error;
    });
  }
}
