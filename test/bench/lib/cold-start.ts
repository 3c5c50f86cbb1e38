/**
 * Cold start and fresh memory, each contender spawned anew per repeat (interleaved):
 *   nginx, chp, floor   spawn -> first proxied 200;
 *   hubify              spawn -> first 200 on <prefix>api, -> first authenticated 200
 *                       (<prefix>api/status with the token), -> first authenticated proxied 200
 *                       (standalone, the app already running);
 *   hubify (hub mode) and jupyterhub-singleuser (Debian's), both against a real JupyterHub 3.0:
 *                       spawn -> first 200 on <prefix>api (both ask the hub for its version first).
 * Idle RSS: SETTLE_MS after that last answer.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getFreePort } from '../../helpers/free-port.ts';
import type { StartedHub } from '../../helpers/hub.ts';
import { HUBIFY_APP, HUBIFY_PREFIX, hubifyLaunch, proxyLaunch } from './contenders.ts';
import { get, isAlive, median, pollUntil, rssMB, startProcess } from './processes.ts';

const SETTLE_MS = 500;
const START_TIMEOUT_MS = 30_000;

export type StartName = 'nginx' | 'chp' | 'floor' | 'hubify' | 'hubify-hub' | 'jupyterhub-singleuser';

export interface StartRun {
  /** spawn -> first 200 on the readiness URL (proxied for proxies, <prefix>api for hub runtimes). */
  readyMs: number;
  /** hubify standalone only: -> first authenticated 200, -> first authenticated proxied 200. */
  authenticatedMs?: number;
  proxiedMs?: number;
  idleRssMB: number;
}

export type StartResults = Partial<Record<StartName, { runs: StartRun[]; median: StartRun }>>;

/** The environment a spawner gives a single-user server of user `bench` on this hub. */
export function singleUserEnv(hub: StartedHub): Record<string, string> {
  return {
    JUPYTERHUB_API_URL: hub.apiUrl,
    JUPYTERHUB_API_TOKEN: hub.apiToken,
    JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-bench',
    JUPYTERHUB_USER: 'bench',
    JUPYTERHUB_SERVER_NAME: '',
    JUPYTERHUB_SERVICE_PREFIX: HUBIFY_PREFIX,
    JUPYTERHUB_BASE_URL: '/',
    JUPYTERHUB_HOST: '',
    JUPYTERHUB_OAUTH_CALLBACK_URL: `${HUBIFY_PREFIX}oauth_callback`,
  };
}

async function settle<T extends { idleRssMB: number }>(pid: number, run: Omit<T, 'idleRssMB'>): Promise<T> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return { ...run, idleRssMB: rssMB(pid) ?? 0 } as T;
}

async function startOnce(
  name: StartName,
  options: { node: string; dir: string; upstreamPort: number; token: string; hub: StartedHub | null },
): Promise<StartRun> {
  const port = await getFreePort();
  const base = `http://127.0.0.1:${port}`;
  const baseEnv = { PATH: process.env.PATH ?? '', HOME: options.dir, LANG: 'C.UTF-8' };
  let launch: { command: string; args: string[]; env?: NodeJS.ProcessEnv; readyPath: string };
  if (name === 'jupyterhub-singleuser' || name === 'hubify-hub') {
    if (options.hub === null) throw new Error(`${name} needs the hub`);
    const env = { ...baseEnv, ...singleUserEnv(options.hub) };
    launch =
      name === 'hubify-hub'
        ? {
            ...(await hubifyLaunch({ ...options, port, env })),
            readyPath: `${HUBIFY_PREFIX}api`,
          }
        : {
            command: 'jupyterhub-singleuser',
            args: [
              '--ip',
              '127.0.0.1',
              '--port',
              String(port),
              `--notebook-dir=${options.dir}`,
              ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
            ],
            env: {
              ...env,
              JUPYTER_RUNTIME_DIR: join(options.dir, 'runtime'),
              JUPYTER_CONFIG_DIR: join(options.dir, 'config'),
            },
            readyPath: `${HUBIFY_PREFIX}api`,
          };
  } else {
    const proxy = await proxyLaunch(name, { ...options, port });
    launch = { ...proxy, readyPath: name === 'hubify' ? `${HUBIFY_PREFIX}api` : `${proxy.path}1k` };
  }
  const started = startProcess(name, launch.command, launch.args, { env: launch.env });
  try {
    const ready = await pollUntil(`${base}${launch.readyPath}`, {
      timeoutMs: START_TIMEOUT_MS,
      alive: isAlive(started),
      what: name,
      intervalMs: 1,
    });
    const run: Omit<StartRun, 'idleRssMB'> = { readyMs: ready - started.startedAt };
    if (name === 'hubify') {
      const auth = { authorization: `token ${options.token}` };
      const status = await get(`${base}${HUBIFY_PREFIX}api/status`, auth);
      run.authenticatedMs = performance.now() - started.startedAt;
      const proxied = await get(`${base}${HUBIFY_PREFIX}${HUBIFY_APP}/1k`, auth);
      run.proxiedMs = performance.now() - started.startedAt;
      if (status.status !== 200 || proxied.status !== 200)
        throw new Error(`hubify: authenticated requests answered ${status.status} and ${proxied.status}`);
    }
    return await settle<StartRun>(started.pid, run);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${started.output().slice(-1500)}`);
  } finally {
    await started.stop();
  }
}

export async function measureColdStarts(
  names: readonly StartName[],
  options: {
    node: string;
    dir: string;
    upstreamPort: number;
    token: string;
    hub: StartedHub | null;
    repeats: number;
    log: (line: string) => void;
  },
  /** Filled as runs finish, so a failure keeps what was measured. */
  results: StartResults,
): Promise<void> {
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const order = [...names.slice(repeat % names.length), ...names.slice(0, repeat % names.length)];
    for (const name of order) {
      const run = await startOnce(name, options);
      const entry = (results[name] ??= { runs: [], median: run });
      entry.runs.push(run);
      const pick = (key: keyof StartRun): number | undefined =>
        run[key] === undefined ? undefined : median(entry.runs.map((r) => r[key] as number));
      entry.median = {
        readyMs: pick('readyMs') as number,
        authenticatedMs: pick('authenticatedMs'),
        proxiedMs: pick('proxiedMs'),
        idleRssMB: pick('idleRssMB') as number,
      };
      options.log(
        `  start     ${name.padEnd(22)} ready ${run.readyMs.toFixed(0)} ms${run.proxiedMs === undefined ? '' : `, authenticated ${run.authenticatedMs?.toFixed(0)} ms, proxied ${run.proxiedMs.toFixed(0)} ms`}, idle RSS ${run.idleRssMB.toFixed(1)} MB`,
      );
    }
  }
}
