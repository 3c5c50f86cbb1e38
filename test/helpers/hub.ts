// Starts a REAL JupyterHub (Debian's 3.0 package) on loopback for integration tests, with
// SimpleLocalProcessSpawner running whatever command the test chooses (by default our runtime bundle).
// Everything lives in a fresh temp dir (config, sqlite, cookie secret, homes, internal certs); hub
// output goes to test/artifacts/hub-logs/ so it survives cleanup for post-mortems.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  type WriteStream,
} from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { getFreePorts, LOOPBACK } from './free-port.ts';
import { HttpSession, type SessionResponse } from './http-session.ts';
import { toPython } from '../../cli/hubtest/hub-config.ts';
import {
  POLL_FAST,
  POLL_MEDIUM,
  POLL_SLOW,
  WAIT_HUB_START,
  WAIT_KILL_GRACE,
  WAIT_LONG,
  StopWaiting,
  WAIT_SHORT,
  waitFor,
} from './waits.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The runtime bundle `npm run build` produces; the default single-user command. */
export const RUNTIME_BUNDLE = join(REPO_ROOT, 'dist', 'hubify-proxy.mjs');
export const HUB_LOG_DIR = join(REPO_ROOT, 'test', 'artifacts', 'hub-logs');
export const DEFAULT_PASSWORD = 'hubify-test-password';
export const SERVICE_NAME = 'hubify-test';
/** Scopes of the `hubify-test` service's role (all valid in JupyterHub 3.0's scopes.py). */
export const SERVICE_SCOPES = [
  'admin:users',
  'admin:servers',
  'tokens',
  'read:users',
  'users:activity',
  'access:servers',
  'list:users',
] as const;

const NOT_INSTALLED = 'JupyterHub is not installed: run .ci/run or apt-get install jupyterhub';
/** Debian's CHP lives in /usr/share/nodejs, on the module path of Debian's node but not NodeSource's. */
const DEBIAN_NODE_MODULES = ['/usr/share/nodejs', '/usr/lib/nodejs'];
const LOG_TAIL_KEEP = 500;
const LOG_TAIL_ON_ERROR = 30;

export interface HubOptions {
  /** `c.Authenticator.allowed_users`; the hub creates them at start. Empty: anybody with the password. */
  users?: string[];
  /** `c.Authenticator.admin_users`. */
  adminUsers?: string[];
  /** DummyAuthenticator's shared password (default DEFAULT_PASSWORD). */
  password?: string;
  /** `c.Spawner.cmd`; default `[process.execPath, RUNTIME_BUNDLE]`. */
  cmd?: string[];
  /** `c.Spawner.args`. */
  args?: string[];
  /** `c.Spawner.environment`, e.g. `{ JUPYTERHUB_ACTIVITY_INTERVAL: '2' }`. */
  environment?: Record<string, string>;
  /** `c.Spawner.default_url`. */
  defaultUrl?: string;
  /** `c.Spawner.http_timeout` in seconds (default 30). */
  httpTimeoutSeconds?: number;
  /** `c.Spawner.start_timeout` in seconds (default 30). */
  startTimeoutSeconds?: number;
  /** `c.JupyterHub.last_activity_interval` in seconds (hub default 300). */
  lastActivityIntervalSeconds?: number;
  /** `c.JupyterHub.internal_ssl`; certs go to `<dir>/internal-ssl` (StartedHub.certsDir). */
  internalSsl?: boolean;
  /** `c.JupyterHub.log_level = 'DEBUG'` and CHP debug logging. */
  debug?: boolean;
  /** Python appended verbatim to jupyterhub_config.py, for anything not covered above. */
  extraConfig?: string;
  /** Extra environment of the hub process itself (not of the servers; use `environment` for those). */
  hubEnv?: Record<string, string>;
  /** Port of the public URL (default: a free one). The demo uses a fixed, memorable one. */
  publicPort?: number;
  /** Label for the log file name (e.g. the test file); default "hub". */
  name?: string;
  /** Keep the temp dir after stop(): true always (also HUBIFY_KEEP_HUB_DIR=1), false never,
   *  undefined (default) only when the hub failed to start. */
  keepDir?: boolean;
}

