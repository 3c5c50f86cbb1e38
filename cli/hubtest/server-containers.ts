/**
 * Runs the image under test as users' servers, as DockerSpawner/KubeSpawner would: host network,
 * the hub's environment, `JUPYTERHUB_SERVICE_URL` on a free 127.0.0.1 port, and either the spawner's
 * command (`jupyterhub-singleuser` + args) or the image's own CMD (`--use-image-cmd`). Every
 * container is labelled with the run id; stopping records how the container ended, then removes it.
 */
import { createServer } from 'node:net';
import type Docker from 'dockerode';
import type { ControlHandler, SpawnRequest } from './control-server.ts';

export const RUN_LABEL = 'org.hubify.test-run';
/** Seconds a server has to exit after SIGTERM before the engine kills it. */
export const STOP_GRACE_SECONDS = 10;

export interface StopRecord {
  /** Milliseconds from the stop request until the container no longer ran. */
  ms: number;
  running: boolean;
  exitCode: number | null;
}

export interface ServerContainer {
  key: string;
  id: string;
  port: number;
  prefix: string;
  stopped: StopRecord | null;
  /** Container output kept when it was removed. */
  logs: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The container command for a spawn request: undefined means the image's own CMD. */
export function containerCommand(request: SpawnRequest, useImageCmd: boolean): string[] | undefined {
  if (useImageCmd) return undefined;
  return [...request.cmd, ...request.args];
}

export async function containerLogs(docker: Docker, id: string, tail = 200): Promise<string> {
  try {
    const buffer = await docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false });
    return demux(buffer);
  } catch {
    return '';
  }
}

/** Docker's multiplexed log stream (8-byte frame headers) as text; plain text is passed through. */
export function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    if (kind !== 0 && kind !== 1 && kind !== 2) return buffer.toString('utf8');
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return parts.length === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

export class ServerContainers implements ControlHandler {
  readonly servers = new Map<string, ServerContainer>();
  readonly #docker: Docker;
  readonly #image: string;
  readonly #runId: string;
  readonly #useImageCmd: boolean;
  readonly #extraEnv: Record<string, string>;

  constructor(
    docker: Docker,
    options: { image: string; runId: string; useImageCmd: boolean; extraEnv?: Record<string, string> },
  ) {
    this.#docker = docker;
    this.#image = options.image;
    this.#runId = options.runId;
    this.#useImageCmd = options.useImageCmd;
    this.#extraEnv = options.extraEnv ?? {};
  }

  async start(request: SpawnRequest): Promise<{ ip: string; port: number }> {
    const key = `${request.user}/${request.server}`;
    const previous = this.servers.get(key);
    if (previous !== undefined) await this.#remove(previous);
    const port = await freePort();
    const env = {
      ...request.env,
      ...this.#extraEnv,
      JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${port}${request.prefix}`,
    };
    const cmd = containerCommand(request, this.#useImageCmd);
    const container = await this.#docker.createContainer({
      Image: this.#image,
      ...(cmd === undefined ? {} : { Cmd: cmd }),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { [RUN_LABEL]: this.#runId, 'org.hubify.test-server': key },
      HostConfig: { NetworkMode: 'host' },
      StopTimeout: STOP_GRACE_SECONDS,
    });
    this.servers.set(key, {
      key,
      id: container.id,
      port,
      prefix: request.prefix,
      stopped: null,
      logs: '',
    });
    await container.start();
    return { ip: '127.0.0.1', port };
  }

  async poll(user: string, server: string): Promise<number | null> {
    const found = this.servers.get(`${user}/${server}`);
    if (found === undefined || found.stopped !== null) return 0;
    try {
      const info = await this.#docker.getContainer(found.id).inspect();
      return info.State.Running ? null : info.State.ExitCode || 1;
    } catch {
      return 0;
    }
  }

  async stop(user: string, server: string, now: boolean): Promise<void> {
    const found = this.servers.get(`${user}/${server}`);
    if (found === undefined || found.stopped !== null) return;
    const container = this.#docker.getContainer(found.id);
    const started = Date.now();
    try {
      await container.stop({ t: now ? 0 : STOP_GRACE_SECONDS });
    } catch {
      // already stopped
    }
    let running = false;
    let exitCode: number | null = null;
    try {
      const info = await container.inspect();
      running = info.State.Running;
      exitCode = info.State.ExitCode;
    } catch {
      // gone
    }
    found.stopped = { ms: Date.now() - started, running, exitCode };
    await this.#remove(found);
  }

  /** The current output of a running (or kept) server, for failure details. */
  async logs(key: string, tail = 200): Promise<string> {
    const found = this.servers.get(key);
    if (found === undefined) return '';
    if (found.logs !== '') return found.logs;
    return containerLogs(this.#docker, found.id, tail);
  }

  async #remove(found: ServerContainer): Promise<void> {
    found.logs = await containerLogs(this.#docker, found.id);
    await this.#docker
      .getContainer(found.id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }

  async removeAll(): Promise<void> {
    for (const found of this.servers.values()) await this.#remove(found);
  }
}

/** Removes every container carrying this run's label (the hub too); never throws. */
export async function removeRunContainers(docker: Docker, runId: string): Promise<void> {
  try {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`${RUN_LABEL}=${runId}`] },
    });
    await Promise.all(
      list.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined),
      ),
    );
  } catch {
    // the engine went away: nothing more to do
  }
}
