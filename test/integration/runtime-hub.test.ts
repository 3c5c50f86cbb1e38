// hubify-proxy under a REAL JupyterHub 3.0 (Debian), spawned by the hub's SimpleLocalProcessSpawner
// exactly as jupyterhub-singleuser would be, with real apps: the suite's echo app (HTTP + WebSocket),
// an app that crashes, an app that never becomes ready. Every check goes through the hub's public URL
// (configurable-http-proxy), as a browser or an API client would.
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REPO_ROOT, RUNTIME_BUNDLE, startHub, type HubSession, type StartedHub } from '../helpers/hub.ts';
import { POLL_MEDIUM, WAIT_LONG, WAIT_MEDIUM, waitFor } from '../helpers/waits.ts';

const ECHO_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs');
const node = process.execPath;

function writeManifest(): string {
  const manifest = {
    schemaVersion: 1,
    apps: [
      {
        name: 'echo',
        title: 'Echo',
        description: 'The test suite’s HTTP and WebSocket app.',
        command: [node, ECHO_APP, '--port', '{port}'],
        activity: { exclude: ['^/poll'] },
        launcher: { category: 'Test apps', order: 1 },
      },
      {
        name: 'kept',
        title: 'Echo with prefix kept',
        command: [node, ECHO_APP, '--port', '{port}', '--prefix', '{app_url}'],
        stripPrefix: false,
      },
      {
        name: 'crashy',
        title: 'Crashy',
        command: [node, ECHO_APP, '--port', '{port}', '--crash-after', '1500'],
        restart: { backoff: 0.2, maxBackoff: 0.5, maxRestarts: 50 },
      },
      {
        name: 'never',
        title: 'Never Ready',
        command: [node, '-e', 'console.log("booting forever"); setInterval(() => {}, 1000)'],
        readiness: { timeout: 2 },
      },
    ],
  };
  const path = join(mkdtempSync(join(tmpdir(), 'hubify-manifest-')), 'manifest.json');
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  return path;
}

const page = { accept: 'text/html', 'sec-fetch-mode': 'navigate' };
let hub: StartedHub;
let alice: HubSession;

beforeAll(async () => {
  const manifest = writeManifest();
  hub = await startHub({
    name: 'runtime-hub',
    users: ['alice', 'bob', 'root-admin'],
    adminUsers: ['root-admin'],
    cmd: [node, RUNTIME_BUNDLE],
    args: ['--manifest', manifest],
    environment: {
      JUPYTERHUB_ACTIVITY_INTERVAL: '1',
      HUBIFY_TOKEN_CACHE_SECONDS: '1',
      HUBIFY_STOP_GRACE_MS: '2000',
    },
  });
  await hub.startServer('alice');
  await hub.waitForServerReady('alice');
  alice = await loginToServer('alice');
});

/** Logs in at the hub, then opens the server once as a browser would, which runs the OAuth flow. */
async function loginToServer(user: string): Promise<HubSession> {
  const session = await hub.loginSession(user);
  const landing = await session.get(`/user/${user}/`, { headers: page });
  expect(landing.status).toBe(200);
  return session;
}

afterAll(async () => {
  const result = await hub?.stop();
  expect(result?.leftovers ?? []).toEqual([]);
});

