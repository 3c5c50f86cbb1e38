// A small dockerode wrapper for the container tests and the fixture-image builder (test/images/).
// It talks to a real Docker engine: test/setup/docker-engine.sh installs and starts one. A missing
// engine is an error that says what was tried and how to get one, never a reason to skip.
import { randomBytes } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { inspectLocalImage } from '../../cli/engine/pull-image.ts';

/** Every container a test starts carries this label, valued with the test run's id. */
export const TEST_RUN_LABEL = 'org.hubify.test-run';

/** The script that installs and starts a Docker engine on the test machines. */
export const ENGINE_SCRIPT = 'test/setup/docker-engine.sh';

/** Where dockerode will connect: DOCKER_HOST when set, else the default unix socket. */
export function describeEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST;
  return host ? `DOCKER_HOST=${host}` : 'unix:///var/run/docker.sock (DOCKER_HOST unset)';
}

export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
}

let shared: Docker | undefined;

/** How long a ping may take before the engine counts as not answering. */
export const PING_TIMEOUT_MS = 10_000;

/**
 * Connects to the Docker engine and pings it. Throws DockerUnavailableError naming the endpoint that
 * was tried, the underlying error, and the script that starts an engine. The client is shared.
 * A ping unanswered within PING_TIMEOUT_MS (a hung daemon) counts as no engine.
 */