export interface ApiResponse<T = unknown> {
  status: number;
  /** Parsed JSON, or undefined for an empty body (204) or a non-JSON body (see `text`). */
  body: T | undefined;
  text: string;
}

export interface ServerModel {
  name: string;
  ready: boolean;
  pending: string | null;
  stopped?: boolean;
  url: string;
  started: string | null;
  last_activity: string | null;
  progress_url?: string;
  user_options?: Record<string, unknown>;
  /** Spawner state (needs admin:server_state): `{pid}` for local process spawners. */
  state?: { pid?: number } & Record<string, unknown>;
}

export interface UserModel {
  name: string;
  admin: boolean;
  kind?: string;
  roles?: string[];
  groups: string[];
  server: string | null;
  pending: string | null;
  created?: string;
  last_activity: string | null;
  servers?: Record<string, ServerModel>;
}

export interface TokenModel {
  id: string;
  token: string;
  scopes?: string[];
  expires_at?: string | null;
  note?: string;
}

export interface CreateTokenOptions {
  scopes?: string[];
  /** Seconds until the token expires. */
  expiresIn?: number;
  note?: string;
}

export interface StopResult {
  /** Exit code of the hub (null if it died by a signal). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the hub ignored SIGTERM for WAIT_KILL_GRACE and got SIGKILL. */
  killed: boolean;
  /** Processes (proxy, single-user servers and their process groups) still alive after the hub
   *  exited; stop() SIGKILLs them, and a clean shutdown leaves this empty. */
  leftovers: string[];
}

export interface HubProcessIds {
  hub: number;
  /** configurable-http-proxy, started by the hub. */
  proxy: number | undefined;
  /** Single-user server PIDs seen through the API (`state.pid`), by `user/serverName`. */
  servers: Record<string, number>;
}

/** A logged-in browser-like session (cookies + manual redirects) through the hub's public URL. */
export class HubSession extends HttpSession {
  readonly user: string;
  constructor(baseUrl: string, user: string) {
    super(baseUrl);
    this.user = user;
  }
}

export interface StartedHub {
  /** Public URL (configurable-http-proxy), e.g. `http://127.0.0.1:PORT`; no trailing slash. */
  readonly url: string;
  /** `${url}/hub/api` (through the proxy, so it works with internal SSL too). */
  readonly apiUrl: string;
  /** The hub's own bind URL (`https` with internal SSL, then it needs a client cert). */
  readonly hubBindUrl: string;
  /** The `hubify-test` service's API token (scopes: SERVICE_SCOPES). */
  readonly apiToken: string;
  readonly password: string;
  /** JupyterHub version reported by `GET /hub/api/`. */
  readonly version: string;
  /** Temp dir holding jupyterhub_config.py, sqlite, homes (`home/<user>`). */
  readonly dir: string;
  readonly configPath: string;
  /** `<dir>/internal-ssl` when internalSsl, else undefined. */
  readonly certsDir: string | undefined;
  readonly logPath: string;
  readonly pid: number;
  /** Milliseconds from spawning the hub until `GET /hub/api/` answered through the proxy. */
  readonly startupMs: number;

  /** Calls the hub API as the test service. `path` is relative to apiUrl ("/users/alice"). */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
  /** Last `lines` lines of hub + proxy output (default 30). */
  logTail(lines?: number): string;
  /** Home dir SimpleLocalProcessSpawner gives `user`. */
  homeDir(user: string): string;
  processIds(): HubProcessIds;
  /** Stops the hub (SIGTERM, SIGKILL after WAIT_KILL_GRACE); idempotent. */
  stop(): Promise<StopResult>;

