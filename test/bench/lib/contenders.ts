/**
 * The contenders of the proxy benchmarks, each started as its own process on loopback in front of the
 * same upstream app (../upstream-app.mjs):
 *   direct  the app itself;
 *   hubify  dist/hubify-proxy.mjs, standalone, the app declared in a manifest (already running, fixed
 *           port), requests carrying the session cookie the runtime set after a `?token=` login: the
 *           real authenticated path (cookie unsealed, identity headers, header rules, activity);
 *   chp     configurable-http-proxy (the npm package), default target the app;
 *   nginx   Debian's nginx, one worker, config written here, keep-alive to the app;
 *   floor   ../floor-proxy.mjs, the smallest node:http proxy.
 * Node contenders run on the Node the image ships (hubify's cached Node 24) when available.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { get, isAlive, pollUntil, startProcess, type StartedProcess } from './processes.ts';
import { getFreePort } from '../../helpers/free-port.ts';
import { REPO_ROOT, RUNTIME_BUNDLE } from '../../helpers/hub.ts';
import { RUNTIME_NODE_FLAGS } from '../../../cli/layer/layout.ts';

export type ContenderName = 'direct' | 'hubify' | 'chp' | 'nginx' | 'floor';

export interface Contender {
  readonly name: ContenderName;
  /** Base URL: append `1k`, `100k`, `stream?mb=100`. */
  readonly httpBase: string;
  /** WebSocket URL of the echo. */
  readonly wsUrl: string;
  /** Headers every request carries (hubify: the session cookie). */
  readonly headers: Record<string, string>;
  /** The process whose memory is the contender's cost (the app itself for `direct`). */
  readonly process: StartedProcess;
}

export const UPSTREAM_APP = join(REPO_ROOT, 'test', 'bench', 'upstream-app.mjs');
export const FLOOR_PROXY = join(REPO_ROOT, 'test', 'bench', 'floor-proxy.mjs');
export const HUBIFY_PREFIX = '/user/bench/';
export const HUBIFY_APP = 'bench';
const START_TIMEOUT_MS = 15_000;

export async function startUpstream(node: string): Promise<{ process: StartedProcess; port: number }> {
  const started = startProcess('upstream app', node, [UPSTREAM_APP, '--port', '0']);
  const match = await started.waitForOutput(/listening (\d+)/, START_TIMEOUT_MS);
  return { process: started, port: Number(match[1]) };
}

export function chpScript(): string {
  const require = createRequire(import.meta.url);
  return join(
    require.resolve('configurable-http-proxy/package.json'),
    '..',
    'bin',
    'configurable-http-proxy',
  );
}

/** A manifest with one app that is already running on `upstreamPort` (no command: just proxy to it). */
export async function writeHubifyManifest(dir: string, upstreamPort: number): Promise<string> {
  const path = join(dir, 'bench-manifest.json');
  const manifest = {
    schemaVersion: 1,
    apps: [{ name: HUBIFY_APP, title: 'Benchmark app', port: upstreamPort, readiness: { path: '/ready' } }],
  };
  await writeFile(path, JSON.stringify(manifest));
  return path;
}

export function hubifyStandaloneEnv(token: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    HUBIFY_TOKEN: token,
    JUPYTERHUB_SERVICE_PREFIX: HUBIFY_PREFIX,
  };
}

/** The session cookie a browser gets after opening `<prefix>?token=...` (the runtime's real login). */
export async function hubifySessionCookie(port: number, token: string): Promise<string> {
  const answer = await get(`http://127.0.0.1:${port}${HUBIFY_PREFIX}?token=${token}`, {
    accept: 'text/html',
    'sec-fetch-mode': 'navigate',
  });
  const setCookie = answer.headers['set-cookie'];
  const first = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  if (answer.status !== 302 || first === undefined)
    throw new Error(`hubify: the token login answered ${answer.status} without a session cookie`);
  return first.split(';', 1)[0] as string;
}