// Refusals (no or bad credentials, other users, revoked tokens, hostile headers and paths) are rows of
// the attack table in attack-suite.test.ts.
describe('endpoint security', () => {
  it('sends an unauthenticated browser to the hub OAuth authorize URL with a state cookie', async () => {
    const response = await request(`${hub.url}/user/alice/echo/`, { headers: page });
    expect(response.statusCode).toBe(302);
    const location = String(response.headers.location);
    expect(location).toMatch(/^\/hub\/api\/oauth2\/authorize\?/);
    const query = new URL(location, hub.url).searchParams;
    expect(query.get('client_id')).toBe('jupyterhub-user-alice');
    expect(query.get('redirect_uri')).toBe('/user/alice/oauth_callback');
    expect(query.get('response_type')).toBe('code');
    expect(query.get('state')).toMatch(/^[\w-]{16,}$/);
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^jupyterhub-user-alice-oauth-state=/);
    expect(setCookie).toMatch(/Path=\/user\/alice\//);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(response.headers['x-jupyterhub-version']).toBe(hub.version);
    await response.body.dump();
  });

  it('walks the OAuth flow to the launcher and sets a session cookie scoped to the prefix', async () => {
    const fresh = await hub.loginSession('alice');
    const response = await fresh.get('/user/alice/', { headers: page });
    expect(response.status).toBe(200);
    expect(response.url).toBe(`${hub.url}/user/alice/`);
    const hops = response.redirects.map((hop) => new URL(hop.url).pathname);
    expect(hops).toEqual(['/user/alice/', '/hub/api/oauth2/authorize', '/user/alice/oauth_callback']);
    const session = fresh.jar.all().find((cookie) => cookie.name === 'jupyterhub-user-alice');
    expect(session).toMatchObject({ path: '/user/alice/', httpOnly: true });
    expect(response.body).toContain('Echo');
    expect(response.body).toContain('Test apps');
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('answers the readiness probe itself, without authentication, with the hub version', async () => {
    const response = await request(`${hub.url}/user/alice/api`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-jupyterhub-version']).toBe(hub.version);
    expect(await response.body.json()).toMatchObject({ version: hub.version });
  });

  it('lets an admin with access:servers in', async () => {
    const { token } = await hub.createToken('root-admin', { scopes: ['access:servers'] });
    const response = await request(`${hub.url}/user/alice/echo/headers`, {
      headers: { authorization: `token ${token}` },
    });
    expect(response.statusCode).toBe(200);
    const seen = (await response.body.json()) as { headers: Record<string, string> };
    expect(seen.headers['x-hubify-user']).toBe('root-admin');
    expect(seen.headers['x-hubify-server-owner']).toBe('alice');
  });

  it('accepts a token in the Authorization header (token and bearer) and stops accepting it once revoked', async () => {
    const { token, id } = await hub.createToken('alice');
    for (const scheme of ['token', 'Bearer']) {
      const ok = await request(`${hub.url}/user/alice/api/status`, {
        headers: { authorization: `${scheme} ${token}` },
      });
      expect(ok.statusCode).toBe(200);
      await ok.body.dump();
    }
    await hub.revokeToken('alice', id);
    await waitFor(
      async () => {
        const after = await request(`${hub.url}/user/alice/api/status`, {
          headers: { authorization: `token ${token}` },
        });
        await after.body.dump();
        return after.statusCode === 403;
      },
      { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'the revoked token to be refused' },
    );
  });
});

describe('identity and headers', () => {
  it('keeps the prefix for apps that want it and rewrites redirects and cookie paths for the others', async () => {
    const kept = await alice.get('/user/alice/kept/headers');
    expect(kept.status).toBe(200);
    expect((JSON.parse(kept.body) as { url: string }).url).toBe('/user/alice/kept/headers');
    const redirected = await alice.get('/user/alice/echo/redirect?to=/somewhere', { followRedirects: false });
    expect(redirected.headers.location).toBe('/user/alice/echo/somewhere');
    const offsite = await alice.get('/user/alice/echo/redirect?to=//evil.example/', {
      followRedirects: false,
    });
    expect(offsite.headers.location).toBe('//evil.example/');
    const cookies = await alice.get('/user/alice/echo/cookie', { followRedirects: false });
    const setCookie = ([] as string[]).concat(cookies.headers['set-cookie'] ?? []);
    expect(setCookie.some((c) => /a=1; Path=\/user\/alice\/echo\/(;|$)/.test(c))).toBe(true);
    expect(setCookie.some((c) => /b=2; Path=\/user\/alice\/echo\/sub/.test(c))).toBe(true);
  });
});

describe('proxying', () => {
  it('streams large bodies both ways', async () => {
    const big = await alice.get('/user/alice/echo/big?mb=8');
    expect(big.status).toBe(200);
    expect(big.bytes.length).toBe(8 * 1024 * 1024);
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const echoed = await alice.request('/user/alice/echo/echo', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(echoed.bytes.equals(body)).toBe(true);
  });

  it('proxies WebSockets with the session cookie: subprotocol, text, binary, large frames', async () => {
    const cookie = alice.jar.header(new URL(`${hub.url}/user/alice/echo/ws`));
    const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/user/alice/echo/ws`, ['x-unknown', 'chat'], {
      headers: { cookie },
      maxPayload: 32 * 1024 * 1024,
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('chat');
    const next = (): Promise<Buffer> =>
      new Promise((resolve) => ws.once('message', (data) => resolve(data as Buffer)));
    ws.send('hello');
    expect((await next()).toString()).toBe('hello');
    const large = Buffer.alloc(5 * 1024 * 1024, 3);
    ws.send(large);
    const back = await next();
    expect(back.length).toBe(large.length);
    ws.send('!info');
    const info = JSON.parse((await next()).toString()) as { headers: Record<string, string> };
    expect(info.headers['x-hubify-user']).toBe('alice');
    expect(info.headers.cookie ?? '').not.toMatch(/jupyterhub-/);
    ws.close();
  });
});

describe('activity', () => {
  it('reports the true last activity time to the hub after use', async () => {
    const before = (await hub.getServer('alice'))?.last_activity ?? null;
    const used = new Date();
    await alice.get('/user/alice/echo/headers');
    await waitFor(
      async () => {
        const now = (await hub.getServer('alice'))?.last_activity ?? null;
        return now !== null && now !== before && new Date(now).getTime() >= used.getTime() - 1000;
      },
      { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'last_activity to advance on the hub' },
    );
  });

  it('does not count excluded polling paths or status polling as activity', async () => {
    await alice.get('/user/alice/echo/headers');
    const status1 = JSON.parse((await alice.get('/user/alice/api/status')).body) as { last_activity: string };
    await new Promise((resolve) => setTimeout(resolve, 50));
    await alice.get('/user/alice/echo/poll');
    await alice.get('/user/alice/api/status');
    const status2 = JSON.parse((await alice.get('/user/alice/api/status')).body) as { last_activity: string };
    expect(status2.last_activity).toBe(status1.last_activity);
  });
});

describe('apps', () => {
  it('shows the status API in its documented shape', async () => {
    const response = await alice.get('/user/alice/api/status', { headers: { accept: 'application/json' } });
    const status = JSON.parse(response.body) as {
      version: string;
      apps: { name: string; url: string; state: string }[];
      last_activity: string | null;
    };
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.apps.map((app) => app.name)).toEqual(['echo', 'kept', 'crashy', 'never']);
    expect(status.apps[0]).toMatchObject({ name: 'echo', url: '/user/alice/echo/', state: 'running' });
    for (const app of status.apps) expect(['stopped', 'starting', 'running', 'failed']).toContain(app.state);
  });

  it('restarts a crashed app', async () => {
    const first = await alice.get('/user/alice/crashy/headers', { headers: { accept: 'application/json' } });
    expect(first.status).toBe(200);
    await waitFor(
      async () => {
        const status = JSON.parse((await alice.get('/user/alice/api/status')).body) as {
          apps: { name: string; restarts: number }[];
        };
        return (status.apps.find((app) => app.name === 'crashy')?.restarts ?? 0) >= 1;
      },
      { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'crashy to be restarted' },
    );
    await waitFor(
      async () =>
        (await alice.get('/user/alice/crashy/headers', { headers: { accept: 'application/json' } }))
          .status === 200,
      { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'crashy to answer again' },
    );
  });

  it('shows the error page with the app’s log when an app never becomes ready', async () => {
    const first = await alice.get('/user/alice/never/', { headers: page });
    expect([503]).toContain(first.status);
    await waitFor(
      async () => {
        const response = await alice.get('/user/alice/never/', { headers: page });
        return response.status === 503 && response.body.includes('booting forever');
      },
      { timeoutMs: WAIT_LONG, intervalMs: POLL_MEDIUM * 5, what: 'the error page with the log tail' },
    );
    const api = await alice.get('/user/alice/never/', { headers: { accept: 'application/json' } });
    expect(api.status).toBe(503);
    expect(JSON.parse(api.body)).toMatchObject({ error: 'app_failed', app: 'never' });
  });

  it('restarts an app from the launcher only with a valid XSRF token', async () => {
    const launcher = await alice.get('/user/alice/', { headers: page });
    const token = /name="_xsrf" value="([^"]+)"/.exec(launcher.body)?.[1];
    expect(token).toBeDefined();
    const refused = await alice.request('/user/alice/_hubify/apps/echo/restart', {
      method: 'POST',
      body: '_xsrf=wrong',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      followRedirects: false,
    });
    expect(refused.status).toBe(403);
    const accepted = await alice.request('/user/alice/_hubify/apps/echo/restart', {
      method: 'POST',
      body: `_xsrf=${encodeURIComponent(token ?? '')}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      followRedirects: false,
    });
    expect(accepted.status).toBe(303);
    await waitFor(async () => (await alice.get('/user/alice/echo/headers')).status === 200, {
      timeoutMs: WAIT_MEDIUM,
      intervalMs: POLL_MEDIUM,
      what: 'echo to answer after its restart',
    });
  });
});

describe('named servers', () => {
  it('gives each named server its own cookie and activity, and never forwards the other server’s cookie', async () => {
    await hub.startServer('alice', 'gpu');
    await hub.waitForServerReady('alice', 'gpu');
    const landing = await alice.get('/user/alice/gpu/', { headers: page });
    expect(landing.status).toBe(200);
    const cookies = alice.jar.all().filter((cookie) => /^jupyterhub-user-alice(-gpu)?$/.test(cookie.name));
    expect(cookies.map((cookie) => `${cookie.name} ${cookie.path}`).sort()).toEqual([
      'jupyterhub-user-alice /user/alice/',
      'jupyterhub-user-alice-gpu /user/alice/gpu/',
    ]);
    const seen = JSON.parse((await alice.get('/user/alice/gpu/echo/headers')).body) as {
      headers: Record<string, string>;
    };
    expect(seen.headers['x-hubify-user']).toBe('alice');
    expect(seen.headers.cookie ?? '').not.toMatch(/jupyterhub-user-alice/);
    // The default server's cookie alone does not open the named server.
    const defaultCookie = cookies.find((cookie) => cookie.name === 'jupyterhub-user-alice');
    const onlyDefault = await request(`${hub.url}/user/alice/gpu/api/status`, {
      headers: { cookie: `jupyterhub-user-alice=${defaultCookie?.value ?? ''}` },
    });
    expect(onlyDefault.statusCode).toBe(403);
    await onlyDefault.body.dump();
    const used = Date.now();
    await waitFor(
      async () => {
        const server = await hub.getServer('alice', 'gpu');
        return server?.last_activity != null && new Date(server.last_activity).getTime() >= used - 1000;
      },
      {
        timeoutMs: WAIT_MEDIUM,
        intervalMs: POLL_MEDIUM,
        what: 'the named server’s last_activity to advance',
      },
    );
    await hub.stopServer('alice', 'gpu');
  });
});

describe('logout and stop', () => {
  it('logs out: clears the cookie and sends the browser to the hub logout', async () => {
    const session = await hub.loginSession('alice');
    await session.get('/user/alice/', { headers: page });
    const response = await session.get('/user/alice/logout', { followRedirects: false });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/hub/logout');
    expect(String(response.headers['set-cookie'])).toMatch(/jupyterhub-user-alice=;/);
  });

  it('stops cleanly when the hub stops the server, leaving no app processes', async () => {
    await hub.startServer('bob');
    await hub.waitForServerReady('bob');
    const bob = await loginToServer('bob');
    expect((await bob.get('/user/bob/echo/headers')).status).toBe(200);
    await hub.stopServer('bob');
    const after = await request(`${hub.url}/user/bob/api`);
    expect(after.statusCode).not.toBe(200);
    await after.body.dump();
  });
});