  /** Creates `name` (409 tolerated: an existing user is updated to `admin`). */
  createUser(name: string, options?: { admin?: boolean }): Promise<UserModel>;
  getUser(name: string): Promise<UserModel>;
  /** Asks the hub to spawn; returns the API status (201 started, 202 pending). Does not wait. */
  startServer(user: string, serverName?: string, userOptions?: Record<string, unknown>): Promise<number>;
  /** Polls until `servers[serverName].ready`; fails fast with the hub log if the spawn failed. */
  waitForServerReady(user: string, serverName?: string, timeoutMs?: number): Promise<ServerModel>;
  /** Stops the server and waits until the hub no longer lists it as running. */
  stopServer(user: string, serverName?: string, timeoutMs?: number): Promise<void>;
  /** The server model (with `last_activity`), or undefined when not running. */
  getServer(user: string, serverName?: string): Promise<ServerModel | undefined>;
  createToken(user: string, options?: CreateTokenOptions): Promise<{ token: string; id: string }>;
  revokeToken(user: string, id: string): Promise<void>;
  /** Logs in through the hub's login form and returns the cookie-carrying session. */
  loginSession(user: string, password?: string): Promise<HubSession>;
}

/** Where Debian's (or any) `jupyterhub` is; throws NOT_INSTALLED otherwise. */
export function findJupyterHub(): string {
  const candidates = [
    '/usr/bin/jupyterhub',
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'jupyterhub')),
  ];
  for (const candidate of candidates) {
    if (candidate === 'jupyterhub') continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(NOT_INSTALLED);
}

// Python literals for the config come from the product's own hub-config renderer.
export { toPython };

interface ConfigInput {
  dir: string;
  publicPort: number;
  hubPort: number;
  proxyApiPort: number;
  apiToken: string;
  password: string;
  options: HubOptions;
}

