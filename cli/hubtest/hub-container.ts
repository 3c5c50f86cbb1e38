/**
 * The hub: a container from a stock hub image (`--hub-image`) on the host network whose only addition
 * is the mounted jupyterhub_config.py. Resolves once `GET /hub/api/` answers through its proxy;
 * otherwise throws HUBIFY_HUB_START_FAILED with the hub's last log lines.
 */
import type Docker from 'dockerode';
import { request } from 'undici';
import { EXIT, HubifyError } from '../errors.ts';
import { containerLogs, RUN_LABEL } from './server-containers.ts';

export const CONFIG_IN_CONTAINER = '/etc/hubify-test/jupyterhub_config.py';

export interface HubContainer {
  id: string;
  url: string;
  version: string;
  logs(tail?: number): Promise<string>;
  remove(): Promise<void>;
}

export interface StartHubOptions {
  image: string;
  configPath: string;
  publicPort: number;
  runId: string;
  timeoutMs: number;
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export async function startHubContainer(docker: Docker, options: StartHubOptions): Promise<HubContainer> {
  const url = `http://127.0.0.1:${options.publicPort}`;
  const fail = async (message: string, id: string | null, cause?: unknown): Promise<never> => {
    const logs = id === null ? '' : await containerLogs(docker, id, 40);
    throw new HubifyError({
      code: 'HUBIFY_HUB_START_FAILED',
      message: `the hub did not start: ${message}`,
      detail: logs === '' ? `hub image ${options.image}` : `last hub log lines:\n${lastLines(logs, 30)}`,
      hint: `Check that ${options.image} is a JupyterHub image (jupyterhub on PATH), or pass --hub-image.`,
      exitCode: EXIT.MISSING,
      cause,
    });
  };
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: options.image,
      Entrypoint: [],
      Cmd: ['jupyterhub', '--config', CONFIG_IN_CONTAINER],
      WorkingDir: '/tmp',
      User: '0',
      Labels: { [RUN_LABEL]: options.runId, 'org.hubify.test-role': 'hub' },
      HostConfig: {
        NetworkMode: 'host',
        Binds: [`${options.configPath}:${CONFIG_IN_CONTAINER}:ro`],
      },
    });
    await container.start();
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), null, error);
  }
  const hub: HubContainer = {
    id: container.id,
    url,
    version: '',
    logs: (tail = 200) => containerLogs(docker, container.id, tail),
    remove: () =>
      container
        .remove({ force: true, v: true })
        .then(() => undefined)
        .catch(() => undefined),
  };
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await request(`${url}/hub/api/`, { headersTimeout: 2000, bodyTimeout: 2000 });
      const text = await res.body.text();
      if (res.statusCode === 200) {
        const parsed = JSON.parse(text) as { version?: string };
        return { ...hub, version: parsed.version ?? '' };
      }
    } catch {
      // not up yet
    }
    const info = await container.inspect().catch(() => null);
    if (info !== null && !info.State.Running) {
      return fail(`the hub container exited with code ${info.State.ExitCode}`, container.id);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return fail(`GET ${url}/hub/api/ did not answer within ${options.timeoutMs / 1000} s`, container.id);
}
