// Proves the integration harness against a REAL JupyterHub 3.0 (Debian) whose spawner runs Debian's
// own `jupyterhub-singleuser`, so it needs nothing from our runtime. If these fail, every other
// integration test's failure is suspect.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchBrowser, hubLogin, saveScreenshot } from '../helpers/browser.ts';
import { getFreePort } from '../helpers/free-port.ts';
import { isProcessAlive, REPO_ROOT, startHub, type StartedHub } from '../helpers/hub.ts';
import { POLL_FAST, POLL_MEDIUM, WAIT_LONG, WAIT_MEDIUM, WAIT_SHORT, waitFor } from '../helpers/waits.ts';

const SINGLEUSER = '/usr/bin/jupyterhub-singleuser';
// The Debian notebook server refuses to run as root without --allow-root (containers run tests as root).
const SINGLEUSER_ARGS = process.getuid?.() === 0 ? ['--allow-root'] : [];
const ECHO_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs');

// Zombie-aware: orphans (CHP after the hub exits) stay zombies until PID 1 reaps them.
const isAlive = isProcessAlive;

describe('startHub with Debian jupyterhub-singleuser', () => {
  let hub: StartedHub;

  beforeAll(async () => {
    hub = await startHub({
      name: 'harness',
      users: ['alice', 'bob'],
      cmd: [SINGLEUSER],
      args: SINGLEUSER_ARGS,
      environment: { JUPYTERHUB_ACTIVITY_INTERVAL: '1' },
    });
    console.log(`hub ${hub.version} up in ${hub.startupMs} ms at ${hub.url} (log ${hub.logPath})`);
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('answers the hub API through the proxy', async () => {
    expect(hub.version).toMatch(/^3\.0\./);
    const res = await hub.api<{ version: string }>('GET', '/');
    expect(res.status).toBe(200);
    expect(res.body?.version).toBe(hub.version);
    const users = await hub.api<{ name: string }[]>('GET', '/users');
    expect(users.status).toBe(200);
    expect(users.body?.map((u) => u.name).sort()).toEqual(['alice', 'bob']);
  });

  it('creates users and reports conflicts as existing users', async () => {
    const carol = await hub.createUser('carol', { admin: true });
    expect(carol).toMatchObject({ name: 'carol', admin: true });
    const again = await hub.createUser('carol', { admin: false });
    expect(again.admin).toBe(false);
  });

  it('starts a server and waits until the hub calls it ready', async () => {
    const status = await hub.startServer('alice');
    expect([201, 202]).toContain(status);
    const server = await hub.waitForServerReady('alice');
    expect(server.ready).toBe(true);
    expect(server.url).toBe('/user/alice/');
    expect(server.state?.pid).toBeGreaterThan(0);
    expect(existsSync(hub.homeDir('alice'))).toBe(true);
  });

  it('walks the whole OAuth flow like a browser with loginSession', async () => {
    const session = await hub.loginSession('alice');
    expect(session.jar.get('jupyterhub-hub-login')?.path).toBe('/hub/');
    // API requests without a cookie get 403 from singleuser, never a redirect into OAuth.
    const anonymousApi = await session.get('/user/alice/api/status');
    expect(anonymousApi.status).toBe(403);
    // A page navigation walks server -> hub authorize -> server callback -> the page.
    const tree = await session.get('/user/alice/tree');
    expect(tree.status).toBe(200);
    const hops = tree.redirects.map((r) => new URL(r.location, r.url).pathname);
    expect(hops).toEqual(['/hub/api/oauth2/authorize', '/user/alice/oauth_callback', '/user/alice/tree']);
    expect(tree.headers['x-jupyterhub-version']).toBe(hub.version);
    const serverCookie = session.jar.get('jupyterhub-user-alice');
    expect(serverCookie).toMatchObject({ path: '/user/alice/', httpOnly: true });
    // The state cookie is cleared by the callback.
    expect(session.jar.get('jupyterhub-user-alice-oauth-state')).toBeUndefined();
    // Now the cookie is enough, for pages and API alike.
    const status = await session.get('/user/alice/api/status');
    expect(status.status).toBe(200);
    expect(status.redirects).toEqual([]);
    expect(JSON.parse(status.body)).toHaveProperty('started');
  });

  it('rejects a wrong password with a clear error', async () => {
    await expect(hub.loginSession('alice', 'wrong')).rejects.toThrow(/login as alice failed/);
  });

  it('creates a token that the server accepts, and revokes it', async () => {
    const { token, id } = await hub.createToken('alice', { expiresIn: 600, note: 'harness' });
    expect(id).toMatch(/^a\d+$/);
    const viaServer = await request(`${hub.url}/user/alice/api/status`, {
      headers: { authorization: `token ${token}` },
    });
    await viaServer.body.dump();
    expect(viaServer.statusCode).toBe(200);
    const whoami = await request(`${hub.apiUrl}/user`, { headers: { authorization: `token ${token}` } });
    expect(((await whoami.body.json()) as { name: string }).name).toBe('alice');
    await hub.revokeToken('alice', id);
    const after = await request(`${hub.apiUrl}/user`, { headers: { authorization: `token ${token}` } });
    await after.body.dump();
    expect(after.statusCode).toBe(403);
  });

  it('creates tokens with restricted scopes', async () => {
    const { token } = await hub.createToken('alice', { scopes: ['read:users:name!user=alice'] });
    const res = await request(`${hub.apiUrl}/user`, { headers: { authorization: `token ${token}` } });
    const model = (await res.body.json()) as { scopes: string[] };
    expect(model.scopes).toContain('read:users:name!user=alice');
    expect(model.scopes).not.toContain('access:servers!server=alice/');
  });

  it('reads last_activity, which the server reports', async () => {
    const before = await hub.getServer('alice');
    expect(before?.last_activity).toMatch(/^\d{4}-\d\d-\d\dT/);
    const first = Date.parse(before?.last_activity ?? '');
    expect(first).toBeLessThanOrEqual(Date.now() + 1000);
    // JUPYTERHUB_ACTIVITY_INTERVAL=1 and a fresh API request: singleuser posts newer activity.
    const { token } = await hub.createToken('alice');
    const later = await waitFor(
      async () => {
        const res = await request(`${hub.url}/user/alice/api/contents`, {
          headers: { authorization: `token ${token}` },
        });
        await res.body.dump();
        const server = await hub.getServer('alice');
        const at = Date.parse(server?.last_activity ?? '');
        return at > first ? at : undefined;
      },
      { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'alice/ last_activity to advance' },
    );
    expect(later).toBeGreaterThan(first);
  });

  it('runs named servers side by side', async () => {
    await hub.startServer('alice', 'second');
    const server = await hub.waitForServerReady('alice', 'second');
    expect(server.url).toBe('/user/alice/second/');
    const session = await hub.loginSession('alice');
    const res = await session.get('/user/alice/second/tree');
    expect(res.status).toBe(200);
    expect((await session.get('/user/alice/second/api/status')).status).toBe(200);
    expect(session.jar.get('jupyterhub-user-alice-second')?.path).toBe('/user/alice/second/');
  });

  it('logs in with a real browser', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await hubLogin(page, hub.url, 'alice', hub.password, { next: '/user/alice/tree' });
      await page.waitForURL(/\/user\/alice\/tree/, { timeout: WAIT_LONG });
      expect(await page.title()).toMatch(/Home|Jupyter/);
      const shot = await saveScreenshot(page, 'harness-alice-tree');
      expect(existsSync(shot)).toBe(true);
      const other = await browser.newPage();
      await expect(hubLogin(other, hub.url, 'alice', 'wrong-password')).rejects.toThrow(/rejected: Invalid/);
    } finally {
      await browser.close();
    }
  });

  it('stops a server and its process', async () => {
    await hub.startServer('bob');
    const server = await hub.waitForServerReady('bob');
    const pid = server.state?.pid ?? 0;
    expect(isAlive(pid)).toBe(true);
    await hub.stopServer('bob');
    expect(await hub.getServer('bob')).toBeUndefined();
    await waitFor(() => !isAlive(pid), {
      timeoutMs: WAIT_SHORT,
      intervalMs: POLL_FAST,
      what: `bob's pid ${pid} to exit`,
    });
  });

  it('stop() shuts the hub, the proxy and every server down', async () => {
    const ids = hub.processIds();
    const pids = [ids.hub, ids.proxy ?? 0, ...Object.values(ids.servers)];
    expect(ids.proxy).toBeGreaterThan(0);
    expect(Object.keys(ids.servers).sort()).toEqual(expect.arrayContaining(['alice/', 'alice/second']));
    expect(pids.filter(isAlive).length).toBeGreaterThanOrEqual(3);
    const result = await hub.stop();
    expect(result).toMatchObject({ killed: false, leftovers: [] });
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(hub.dir)).toBe(false);
    expect(existsSync(hub.logPath)).toBe(true);
  });
});

