/**
 * Finds a container engine that speaks the Docker Engine API: DOCKER_HOST when set, then
 * /var/run/docker.sock, then Podman's user socket ($XDG_RUNTIME_DIR/podman/podman.sock). Each is
 * pinged; the first that answers is used. When none answers, HUBIFY_DOCKER_UNAVAILABLE (exit 3) lists
 * every place tried with its result and how to start an engine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { EXIT } from '../errors.ts';
import { buildError } from '../build/error-codes.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** One place an engine may listen, as dockerode options plus how to name it in messages. */
export interface EngineCandidate {
  /** e.g. "DOCKER_HOST=tcp://10.0.0.2:2375", "unix:///var/run/docker.sock". */
  label: string;
  /** Options for `new Docker()`, or why this place cannot be tried. */
  options: Docker.DockerOptions | { skip: string };
}

export interface Engine {
  docker: Docker;
  /** Where it answered (a candidate's label). */
  endpoint: string;
  /** "Docker" or "Podman". */
  product: string;
  version: string;
  apiVersion: string;
}

export const DOCKER_SOCKET = '/var/run/docker.sock';

/** dockerode options for a DOCKER_HOST value (unix://, tcp://, http(s)://; TLS as the docker CLI does it). */
export function dockerHostOptions(host: string, env: Env): Docker.DockerOptions | { skip: string } {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) || DOCKER_SOCKET };
  if (host.startsWith('ssh://'))
    return {
      skip: 'ssh:// hosts are not supported by hubify; forward the socket (ssh -L) and use unix:// or tcp://',
    };
  if (host.startsWith('npipe://'))
    return { skip: 'npipe:// is a Windows named pipe; hubify builds Linux images from Linux or WSL' };
  let url: URL;
  try {
    url = new URL(host.includes('://') ? host : `tcp://${host}`);
  } catch {
    return { skip: `not a URL (expected unix:///path or tcp://host:port)` };
  }
  const tls = env.DOCKER_TLS_VERIFY === '1' || url.port === '2376' || url.protocol === 'https:';
  const options: Docker.DockerOptions = {
    host: url.hostname,
    port: url.port === '' ? (tls ? 2376 : 2375) : Number(url.port),
    protocol: tls ? 'https' : 'http',
  };
  if (tls) {
    const certs = env.DOCKER_CERT_PATH ?? join(env.HOME ?? '', '.docker');
    try {
      options.ca = readFileSync(join(certs, 'ca.pem'));
      options.cert = readFileSync(join(certs, 'cert.pem'));
      options.key = readFileSync(join(certs, 'key.pem'));
    } catch (error) {
      if (env.DOCKER_TLS_VERIFY === '1')
        return { skip: `TLS certificates missing in ${certs}: ${(error as Error).message}` };
    }
  }
  return options;
}

/** The places to try, in order; `dockerSocket` replaces /var/run/docker.sock (tests). */
export function engineCandidates(env: Env, dockerSocket: string = DOCKER_SOCKET): EngineCandidate[] {
  const candidates: EngineCandidate[] = [];
  const host = env.DOCKER_HOST;
  if (host !== undefined && host !== '')
    candidates.push({ label: `DOCKER_HOST=${host}`, options: dockerHostOptions(host, env) });
  candidates.push({ label: `unix://${dockerSocket}`, options: { socketPath: dockerSocket } });
  const runtimeDir = env.XDG_RUNTIME_DIR;
  if (runtimeDir !== undefined && runtimeDir !== '') {
    const podman = join(runtimeDir, 'podman', 'podman.sock');
    candidates.push({ label: `unix://${podman} (Podman)`, options: { socketPath: podman } });
  } else {
    candidates.push({
      label: '$XDG_RUNTIME_DIR/podman/podman.sock (Podman)',
      options: { skip: 'XDG_RUNTIME_DIR is unset' },
    });
  }
  return candidates;
}

/** A connection error in words: "connection refused", "no such socket", ... */
export function describeConnectError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT':
      return 'no such socket';
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens there)';
    case 'EACCES':
      return 'permission denied (add yourself to the docker group, or use rootless Docker or Podman)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${message})`;
    case 'ETIMEDOUT':
      return 'timed out';
    default:
      return message;
  }
}

export interface ConnectOptions {
  /** Milliseconds to wait for each ping (default 5000). */
  pingTimeoutMs?: number;
  /** In place of /var/run/docker.sock (tests). */
  dockerSocket?: string;
}

/** Connects to the first engine that answers a ping; throws HUBIFY_DOCKER_UNAVAILABLE listing each place tried. */
export async function connectEngine(env: Env, options: ConnectOptions = {}): Promise<Engine> {
  const tried: string[] = [];
  for (const candidate of engineCandidates(env, options.dockerSocket)) {
    if ('skip' in candidate.options) {
      tried.push(`${candidate.label}: not tried, ${candidate.options.skip}`);
      continue;
    }
    const probe = new Docker({ ...candidate.options, timeout: options.pingTimeoutMs ?? 5000 });
    try {
      await probe.ping();
      const version = await probe.version();
      const podman = (version.Components ?? []).some((component) => /podman/i.test(component.Name));
      return {
        docker: new Docker(candidate.options),
        endpoint: candidate.label,
        product: podman ? 'Podman' : 'Docker',
        version: version.Version,
        apiVersion: version.ApiVersion,
      };
    } catch (error) {
      tried.push(`${candidate.label}: ${describeConnectError(error)}`);
    }
  }
  throw buildError({
    code: 'HUBIFY_DOCKER_UNAVAILABLE',
    message: 'no Docker or Podman engine answered',
    detail: tried.join('\n'),
    hint:
      'Start one: Docker with "sudo systemctl start docker" (or Docker Desktop), Podman with ' +
      '"systemctl --user start podman.socket"; or point DOCKER_HOST at a running engine (unix:///path or tcp://host:port).',
    exitCode: EXIT.MISSING,
  });
}
