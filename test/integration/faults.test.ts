// Faults: what the runtime does when its parts fail. Apps that crash-loop or hang on start (real
// processes under the runtime's supervisor); the hub API going down, slow, erroring and coming back (a
// real loopback HTTP server speaking the hub API, stopped and restarted on the same port while the
// runtime runs); and SIGTERM in the middle of traffic with the runtime under tini (the host's Debian
// tini, as a subreaper, the way images run it), checking exit codes, the grace period and zombies.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { getFreePort } from '../helpers/free-port.ts';
import { REPO_ROOT, RUNTIME_BUNDLE, findJupyterHub, isProcessAlive, startHub } from '../helpers/hub.ts';
import { POLL_FAST, POLL_MEDIUM, WAIT_LONG, WAIT_MEDIUM, WAIT_SHORT, waitFor } from '../helpers/waits.ts';

const ECHO_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs');
const TINI = '/usr/bin/tini';
const node = process.execPath;
const TOKEN = 'faults-standalone-token-0123456789';
const page = { accept: 'text/html', 'sec-fetch-mode': 'navigate' };

interface RuntimeProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function writeManifest(apps: unknown[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hubify-faults-')), 'manifest.json');
  writeFileSync(path, JSON.stringify({ schemaVersion: 1, apps }));
  return path;
}

async function startRuntime(
  command: string[],
  env: Record<string, string>,
  port: number,
): Promise<RuntimeProcess> {
  const [file, ...args] = command;
  if (file === undefined) throw new Error('no command');
  const child = spawn(file, args, {
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the runtime exited early:\n${output}`);
      return output.includes('hubify ready ');
    },
    { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_FAST, what: 'hubify-proxy to log "ready"' },
  );
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

async function stopRuntime(runtime: RuntimeProcess | undefined): Promise<void> {
  if (runtime === undefined || runtime.child.exitCode !== null || runtime.child.signalCode !== null) return;
  runtime.child.kill('SIGTERM');
  await runtime.exited;
}

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN');
}

/** Numbers in `key=N` fields of log lines matching `event`, in order. */
function logNumbers(output: string, event: RegExp, key: string): number[] {
  return output
    .split('\n')
    .filter((line) => event.test(line))
    .map((line) => Number(new RegExp(`${key}=(\\d+)`).exec(line)?.[1]))
    .filter((n) => Number.isFinite(n));
}

describe('app faults (standalone runtime, real app processes)', () => {
  const auth = { authorization: `token ${TOKEN}` };
  let runtime: RuntimeProcess | undefined;

  beforeAll(async () => {
    const port = await getFreePort();
    const manifest = writeManifest([
      { name: 'echo', title: 'Echo', command: [node, ECHO_APP, '--port', '{port}'] },
      {
        name: 'crashy',
        title: 'Crashy',
        command: [node, ECHO_APP, '--port', '{port}', '--crash-after', '300'],
        restart: { backoff: 0.2, maxBackoff: 1.6, maxRestarts: 6, window: 120 },
      },
      {
        name: 'hang',
        title: 'Hangs on start',
        command: [
          node,
          '-e',
          'console.log("hang: loading a model that never loads"); setInterval(() => {}, 1000)',
        ],
        readiness: { timeout: 2 },
      },
    ]);
    runtime = await startRuntime(
      [node, RUNTIME_BUNDLE, '--ip', '127.0.0.1', '--port', String(port), '--manifest', manifest],
      { HUBIFY_TOKEN: TOKEN },
      port,
    );
  });

  afterAll(async () => stopRuntime(runtime));

  it('a crash-looping app: backoff grows to its cap, the error page shows its log, other apps keep answering', async () => {
    const rt = runtime as RuntimeProcess;
    const first = await request(`${rt.url}/crashy/headers`, { headers: auth });
    expect(first.statusCode).toBe(200);
    await first.body.dump();
    // While it crash-loops, the echo app answers every request.
    let echoRequests = 0;
    const failures: number[] = [];
    await waitFor(
      async () => {
        const echo = await request(`${rt.url}/echo/headers`, { headers: auth });
        await echo.body.dump();
        echoRequests++;
        if (echo.statusCode !== 200) failures.push(echo.statusCode);
        const status = (await (await request(`${rt.url}/api/status`, { headers: auth })).body.json()) as {
          apps: { name: string; state: string }[];
        };
        return status.apps.find((app) => app.name === 'crashy')?.state === 'failed';
      },
      { timeoutMs: WAIT_LONG, intervalMs: POLL_MEDIUM, what: 'crashy to use up its restarts' },
    );
    expect(failures).toEqual([]);
    expect(echoRequests).toBeGreaterThan(5);
    const delays = logNumbers(rt.output(), /hubify app (crashed|start failed) name=crashy/, 'restart_in_ms');
    console.log(
      `crash loop: restart delays ${delays.join(', ')} ms; echo answered ${echoRequests} requests meanwhile`,
    );
    expect(delays.slice(0, 4)).toEqual([200, 400, 800, 1600]);
    expect(delays.slice(4).every((d) => d === 1600)).toBe(true);
    const errorPage = await request(`${rt.url}/crashy/`, { headers: { ...auth, ...page } });
    expect(errorPage.statusCode).toBe(503);
    const html = await errorPage.body.text();
    expect(html).toContain('echo-app crashing on purpose after 300 ms');
    const api = await request(`${rt.url}/crashy/`, { headers: { ...auth, accept: 'application/json' } });
    expect(api.statusCode).toBe(503);
    expect(await api.body.json()).toMatchObject({ error: 'app_failed', app: 'crashy' });
  });

  it('an app that hangs on start: a starting page first, then the timeout page with its log', async () => {
    const rt = runtime as RuntimeProcess;
    const starting = await request(`${rt.url}/hang/`, { headers: { ...auth, ...page } });
    const startingHtml = await starting.body.text();
    expect(starting.statusCode).toBe(503);
    expect(startingHtml).toMatch(/http-equiv="refresh"/);
    let html = '';
    await waitFor(
      async () => {
        const res = await request(`${rt.url}/hang/`, { headers: { ...auth, ...page } });
        html = await res.body.text();
        return res.statusCode === 503 && html.includes('within 2 s');
      },
      { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM * 2, what: 'the timeout page' },
    );
    expect(html).toContain('hang: loading a model that never loads');
    expect(html).not.toMatch(/http-equiv="refresh"/);
  });
});

// ── The hub API down, slow, erroring, restarted ─────────────────────────────────────────────────────

const SERVER_TOKEN = 'faults-server-token';
const USER_TOKEN = 'faults-user-token-alice';

/** A real HTTP server on loopback that answers the parts of the hub API the runtime calls. */
class LoopbackHub {
  mode: 'up' | 'error' = 'up';
  delayMs = 0;
  readonly activity: { at: number; lastActivity: string }[] = [];
  #server: Server | null = null;
  port = 0;

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/hub/api`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const answer = (): void => this.#answer(req, res, Buffer.concat(chunks).toString());
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Down: the port refuses connections and open ones are cut. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  #answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-jupyterhub-version': '3.0.0' });
      res.end(JSON.stringify(value));
    };
    const url = req.url ?? '';
    if (url === '/hub/api/' || url === '/hub/api') return json(200, { version: '3.0.0' });
    if (this.mode === 'error') return json(500, { status: 500, message: 'the hub is having a bad day' });
    if (url === '/hub/api/user') {
      if (req.headers.authorization !== `token ${USER_TOKEN}`) return json(403, { status: 403 });
      return json(200, {
        kind: 'user',
        name: 'alice',
        admin: false,
        groups: [],
        scopes: ['access:servers!server=alice/'],
      });
    }
    if (url === '/hub/api/users/alice/activity' && req.method === 'POST') {
      if (req.headers.authorization !== `token ${SERVER_TOKEN}`) return json(403, { status: 403 });
      const parsed = JSON.parse(body) as { last_activity: string };
      this.activity.push({ at: Date.now(), lastActivity: parsed.last_activity });
      return json(200, {});
    }
    json(404, { status: 404 });
  }
}

describe('hub faults (runtime in hub mode against a loopback hub API)', () => {
  const hubApi = new LoopbackHub();
  let runtime: RuntimeProcess | undefined;
  let cookie = '';

  beforeAll(async () => {
    await hubApi.start();
    const port = await getFreePort();
    runtime = await startRuntime(
      [node, RUNTIME_BUNDLE, '--app', `echo=${node} ${ECHO_APP} --port {port}`],
      {
        JUPYTERHUB_API_TOKEN: SERVER_TOKEN,
        JUPYTERHUB_API_URL: hubApi.apiUrl,
        JUPYTERHUB_USER: 'alice',
        JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
        JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${port}/user/alice/`,
        JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice',
        JUPYTERHUB_OAUTH_ACCESS_SCOPES: JSON.stringify([
          'access:servers!server=alice/',
          'access:servers!user=alice',
        ]),
        JUPYTERHUB_ACTIVITY_URL: `${hubApi.apiUrl}/users/alice/activity`,
        JUPYTERHUB_ACTIVITY_INTERVAL: '1',
        HUBIFY_TOKEN_CACHE_SECONDS: '1',
      },
      port,
    );
    // A browser session: the token in the address bar becomes the session cookie.
    const login = await request(`${runtime.url}/user/alice/echo/headers?token=${USER_TOKEN}`, {
      headers: page,
    });
    expect(login.statusCode).toBe(302);
    await login.body.dump();
    cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
  });

  afterAll(async () => {
    await stopRuntime(runtime);
    await hubApi.stop();
  });

  async function use(): Promise<number> {
    const rt = runtime as RuntimeProcess;
    const res = await request(`${rt.url}/user/alice/echo/headers`, {
      headers: { cookie },
      headersTimeout: WAIT_MEDIUM,
    });
    await res.body.dump();
    return res.statusCode;
  }

  async function activityAfter(since: number, what: string): Promise<void> {
    await waitFor(() => hubApi.activity.some((report) => new Date(report.lastActivity).getTime() >= since), {
      timeoutMs: WAIT_LONG,
      intervalMs: POLL_MEDIUM,
      what,
    });
  }

  it('hub down and restarted: sessions keep working, activity is retried with growing delays and catches up, memory stays flat', async () => {
    const rt = runtime as RuntimeProcess;
    expect(await use()).toBe(200);
    await activityAfter(Date.now() - 2000, 'a first activity report');
    // Warm up, then measure RSS across the outage.
    for (let i = 0; i < 200; i++) expect(await use()).toBe(200);
    const rssBefore = rssKiB(rt.child.pid ?? 0);
    const outputBefore = rt.output().length;

    await hubApi.stop();
    const usedWhileDown = Date.now();
    const statuses: number[] = [];
    // 8 s of outage: long enough for retries at 1, 2 and 4 s; traffic all along.
    const downUntil = Date.now() + 8000;
    while (Date.now() < downUntil) {
      statuses.push(await use());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const retries = logNumbers(
      rt.output().slice(outputBefore),
      /hubify activity report failed/,
      'retry_in_ms',
    );
    expect(retries.slice(0, 3)).toEqual([1000, 2000, 4000]);
    const rssAfter = rssKiB(rt.child.pid ?? 0);

    await hubApi.start();
    await activityAfter(usedWhileDown, 'the activity of the outage to reach the hub once it is back');
    expect(await use()).toBe(200);
    const growth = (rssAfter - rssBefore) / rssBefore;
    console.log(
      `hub outage 8 s: ${statuses.length} requests, all 200; activity retries at ${retries.join(', ')} ms; ` +
        `RSS ${rssBefore} KiB -> ${rssAfter} KiB (${(growth * 100).toFixed(1)} %)`,
    );
    expect(growth).toBeLessThan(0.1);
  });

  it('hub answering 500: activity is retried until it is accepted; a token the hub never confirmed stays refused', async () => {
    hubApi.mode = 'error';
    const used = Date.now();
    expect(await use()).toBe(200);
    const rt = runtime as RuntimeProcess;
    const stranger = await request(`${rt.url}/user/alice/api/status`, {
      headers: { authorization: 'token never-seen-by-the-hub', accept: 'application/json' },
    });
    // The hub cannot say whether this token is valid: the runtime fails closed (500), never lets it in.
    expect(stranger.statusCode).toBe(500);
    await stranger.body.dump();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const reportsBefore = hubApi.activity.length;
    hubApi.mode = 'up';
    await activityAfter(used, 'activity to be accepted after the 500s');
    expect(hubApi.activity.length).toBeGreaterThan(reportsBefore);
  });

  it('a slow hub (3 s per answer): requests still succeed and activity still arrives', async () => {
    hubApi.delayMs = 3000;
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the cached lookup expires
    const used = Date.now();
    const started = Date.now();
    expect(await use()).toBe(200);
    const tookMs = Date.now() - started;
    await activityAfter(used, 'activity through the slow hub');
    hubApi.delayMs = 0;
    console.log(`slow hub: a request with an expired cache entry took ${tookMs} ms`);
  });
});

// ── A real JupyterHub restarting under a running server ────────────────────────────────────────────

/** PIDs of processes whose environment holds `KEY=value` (the server started for this test only). */
function pidsWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry)) found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** The runtime processes among `pids` (their command line names the bundle); vanished ones are skipped. */
function runtimePids(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(RUNTIME_BUNDLE);
    } catch {
      return false;
    }
  });
}

async function terminate(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await waitFor(() => !isProcessAlive(pid), {
    timeoutMs: WAIT_LONG,
    intervalMs: POLL_MEDIUM,
    what: `pid ${pid} to exit`,
  });
}

describe('a real JupyterHub restarts under a running server', () => {
  it('the session keeps working while the hub is down and after it is back; activity reaches the restarted hub', async () => {
    const marker = `HUBIFY_FAULTS_MARK=${randomBytes(8).toString('hex')}`;
    const hub = await startHub({
      name: 'faults-hub-restart',
      users: ['alice'],
      cmd: [node, RUNTIME_BUNDLE],
      args: ['--app', `echo=${node} ${ECHO_APP} --port {port}`],
      environment: {
        HUBIFY_TOKEN_CACHE_SECONDS: '1',
        JUPYTERHUB_ACTIVITY_INTERVAL: '1',
        HUBIFY_FAULTS_MARK: marker.split('=')[1] ?? '',
      },
      // A restart that leaves the single-user servers running, as hubs in production do.
      extraConfig: 'c.JupyterHub.cleanup_servers = False\nc.JupyterHub.cleanup_proxy = False',
    });
    let second: ChildProcess | undefined;
    try {
      await hub.startServer('alice');
      await hub.waitForServerReady('alice');
      const alice = await hub.loginSession('alice');
      const open = async (): Promise<number> =>
        (await alice.get('/user/alice/echo/headers', { headers: page, timeoutMs: WAIT_MEDIUM })).status;
      expect(await open()).toBe(200);
      const server = runtimePids(pidsWithEnv(marker));
      expect(server.length).toBe(1);

      // The hub goes away; its proxy keeps routing to the server.
      process.kill(hub.pid, 'SIGTERM');
      await waitFor(() => !isProcessAlive(hub.pid), {
        timeoutMs: WAIT_LONG,
        intervalMs: POLL_MEDIUM,
        what: 'the hub to exit',
      });
      const usedWhileDown = Date.now();
      const whileDown: number[] = [];
      for (const until = Date.now() + 4000; Date.now() < until;) {
        whileDown.push(await open());
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(whileDown.filter((status) => status !== 200)).toEqual([]);

      // The same hub (same database, cookie secret and ports) starts again.
      second = spawn(findJupyterHub(), ['--config', hub.configPath], {
        cwd: hub.dir,
        env: { ...process.env, NODE_OPTIONS: '' },
        detached: true,
        stdio: 'ignore',
      });
      await waitFor(
        async () => {
          const res = await hub.api('GET', '/').catch(() => undefined);
          return res?.status === 200;
        },
        { timeoutMs: WAIT_LONG, intervalMs: POLL_MEDIUM * 2, what: 'the restarted hub to answer' },
      );
      await waitFor(async () => (await open().catch(() => 0)) === 200, {
        timeoutMs: WAIT_LONG,
        intervalMs: POLL_MEDIUM,
        what: 'the server to answer through the restarted hub’s proxy',
      });
      await waitFor(
        async () => {
          const model = await hub.getServer('alice');
          return (
            model?.last_activity != null && new Date(model.last_activity).getTime() >= usedWhileDown - 1000
          );
        },
        {
          timeoutMs: WAIT_LONG,
          intervalMs: POLL_MEDIUM * 2,
          what: 'activity from the outage to reach the restarted hub',
        },
      );
      // The same server process, the same session: nobody had to log in again.
      expect(server.every((pid) => isProcessAlive(pid))).toBe(true);
      console.log(
        `hub restart: ${whileDown.length} requests while the hub was down, all 200; server pid ${server[0]} kept`,
      );
    } finally {
      if (second?.pid !== undefined) await terminate(second.pid);
      // cleanup_servers is off: the server and the proxy stay up after the hub; stop them by PID.
      for (const pid of runtimePids(pidsWithEnv(marker))) await terminate(pid);
      const pidFile = join(hub.dir, 'jupyterhub-proxy.pid');
      const proxyPid = existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, 'utf8'), 10) : Number.NaN;
      if (Number.isInteger(proxyPid)) await terminate(proxyPid);
      await hub.stop();
    }
  }, 180_000);
});

// ── SIGTERM during traffic, under tini ──────────────────────────────────────────────────────────────

function childrenOf(pid: number): { pid: number; state: string }[] {
  const found: { pid: number; state: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) found.push({ pid: Number(entry), state: fields[0] ?? '?' });
    } catch {
      // gone while we looked
    }
  }
  return found;
}

describe('SIGTERM during traffic, under tini', () => {
  it('stops every app within the grace period, leaves no zombie and no process, exits 0', async () => {
    const port = await getFreePort();
    const graceMs = 2000;
    // The orphan: `(sleep 300 &)` leaves the app's shell at once and is re-parented to tini (subreaper).
    const manifest = writeManifest([
      { name: 'echo', title: 'Echo', command: [node, ECHO_APP, '--port', '{port}'], start: 'eager' },
      {
        name: 'forker',
        title: 'Leaves an orphan',
        command: ['sh', '-c', `(sleep 300 &) ; (sleep 301 &) ; exec ${node} ${ECHO_APP} --port {port}`],
        start: 'eager',
      },
    ]);
    const rt = await startRuntime(
      [
        TINI,
        '-s',
        '-g',
        '--',
        node,
        RUNTIME_BUNDLE,
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--manifest',
        manifest,
      ],
      { HUBIFY_TOKEN: TOKEN, HUBIFY_STOP_GRACE_MS: String(graceMs) },
      port,
    );
    const tiniPid = rt.child.pid ?? 0;
    const auth = { authorization: `token ${TOKEN}` };
    try {
      await waitFor(() => (rt.output().match(/echo-app ready/g) ?? []).length >= 2, {
        timeoutMs: WAIT_MEDIUM,
        intervalMs: POLL_FAST,
        what: 'both apps to be ready',
      });
      const sleeps = (): number[] =>
        childrenOf(tiniPid)
          .filter((child) => readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').startsWith('sleep'))
          .map((child) => child.pid);
      const orphans = await waitFor(() => (sleeps().length === 2 ? sleeps() : undefined), {
        timeoutMs: WAIT_SHORT,
        intervalMs: POLL_FAST,
        what: 'the two orphaned sleeps to be re-parented to tini',
      });
      // An orphan that dies while the server runs is reaped by tini at once: no zombie stays.
      const [early = 0, late = 0] = orphans;
      process.kill(early, 'SIGKILL');
      await waitFor(() => !existsSync(`/proc/${early}`), {
        timeoutMs: WAIT_SHORT,
        intervalMs: POLL_FAST,
        what: `tini to reap the killed orphan ${early}`,
      });
      expect(childrenOf(tiniPid).filter((child) => child.state === 'Z')).toEqual([]);
      const appPids = [...rt.output().matchAll(/app spawn name=\w+ pid=(\d+)/g)].map((m) => Number(m[1]));
      expect(appPids.length).toBe(2);

      // Traffic: HTTP requests in a loop and an open WebSocket.
      const ws = new WebSocket(`ws://127.0.0.1:${port}/echo/ws`, { headers: auth });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.on('error', () => undefined);
      let running = true;
      let answered = 0;
      const traffic = (async () => {
        for (let i = 0; running && i < 10_000; i++) {
          try {
            const res = await request(`${rt.url}/echo/headers`, { headers: auth });
            await res.body.dump();
            answered++;
          } catch {
            // the server is going away
          }
        }
      })();
      await waitFor(() => answered >= 20, { timeoutMs: WAIT_SHORT, intervalMs: POLL_FAST, what: 'traffic' });

      const signalled = Date.now();
      rt.child.kill('SIGTERM');
      const exit = await rt.exited;
      const stopMs = Date.now() - signalled;
      running = false;
      await traffic;
      ws.terminate();

      console.log(
        `SIGTERM under tini: exit ${exit.code} after ${stopMs} ms (grace ${graceMs} ms), ${answered} requests answered`,
      );
      expect(exit).toEqual({ code: 0, signal: null });
      expect(rt.output()).toContain('hubify stopped');
      // Apps got SIGTERM and went within the grace period (none needed SIGKILL).
      expect(rt.output()).not.toContain('hubify app kill');
      expect(stopMs).toBeLessThan(graceMs + WAIT_SHORT);
      // Every app process and the remaining orphan (in an app's process group) are gone and reaped.
      for (const pid of [...appPids, late]) expect(existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(false);
    } finally {
      await stopRuntime(rt);
    }
  });
});