export async function nginxConfig(dir: string, port: number, upstreamPort: number): Promise<string> {
  await mkdir(join(dir, 'temp'), { recursive: true });
  const path = join(dir, 'nginx.conf');
  await writeFile(
    path,
    `# written by test/bench: one worker, no master, in the foreground, all files in ${dir}
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_max_temp_file_size 0;
      proxy_read_timeout 1h;
    }
  }
}
`,
  );
  return path;
}

export interface ProxyLaunch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the proxy serves the app (append `1k`). */
  path: string;
}

/** hubify-proxy on `port` with the benchmark app's manifest, in the environment given (standalone or hub). */
export async function hubifyLaunch(options: {
  node: string;
  dir: string;
  port: number;
  upstreamPort: number;
  env: NodeJS.ProcessEnv;
}): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  const manifest = await writeHubifyManifest(options.dir, options.upstreamPort);
  return {
    command: options.node,
    // The V8 flags the image launches the runtime with (its #! line and CMD).
    args: [
      ...RUNTIME_NODE_FLAGS,
      RUNTIME_BUNDLE,
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--manifest',
      manifest,
    ],
    env: { ...options.env, HUBIFY_LOG_LEVEL: 'warn' },
  };
}

/** How to start each proxy contender on `port` in front of `upstreamPort`. */
export async function proxyLaunch(
  name: Exclude<ContenderName, 'direct'>,
  options: { node: string; dir: string; port: number; upstreamPort: number; token: string },
): Promise<ProxyLaunch> {
  const { node, dir, port, upstreamPort } = options;
  switch (name) {
    case 'hubify':
      return {
        ...(await hubifyLaunch({ node, dir, port, upstreamPort, env: hubifyStandaloneEnv(options.token) })),
        path: `${HUBIFY_PREFIX}${HUBIFY_APP}/`,
      };
    case 'chp':
      return {
        command: node,
        args: [
          chpScript(),
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--api-ip',
          '127.0.0.1',
          '--api-port',
          String(await getFreePort()),
          '--default-target',
          `http://127.0.0.1:${upstreamPort}`,
          '--log-level',
          'error',
        ],
        env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: options.token },
        path: '/',
      };
    case 'nginx': {
      const confDir = join(dir, `nginx-${port}`);
      await mkdir(confDir, { recursive: true });
      return {
        command: 'nginx',
        args: [
          '-p',
          confDir,
          '-e',
          join(confDir, 'error.log'),
          '-c',
          await nginxConfig(confDir, port, upstreamPort),
        ],
        path: '/',
      };
    }
    case 'floor':
      return {
        command: node,
        args: [FLOOR_PROXY, '--port', String(port), '--upstream', String(upstreamPort)],
        path: '/',
      };
  }
}

export async function startContender(
  name: ContenderName,
  options: { node: string; dir: string; upstream: { process: StartedProcess; port: number }; token: string },
): Promise<Contender> {
  if (name === 'direct') {
    const base = `127.0.0.1:${options.upstream.port}/`;
    return {
      name,
      httpBase: `http://${base}`,
      wsUrl: `ws://${base}ws`,
      headers: {},
      process: options.upstream.process,
    };
  }
  const port = await getFreePort();
  const launch = await proxyLaunch(name, { ...options, port, upstreamPort: options.upstream.port });
  const started = startProcess(name, launch.command, launch.args, { env: launch.env });
  const base = `127.0.0.1:${port}${launch.path}`;
  let headers: Record<string, string> = {};
  if (name === 'hubify') {
    await pollUntil(`http://127.0.0.1:${port}${HUBIFY_PREFIX}api`, {
      timeoutMs: START_TIMEOUT_MS,
      alive: isAlive(started),
      what: name,
    });
    headers = { cookie: await hubifySessionCookie(port, options.token) };
  }
  await pollUntil(`http://${base}1k`, {
    headers,
    timeoutMs: START_TIMEOUT_MS,
    intervalMs: 20,
    alive: isAlive(started),
    what: name,
  });
  return { name, httpBase: `http://${base}`, wsUrl: `ws://${base}ws`, headers, process: started };
}