describe('startHub with internal SSL', () => {
  let hub: StartedHub;

  beforeAll(async () => {
    hub = await startHub({
      name: 'harness-ssl',
      users: ['alice'],
      cmd: [SINGLEUSER],
      args: SINGLEUSER_ARGS,
      internalSsl: true,
    });
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('spawns over mTLS and still serves the public URL over http', async () => {
    expect(hub.hubBindUrl).toMatch(/^https:/);
    expect(existsSync(join(hub.certsDir ?? '', 'hub-ca', 'hub-ca.crt'))).toBe(true);
    await hub.startServer('alice');
    await hub.waitForServerReady('alice');
    const session = await hub.loginSession('alice');
    const res = await session.get('/user/alice/tree');
    expect(res.status).toBe(200);
    expect((await session.get('/user/alice/api/status')).status).toBe(200);
    const result = await hub.stop();
    expect(result.leftovers).toEqual([]);
  });
});

describe('startHub failures', () => {
  it('reports the hub log when the hub cannot start', async () => {
    await expect(
      startHub({
        name: 'harness-broken',
        extraConfig: 'raise RuntimeError("broken on purpose")',
        keepDir: false,
      }),
    ).rejects.toThrow(/JupyterHub did not start[\s\S]*broken on purpose/);
  });

  it('reports a server that dies at start with its output from the hub log', async () => {
    const hub = await startHub({
      name: 'harness-dying-server',
      users: ['alice'],
      cmd: ['/bin/sh', '-c', 'echo dying on purpose; exit 3'],
      httpTimeoutSeconds: 3,
    });
    try {
      // Hub 3.0 notices the dead process only when http_timeout expires, then answers 500.
      await expect(hub.startServer('alice')).rejects.toThrow(
        /Spawner failed to start[\s\S]*dying on purpose/,
      );
    } finally {
      expect((await hub.stop()).leftovers).toEqual([]);
    }
  });
});

describe('echo-app fixture', () => {
  let app: ChildProcess;
  let base: string;

  beforeAll(async () => {
    const port = await getFreePort();
    app = spawn(
      process.execPath,
      [ECHO_APP, '--port', String(port), '--prefix', '/base/', '--delay-ready', '300'],
      {
        stdio: 'ignore',
      },
    );
    base = `http://127.0.0.1:${port}/base`;
    const early = await waitFor(
      async () => {
        const res = await request(`${base}/headers`);
        await res.body.dump();
        return res.statusCode;
      },
      { timeoutMs: WAIT_SHORT, what: 'echo-app to listen' },
    );
    expect(early).toBe(503);
    await waitFor(
      async () => {
        const res = await request(`${base}/headers`);
        await res.body.dump();
        return res.statusCode === 200;
      },
      { timeoutMs: WAIT_SHORT, what: 'echo-app to be ready' },
    );
  });

  afterAll(() => {
    if (app.pid !== undefined && isAlive(app.pid)) process.kill(app.pid, 'SIGTERM');
  });

  it('serves HTTP routes under its prefix', async () => {
    const headers = await request(`${base}/headers`, { headers: { 'x-test': 'yes' } });
    expect(await headers.body.json()).toMatchObject({
      method: 'GET',
      url: '/base/headers',
      httpVersion: '1.1',
      headers: { 'x-test': 'yes' },
    });
    const cookie = await request(`${base}/cookie`);
    await cookie.body.dump();
    expect(cookie.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/sub']);
    const big = await request(`${base}/big?mb=2`);
    expect((await big.body.arrayBuffer()).byteLength).toBe(2 * 1024 * 1024);
    const echo = await request(`${base}/echo`, {
      method: 'POST',
      body: 'ping',
      headers: { 'content-type': 'text/plain' },
    });
    expect(await echo.body.text()).toBe('ping');
    const redirect = await request(`${base}/redirect?to=/elsewhere`);
    await redirect.body.dump();
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('/elsewhere');
    const outside = await request(base.replace('/base', '/other'));
    await outside.body.dump();
    expect(outside.statusCode).toBe(404);
  });

  it('echoes WebSocket text and 16 MB binary frames and negotiates a subprotocol', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, ['nope', 'binary', 'chat'], {
      maxPayload: 32 * 1024 * 1024,
    });
    const messages: { data: Buffer; isBinary: boolean }[] = [];
    ws.on('message', (data: Buffer, isBinary) => messages.push({ data, isBinary }));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('binary');
    const big = Buffer.alloc(16 * 1024 * 1024 - 64, 7);
    ws.send('hello');
    ws.send(big);
    ws.send('!info');
    await waitFor(() => messages.length === 3, { timeoutMs: WAIT_MEDIUM, what: 'three WebSocket replies' });
    expect(messages[0]).toEqual({ data: Buffer.from('hello'), isBinary: false });
    expect(messages[1]?.isBinary).toBe(true);
    expect(messages[1]?.data.equals(big)).toBe(true);
    expect(JSON.parse(messages[2]?.data.toString() ?? '{}')).toMatchObject({
      protocol: 'binary',
      url: '/base/ws',
    });
    ws.close();
  });

  it('crashes on purpose with --crash-after', async () => {
    const port = await getFreePort();
    const crasher = spawn(process.execPath, [ECHO_APP, '--port', String(port), '--crash-after', '200'], {
      stdio: 'ignore',
    });
    const code = await new Promise<number | null>((resolve) => crasher.once('exit', resolve));
    expect(code).toBe(1);
  });
});