/** The text of jupyterhub_config.py for these options. Exported for tests and the README. */
export function renderHubConfig(input: ConfigInput): string {
  const { dir, publicPort, hubPort, proxyApiPort, apiToken, password, options } = input;
  const internalScheme = options.internalSsl === true ? 'https' : 'http';
  const lines = [
    '# Generated by test/helpers/hub.ts for one integration test run. Do not edit.',
    'c = get_config()  # noqa',
    '',
    '# Network: loopback only, free ports chosen by the harness.',
    `c.JupyterHub.bind_url = ${toPython(`http://${LOOPBACK}:${publicPort}`)}`,
    `c.JupyterHub.hub_bind_url = ${toPython(`${internalScheme}://${LOOPBACK}:${hubPort}`)}`,
    `c.ConfigurableHTTPProxy.api_url = ${toPython(`${internalScheme}://${LOOPBACK}:${proxyApiPort}`)}`,
    `c.ConfigurableHTTPProxy.pid_file = ${toPython(join(dir, 'jupyterhub-proxy.pid'))}`,
    `c.ConfigurableHTTPProxy.debug = ${toPython(options.debug === true)}`,
    '',
    '# State: everything in the temp dir.',
    `c.JupyterHub.db_url = ${toPython(`sqlite:///${join(dir, 'jupyterhub.sqlite')}`)}`,
    `c.JupyterHub.cookie_secret_file = ${toPython(join(dir, 'jupyterhub_cookie_secret'))}`,
    `c.JupyterHub.pid_file = ${toPython(join(dir, 'jupyterhub.pid'))}`,
    `c.JupyterHub.cleanup_servers = True`,
    `c.JupyterHub.cleanup_proxy = True`,
    `c.JupyterHub.log_level = ${toPython(options.debug === true ? 'DEBUG' : 'INFO')}`,
    '',
    '# Users: DummyAuthenticator with one shared password.',
    `c.JupyterHub.authenticator_class = 'dummy'`,
    `c.DummyAuthenticator.password = ${toPython(password)}`,
    `c.Authenticator.allowed_users = set(${toPython(options.users ?? [])})`,
    `c.Authenticator.admin_users = set(${toPython(options.adminUsers ?? [])})`,
    '',
    '# Servers: SimpleLocalProcessSpawner runs the command as the hub user, home under the temp dir.',
    `c.JupyterHub.spawner_class = 'simple'`,
    `c.SimpleLocalProcessSpawner.home_dir_template = ${toPython(join(dir, 'home', '{username}'))}`,
    `c.Spawner.cmd = ${toPython(options.cmd ?? [process.execPath, RUNTIME_BUNDLE])}`,
    `c.Spawner.args = ${toPython(options.args ?? [])}`,
    `c.Spawner.environment = ${toPython(options.environment ?? {})}`,
    `c.Spawner.http_timeout = ${toPython(options.httpTimeoutSeconds ?? 30)}`,
    `c.Spawner.start_timeout = ${toPython(options.startTimeoutSeconds ?? 30)}`,
    `c.JupyterHub.allow_named_servers = True`,
  ];
  if (options.defaultUrl !== undefined) lines.push(`c.Spawner.default_url = ${toPython(options.defaultUrl)}`);
  if (options.lastActivityIntervalSeconds !== undefined) {
    lines.push(`c.JupyterHub.last_activity_interval = ${toPython(options.lastActivityIntervalSeconds)}`);
  }
  if (options.internalSsl === true) {
    lines.push(
      '',
      '# Internal SSL: the hub makes CAs and per-server certs here.',
      `c.JupyterHub.internal_ssl = True`,
      `c.JupyterHub.internal_certs_location = ${toPython(join(dir, 'internal-ssl'))}`,
    );
  }
  lines.push(
    '',
    '# The test driver: an external service whose token drives the REST API.',
    `c.JupyterHub.services = [${toPython({ name: SERVICE_NAME, api_token: apiToken })}]`,
    `c.JupyterHub.load_roles = [${toPython({
      name: `${SERVICE_NAME}-role`,
      description: 'hubify integration tests drive the hub with this',
      scopes: [...SERVICE_SCOPES],
      services: [SERVICE_NAME],
    })}]`,
  );
  if (options.extraConfig !== undefined) lines.push('', '# extraConfig', options.extraConfig);
  return `${lines.join('\n')}\n`;
}

/**
 * True while `pid` runs. A zombie counts as gone: orphans (CHP after the hub exited) are reaped by
 * PID 1 only eventually, and `kill(pid, 0)` still succeeds on them until then.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (not Linux) or the process just vanished.
    return existsSync('/proc') ? false : true;
  }
}

/** True while any process of process group `pgid` runs (zombies excluded, via /proc on Linux). */
export function isProcessGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  if (!existsSync('/proc')) return true;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields: state ppid pgrp ...
      if (fields[2] === String(pgid) && fields[0] !== 'Z' && fields[0] !== 'X') return true;
    } catch {
      // vanished while we looked
    }
  }
  return false;
}

function quote(name: string): string {
  return encodeURIComponent(name);
}

function serverPath(user: string, serverName: string): string {
  return serverName === ''
    ? `/users/${quote(user)}/server`
    : `/users/${quote(user)}/servers/${quote(serverName)}`;
}

class RunningHub implements StartedHub {
  readonly url: string;
  readonly apiUrl: string;
  readonly hubBindUrl: string;
  readonly apiToken: string;
  readonly password: string;
  readonly dir: string;
  readonly configPath: string;
  readonly certsDir: string | undefined;
  readonly logPath: string;
  readonly pid: number;
  version = '';
  startupMs = 0;