export async function connectDocker(): Promise<Docker> {
  const docker = shared ?? new Docker();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer to ping within ${PING_TIMEOUT_MS} ms`)),
          PING_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new DockerUnavailableError(
      `no Docker engine answered at ${describeEndpoint()}: ${why}. ` +
        `Start one with: bash ${ENGINE_SCRIPT} (installs docker.io and starts dockerd, as root)`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
  shared = docker;
  return docker;
}

/** A fresh id for one test run's containers (the value of TEST_RUN_LABEL). */
export function newTestRunId(prefix = 'hubify'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

function statusCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const code = error.statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

/** The inspect record of an image by tag or id, or undefined when the engine has no such image. */
export const inspectImage = inspectLocalImage;

/** Whether the engine has an image with this tag (or id). Never pulls. */
export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return (await inspectImage(docker, ref)) !== undefined;
}

/** One event of a build/import progress stream (JSON lines from the engine). */
export interface ProgressEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Reads an engine progress stream to its end. Calls `onLine` with each non-empty text line, and
 * rejects with the engine's message when an event carries an error (a failed RUN step, say).
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onLine: (line: string) => void = () => {},
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: ProgressEvent[]) => {
        if (error) return reject(error);
        const failed = output.find((event) => event.error || event.errorDetail);
        if (failed)
          return reject(new Error(failed.errorDetail?.message ?? failed.error ?? 'engine reported an error'));
        resolve(output);
      },
      (event: ProgressEvent) => {
        const text =
          event.stream ??
          (event.status ? `${event.status}${event.progress ? ` ${event.progress}` : ''}` : '');
        for (const line of text.split('\n')) {
          const trimmed = line.trimEnd();
          if (trimmed) onLine(trimmed);
        }
        if (event.error) onLine(`ERROR: ${event.errorDetail?.message ?? event.error}`);
      },
    );
  });
}

/** A file of a build context: its path inside the context, contents and mode. */
export interface ContextFile {
  path: string;
  content: Buffer;
  mode: number;
}

/**
 * The files of a directory, sorted by path, with mode 755 or 644 (symlinks are followed;
 * directories are implied). Used both to pack a build context and to hash a recipe.
 */
export async function readContextDir(dir: string): Promise<ContextFile[]> {
  const files: ContextFile[] = [];
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      const info = await stat(full);
      const content = await readFile(full);
      // Only the executable bit counts (as in git), so a checkout's umask changes no hash.
      const mode = info.mode & 0o111 ? 0o755 : 0o644;
      files.push({ path: relative(dir, full).split(sep).join('/'), content, mode });
    }
  };
  await walk(dir);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A tar stream of context files, with fixed owner and mtime so equal inputs give equal bytes. */
export function packContext(files: readonly ContextFile[]): Readable {
  const pack = tar.pack();
  const mtime = new Date('2000-01-01T00:00:00Z');
  for (const file of files) {
    pack.entry(
      { name: file.path, mode: file.mode, mtime, uid: 0, gid: 0, size: file.content.length },
      file.content,
    );
  }
  pack.finalize();
  // tar-stream's pack is a streamx stream; hand the engine client a Node stream.
  return pack.pipe(new PassThrough());
}

export interface BuildOptions {
  /** The build context: the files of a recipe directory (see readContextDir). */
  context: readonly ContextFile[];
  /** Tags to give the result, e.g. ['hubify-fixture/debian:0123abcd', 'hubify-fixture/debian:latest']. */
  tags: readonly string[];
  /** Image labels added at build time. */
  labels?: Record<string, string>;
  /** Network for RUN steps; 'host' is what lets apt reach the archive on the test machines. */
  networkMode?: string;
  /** Build arguments. */
  buildArgs?: Record<string, string>;
  /** Receives each progress line (step headers and RUN output). */
  onLine?: (line: string) => void;
}

/** The result of a build: the image id and how long it took. */
export interface BuildResult {
  id: string;
  durationMs: number;
}

/**
 * Builds an image from an in-memory context with the classic builder (no pull: FROM must name a
 * local image), then adds the remaining tags. Rejects with the engine's message on a failed step.
 */
export async function buildImage(docker: Docker, options: BuildOptions): Promise<BuildResult> {
  const [firstTag, ...moreTags] = options.tags;
  if (!firstTag) throw new Error('buildImage: at least one tag is needed');
  const started = Date.now();
  const stream = await docker.buildImage(packContext(options.context), {
    t: firstTag,
    labels: options.labels ?? {},
    networkmode: options.networkMode ?? 'default',
    buildargs: options.buildArgs ?? {},
    rm: true,
    forcerm: true,
    pull: false,
  });
  await followProgress(docker, stream, options.onLine);
  const info = await inspectImage(docker, firstTag);
  if (!info) throw new Error(`buildImage: the build of ${firstTag} ended but the engine has no such image`);
  for (const tag of moreTags) await tagImage(docker, info.Id, tag);
  return { id: info.Id, durationMs: Date.now() - started };
}

/** Gives an existing image (by id or tag) another `repo:tag` name. */
export async function tagImage(docker: Docker, source: string, target: string): Promise<void> {
  const colon = target.lastIndexOf(':');
  const hasTag = colon > target.lastIndexOf('/');
  await docker.getImage(source).tag({
    repo: hasTag ? target.slice(0, colon) : target,
    tag: hasTag ? target.slice(colon + 1) : 'latest',
  });
}

/**
 * `docker import`: makes an image from a root filesystem tar stream. `changes` are Dockerfile lines
 * (CMD, ENV, USER, WORKDIR, ...). Returns the image id.
 */
export async function importRootfs(
  docker: Docker,
  rootfs: NodeJS.ReadableStream,
  options: { repo: string; tag: string; changes?: string[]; onLine?: (line: string) => void },
): Promise<string> {
  const stream = await docker.importImage(rootfs, {
    repo: options.repo,
    tag: options.tag,
    changes: options.changes ?? [],
  });
  await followProgress(docker, stream, options.onLine);
  const info = await inspectImage(docker, `${options.repo}:${options.tag}`);
  if (!info)
    throw new Error(`importRootfs: the import of ${options.repo}:${options.tag} ended without an image`);
  return info.Id;
}

export interface RunOptions {
  image: string;
  /** The command (replaces the image CMD). */
  cmd?: string[];
  /** Replaces the image ENTRYPOINT when given ([] clears it). */
  entrypoint?: string[];
  /** User to run as (name, uid or uid:gid); the image's USER when omitted. */
  user?: string;
  /** Extra environment, NAME=value. */
  env?: Record<string, string>;
  /** The test run's id, for TEST_RUN_LABEL (required: every test container is labelled). */
  testRunId: string;
  /** More labels. */
  labels?: Record<string, string>;
  /** 'none' unless told: the checks need no network. */
  networkMode?: string;
  /** Kill the container after this long (default 60 s). */
  timeoutMs?: number;
  /** Volumes or binds to mount (engine `HostConfig.Mounts`). */
  mounts?: Docker.MountSettings[];
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * `docker run --rm`: creates a labelled container, runs it to its end, collects stdout and stderr
 * separately, removes it, and returns the exit code. A run past `timeoutMs` is killed
 * (`timedOut: true`, exit code as the engine reports it).
 */
export async function runContainer(docker: Docker, options: RunOptions): Promise<RunResult> {
  const container = await docker.createContainer({
    Image: options.image,
    ...(options.cmd ? { Cmd: options.cmd } : {}),
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
    ...(options.user !== undefined ? { User: options.user } : {}),
    Env: Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${value}`),
    Labels: { ...options.labels, [TEST_RUN_LABEL]: options.testRunId },
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      NetworkMode: options.networkMode ?? 'none',
      ...(options.mounts ? { Mounts: options.mounts } : {}),
    },
  });
  try {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const attached = await container.attach({ stream: true, stdout: true, stderr: true });
    const ended = new Promise<void>((resolve) => {
      attached.on('end', resolve);
      attached.on('close', resolve);
      attached.on('error', () => resolve());
    });
    docker.modem.demuxStream(attached, stdout, stderr);
    await container.start();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      container.kill().catch(() => {});
    }, options.timeoutMs ?? 60_000);
    let exitCode: number;
    try {
      const waited = (await container.wait()) as { StatusCode: number };
      exitCode = waited.StatusCode;
    } finally {
      clearTimeout(timer);
    }
    await ended;
    return {
      exitCode,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      timedOut,
    };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** Removes (force) every container carrying label `key=value`; returns how many there were. */
export async function removeContainersByLabel(docker: Docker, key: string, value: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${key}=${value}`] } });
  await Promise.all(
    containers.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch((error: unknown) => {
          if (statusCode(error) !== 404) throw error;
        }),
    ),
  );
  return containers.length;
}