  readonly #child: ChildProcess;
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the hub's stdout/stderr closed (the hub and everything sharing them is gone). */
  readonly #closed: Promise<void>;
  readonly #log: WriteStream;
  #logEnded = false;
  readonly #tail: string[] = [];
  #partial = '';
  #keepDir: boolean;
  #proxyPid: number | undefined;
  readonly #serverPids = new Map<string, number>();
  #stopping: Promise<StopResult> | undefined;
  readonly #onExit = (): void => {
    // The runner is going away without stop(): SIGTERM lets the hub still stop its servers.
    if (isProcessAlive(this.pid)) process.kill(this.pid, 'SIGTERM');
  };

  constructor(init: {
    child: ChildProcess;
    url: string;
    hubBindUrl: string;
    apiToken: string;
    password: string;
    dir: string;
    configPath: string;
    certsDir: string | undefined;
    logPath: string;
    keepDir: boolean;
  }) {
    this.#child = init.child;
    if (init.child.pid === undefined) throw new Error('jupyterhub did not start (no pid)');
    this.pid = init.child.pid;
    this.url = init.url;
    this.apiUrl = `${init.url}/hub/api`;
    this.hubBindUrl = init.hubBindUrl;
    this.apiToken = init.apiToken;
    this.password = init.password;
    this.dir = init.dir;
    this.configPath = init.configPath;
    this.certsDir = init.certsDir;
    this.logPath = init.logPath;
    this.#keepDir = init.keepDir;
    this.#log = createWriteStream(init.logPath, { flags: 'a' });
    const onData = (chunk: Buffer): void => {
      if (!this.#logEnded) this.#log.write(chunk);
      const text = this.#partial + chunk.toString('utf8');
      const lines = text.split('\n');
      this.#partial = lines.pop() ?? '';
      this.#tail.push(...lines);
      if (this.#tail.length > LOG_TAIL_KEEP) this.#tail.splice(0, this.#tail.length - LOG_TAIL_KEEP);
    };
    init.child.stdout?.on('data', onData);
    init.child.stderr?.on('data', onData);
    this.#exited = new Promise((resolveExit) => {
      init.child.once('exit', (code, signal) => resolveExit({ code, signal }));
    });
    this.#closed = new Promise((resolveClose) => {
      init.child.once('close', () => resolveClose());
    });
    process.once('exit', this.#onExit);
  }

  logTail(lines: number = LOG_TAIL_ON_ERROR): string {
    const all = this.#partial === '' ? this.#tail : [...this.#tail, this.#partial];
    return all.slice(-lines).join('\n');
  }

  homeDir(user: string): string {
    return join(this.dir, 'home', user);
  }

  /** Keep the temp dir (config, sqlite, homes) after stop(), e.g. after a failed start. */
  keepDir(): void {
    this.#keepDir = true;
  }

  processIds(): HubProcessIds {
    return { hub: this.pid, proxy: this.#proxyPid, servers: Object.fromEntries(this.#serverPids) };
  }

  /** Waits (briefly) until the hub's output pipes closed, so logTail() has its last words. */
  async flushOutput(): Promise<void> {
    await Promise.race([this.#closed, sleepMs(POLL_SLOW)]);
  }

  isRunning(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async waitUntilUp(): Promise<void> {
    const started = Date.now();
    const exitedEarly = this.#exited.then(({ code, signal }) => {
      throw new Error(`jupyterhub exited during startup (code ${code}, signal ${signal})`);
    });
    const up = waitFor(
      async () => {
        const res = await request(`${this.apiUrl}/`, { headersTimeout: WAIT_SHORT, bodyTimeout: WAIT_SHORT });
        const text = await res.body.text();
        if (res.statusCode !== 200) return undefined;
        return (JSON.parse(text) as { version: string }).version;
      },
      {
        timeoutMs: WAIT_HUB_START,
        intervalMs: POLL_MEDIUM,
        what: `JupyterHub to answer GET ${this.apiUrl}/`,
      },
    );
    this.version = await Promise.race([up, exitedEarly]);
    this.startupMs = Date.now() - started;
    const pidText = await readFile(join(this.dir, 'jupyterhub-proxy.pid'), 'utf8').catch(() => '');
    const proxyPid = Number.parseInt(pidText, 10);
    if (Number.isInteger(proxyPid)) this.#proxyPid = proxyPid;
  }

  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const res = await request(`${this.apiUrl}${path}`, {
      method: method.toUpperCase() as 'GET',
      headers: {
        authorization: `token ${this.apiToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: WAIT_LONG,
      bodyTimeout: WAIT_LONG,
    });
    const text = await res.body.text();
    let parsed: T | undefined;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as T);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed, text };
  }

  async #expect<T>(
    method: string,
    path: string,
    statuses: number[],
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const res = await this.api<T>(method, path, body);
    if (!statuses.includes(res.status)) {
      throw new Error(
        `hub API ${method} ${path} answered ${res.status} (expected ${statuses.join(' or ')}): ${res.text.slice(0, 500)}`,
      );
    }
    return res;
  }

  #recordPids(user: UserModel): void {
    for (const [name, server] of Object.entries(user.servers ?? {})) {
      const pid = server.state?.pid;
      if (typeof pid === 'number' && pid > 0) this.#serverPids.set(`${user.name}/${name}`, pid);
    }
  }

  async getUser(name: string): Promise<UserModel> {
    const res = await this.#expect<UserModel>('GET', `/users/${quote(name)}`, [200]);
    if (res.body === undefined) throw new Error(`hub API GET /users/${name} returned no JSON`);
    this.#recordPids(res.body);
    return res.body;
  }

  async createUser(name: string, options: { admin?: boolean } = {}): Promise<UserModel> {
    const body = options.admin === undefined ? undefined : { admin: options.admin };
    const res = await this.#expect<UserModel>('POST', `/users/${quote(name)}`, [201, 409], body);
    if (res.status === 409 && options.admin !== undefined) {
      await this.#expect('PATCH', `/users/${quote(name)}`, [200], { admin: options.admin });
    }
    return this.getUser(name);
  }

  async startServer(
    user: string,
    serverName: string = '',
    userOptions: Record<string, unknown> = {},
  ): Promise<number> {
    const res = await this.api('POST', serverPath(user, serverName), userOptions);
    if (res.status !== 201 && res.status !== 202) {
      throw new Error(
        `starting server ${user}/${serverName} failed: hub API answered ${res.status}: ${res.text.slice(0, 500)}` +
          `\n--- last hub log lines ---\n${this.logTail()}`,
      );
    }
    return res.status;
  }

  async getServer(user: string, serverName: string = ''): Promise<ServerModel | undefined> {
    const model = await this.getUser(user);
    return model.servers?.[serverName];
  }

  async waitForServerReady(
    user: string,
    serverName: string = '',
    timeoutMs: number = WAIT_LONG,
  ): Promise<ServerModel> {
    const label = `${user}/${serverName}`;
    try {
      return await waitFor(
        async () => {
          if (!this.isRunning()) throw new StopWaiting('jupyterhub is not running');
          const server = await this.getServer(user, serverName);
          if (server === undefined) {
            // Gone and not pending: the spawn failed (or the server already stopped again).
            throw new StopWaiting(`the hub lists no server ${label}: the spawn failed or it stopped`);
          }
          return server.ready ? server : undefined;
        },
        { timeoutMs, intervalMs: POLL_MEDIUM, what: `server ${label} to be ready` },
      );
    } catch (error) {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n--- last hub log lines ---\n${this.logTail()}`,
        { cause: error },
      );
    }
  }

  async stopServer(user: string, serverName: string = '', timeoutMs: number = WAIT_LONG): Promise<void> {
    await this.#expect('DELETE', serverPath(user, serverName), [202, 204]);
    await waitFor(
      async () => {
        const server = await this.getServer(user, serverName);
        // The hub lists only active (pending or ready) servers.
        return server === undefined;
      },
      { timeoutMs, intervalMs: POLL_MEDIUM, what: `server ${user}/${serverName} to stop` },
    );
  }

  async createToken(user: string, options: CreateTokenOptions = {}): Promise<{ token: string; id: string }> {
    const body: Record<string, unknown> = { note: options.note ?? 'hubify test token' };
    if (options.scopes !== undefined) body.scopes = options.scopes;
    if (options.expiresIn !== undefined) body.expires_in = options.expiresIn;
    const res = await this.#expect<TokenModel>('POST', `/users/${quote(user)}/tokens`, [200, 201], body);
    if (res.body === undefined) throw new Error(`hub API POST /users/${user}/tokens returned no JSON`);
    return { token: res.body.token, id: res.body.id };
  }

  async revokeToken(user: string, id: string): Promise<void> {
    await this.#expect('DELETE', `/users/${quote(user)}/tokens/${quote(id)}`, [204]);
  }

  async loginSession(user: string, password: string = this.password): Promise<HubSession> {
    const session = new HubSession(this.url, user);
    const page = await session.get('/hub/login', { followRedirects: false });
    if (page.status !== 200) {
      throw new Error(`GET /hub/login answered ${page.status}, expected 200: ${page.body.slice(0, 300)}`);
    }
    // JupyterHub >= 4.1 puts an _xsrf field in the form; 3.0 has none (and no XSRF check on login).
    const xsrf = /name="_xsrf"\s+value="([^"]*)"/.exec(page.body)?.[1];
    const form: Record<string, string> = { username: user, password };
    if (xsrf !== undefined) form._xsrf = xsrf;
    const res: SessionResponse = await session.postForm('/hub/login', form, { followRedirects: false });
    const loginCookie = session.jar.all().find((c) => c.name.startsWith('jupyterhub-hub-login'));
    if (res.status !== 302 || loginCookie === undefined) {
      throw new Error(
        `login as ${user} failed: POST /hub/login answered ${res.status}` +
          `${loginCookie === undefined ? ' without a jupyterhub-hub-login cookie' : ''}: ${res.body.slice(0, 300)}`,
      );
    }
    return session;
  }

  async #collectServerPids(): Promise<void> {
    const res = await this.api<UserModel[]>('GET', '/users');
    for (const user of res.body ?? []) {
      if (user.servers === undefined || Object.keys(user.servers).length > 0) await this.getUser(user.name);
    }
  }

  stop(): Promise<StopResult> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<StopResult> {
    if (this.isRunning()) {
      // Learn every server PID first, so leftovers can be found (and killed) afterwards.
      await Promise.race([this.#collectServerPids().catch(() => undefined), sleepMs(WAIT_SHORT)]);
    }
    let killed = false;
    if (this.isRunning()) {
      process.kill(this.pid, 'SIGTERM');
      const graceful = await Promise.race([
        this.#exited.then(() => true),
        sleepMs(WAIT_KILL_GRACE).then(() => false),
      ]);
      if (!graceful && this.isRunning()) {
        killed = true;
        process.kill(this.pid, 'SIGKILL');
      }
    }
    const { code, signal } = await this.#exited;
    process.off('exit', this.#onExit);
    const leftovers = await this.#reapLeftovers();
    await this.flushOutput();
    this.#logEnded = true;
    await new Promise<void>((resolveEnd) => this.#log.end(resolveEnd));
    if (!this.#keepDir) await rm(this.dir, { recursive: true, force: true });
    return { exitCode: code, signal, killed, leftovers };
  }

  /** After the hub exited: anything it started and left behind gets SIGKILL and is reported. */
  async #reapLeftovers(): Promise<string[]> {
    const check = (): string[] => {
      const found: string[] = [];
      if (this.#proxyPid !== undefined && isProcessAlive(this.#proxyPid))
        found.push(`proxy pid ${this.#proxyPid}`);
      for (const [label, pid] of this.#serverPids) {
        if (isProcessAlive(pid)) found.push(`server ${label} pid ${pid}`);
        // LocalProcessSpawner starts servers in a new session: their children share the group.
        else if (isProcessGroupAlive(pid)) found.push(`server ${label} process group ${pid}`);
      }
      return found;
    };
    // The hub waits for its children, but give stragglers a moment before calling them leftovers.
    let leftovers: string[] = [];
    try {
      await waitFor(
        () => {
          leftovers = check();
          return leftovers.length === 0;
        },
        { timeoutMs: WAIT_SHORT, intervalMs: POLL_FAST, what: 'hub children to exit' },
      );
    } catch {
      // leftovers holds what is still alive
    }
    // Only what is still alive right now gets SIGKILL: a PID that exited may already be reused.
    const kill = (target: number): void => {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    if (this.#proxyPid !== undefined && isProcessAlive(this.#proxyPid)) kill(this.#proxyPid);
    for (const pid of this.#serverPids.values()) {
      if (isProcessAlive(pid)) kill(pid);
      if (isProcessGroupAlive(pid)) kill(-pid);
    }
    return leftovers;
  }
}

async function sleepMs(ms: number): Promise<void> {
  await new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

function hubProcessEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Nothing from an enclosing hub or test runner should leak into this hub or its servers.
    if (key.startsWith('JUPYTERHUB_') || key.startsWith('JPY_') || key === 'CONFIGPROXY_AUTH_TOKEN') continue;
    if (key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  const nodePath = [...DEBIAN_NODE_MODULES.filter((d) => existsSync(d)), process.env.NODE_PATH].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  if (nodePath.length > 0) env.NODE_PATH = nodePath.join(delimiter);
  return { ...env, ...extra };
}

/** Starts a hub; resolves once `GET <url>/hub/api/` answers through the proxy. */
export async function startHub(options: HubOptions = {}): Promise<StartedHub> {
  const jupyterhub = findJupyterHub();
  const dir = await mkdtemp(join(tmpdir(), 'hubify-hub-'));
  const [freePublicPort, hubPort, proxyApiPort] = await getFreePorts(3);
  const publicPort = options.publicPort ?? freePublicPort;
  if (publicPort === undefined || hubPort === undefined || proxyApiPort === undefined) {
    throw new Error('could not allocate three free ports');
  }
  const apiToken = randomBytes(32).toString('hex');
  const password = options.password ?? DEFAULT_PASSWORD;
  const configPath = join(dir, 'jupyterhub_config.py');
  await writeFile(
    configPath,
    renderHubConfig({ dir, publicPort, hubPort, proxyApiPort, apiToken, password, options }),
    'utf8',
  );
  mkdirSync(HUB_LOG_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logPath = join(HUB_LOG_DIR, `${options.name ?? 'hub'}-${stamp}-${publicPort}.log`);
  const child = spawn(jupyterhub, ['--config', configPath], {
    cwd: dir,
    env: hubProcessEnv(options.hubEnv),
    // Own process group: a Ctrl-C in the test terminal must not reach the hub before we stop it.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const spawnError = new Promise<never>((_resolve, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);
  const hub = new RunningHub({
    child,
    url: `http://${LOOPBACK}:${publicPort}`,
    hubBindUrl: `${options.internalSsl === true ? 'https' : 'http'}://${LOOPBACK}:${hubPort}/hub/`,
    apiToken,
    password,
    dir,
    configPath,
    certsDir: options.internalSsl === true ? join(dir, 'internal-ssl') : undefined,
    logPath,
    keepDir: options.keepDir === true || process.env.HUBIFY_KEEP_HUB_DIR === '1',
  });
  try {
    await Promise.race([hub.waitUntilUp(), spawnError]);
  } catch (error) {
    if (options.keepDir !== false) hub.keepDir();
    await hub.stop().catch(() => undefined);
    throw new Error(
      `JupyterHub did not start: ${error instanceof Error ? error.message : String(error)}\n` +
        `config: ${configPath}\nlog: ${logPath}\n--- last ${LOG_TAIL_ON_ERROR} log lines ---\n${hub.logTail(LOG_TAIL_ON_ERROR)}`,
      { cause: error },
    );
  }
  return hub;
}
