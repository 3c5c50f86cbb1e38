// The attack suite: hostile requests against hubify-proxy under a REAL JupyterHub 3.0 (Debian), through
// the hub's public URL (configurable-http-proxy) and, where a proxy in front could hide a weakness,
// straight at the runtime's own port. Every case is a row of one table and asserts the exact refusal:
// the status, and where the client is sent (Location) or what it is told (JSON error, page title).
// At the end the suite prints the table "cases tried, cases refused" and writes it to
// test/artifacts/attack-table.md (docs/security.md explains the threat model behind each row).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { REPO_ROOT, RUNTIME_BUNDLE, startHub, type HubSession, type StartedHub } from '../helpers/hub.ts';
import { POLL_MEDIUM, WAIT_MEDIUM, WAIT_SHORT, waitFor } from '../helpers/waits.ts';

const ECHO_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs');
const TABLE_PATH = join(REPO_ROOT, 'test', 'artifacts', 'attack-table.md');
const node = process.execPath;
/** The named server whose cookies expire after COOKIE_MAX_AGE_S (JUPYTERHUB_COOKIE_OPTIONS max_age). */
const SHORT = 'short';
const COOKIE_MAX_AGE_S = 3;
const HEADERS_TIMEOUT_MS = 1500;
const page = { accept: 'text/html', 'sec-fetch-mode': 'navigate' };
const api = { accept: 'application/json' };

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the client was told: `→ Location`, `json <error>`, `page "<title>"`, or the first text line. */
function where(answer: Answer): string {
  const location = answer.headers.location;
  if (location !== undefined) return `→ ${location}`;
  const type = String(answer.headers['content-type'] ?? '');
  if (type.includes('json')) {
    try {
      const parsed = JSON.parse(answer.body) as { error?: string; message?: string };
      if (parsed.error === undefined) return 'json';
      // Who refused matters when the message names another server.
      const message = parsed.message ?? '';
      return `json ${parsed.error}${message.includes('not allowed') ? `: ${message}` : ''}`;
    } catch {
      return 'json (unparsable)';
    }
  }
  const title = /<title>([^<]*)<\/title>/.exec(answer.body)?.[1];
  if (title !== undefined) return `page "${title.replace(/ · hubify$/, '').trim()}"`;
  return answer.body.split('\n')[0]?.slice(0, 80) ?? '';
}

/** One raw HTTP request: the path goes on the wire byte for byte (no URL normalisation). */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        timeout: WAIT_MEDIUM,
        // A fresh connection per attack: one case's refused connection never spills into the next.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within ${WAIT_MEDIUM} ms`)));
    req.end(options.body);
  });
}

/** A WebSocket upgrade; the status the server answered with (101 when it opened). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: WAIT_SHORT });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

interface Expected {
  status: number;
  /** Matched against where(answer): exactly, or a pattern with the text the table shows for it. */
  where: string | { pattern: RegExp; text: string };
}

interface AttackCase {
  group: string;
  name: string;
  expected: Expected;
  /** Sends the attack; extra checks (what the app saw) throw from here. */
  attack: () => Promise<Answer>;
}

interface Row {
  group: string;
  name: string;
  expected: string;
  observed: string;
  refused: boolean;
}

let hub: StartedHub;
let hubPort: number;
/** The runtime's own port for alice's default server (no configurable-http-proxy in front). */
let runtimePort: number;
/** The echo app's loopback port in alice's default server. */
let appPort: number;
let alice: HubSession;
let bob: HubSession;
let shortLoginAt = 0;
/** A full-scope token of alice's. */
let aliceToken = '';
const rows: Row[] = [];

function cookieOf(session: HubSession, name: string): string {
  const cookie = session.jar.all().find((c) => c.name === name);
  if (cookie === undefined) throw new Error(`the ${session.user} session has no ${name} cookie`);
  return cookie.value;
}

function aliceCookies(path = '/user/alice/'): string {
  return alice.jar.header(new URL(`${hub.url}${path}`)) ?? '';
}

function flip(value: string): string {
  const last = value.at(-1) === 'A' ? 'B' : 'A';
  return `${value.slice(0, -1)}${last}`;
}

function readyPort(prefix: string): number {
  const escaped = prefix.replace(/\//g, '\\/');
  const match = new RegExp(`hubify ready url=http://127\\.0\\.0\\.1:(\\d+)${escaped}`).exec(
    hub.logTail(5000),
  );
  const port = Number(match?.[1]);
  if (!(port > 0)) throw new Error(`no "hubify ready" line for ${prefix} in the hub log`);
  return port;
}

async function startAndLogin(session: HubSession, user: string, server = ''): Promise<void> {
  await hub.startServer(user, server);
  await hub.waitForServerReady(user, server);
  const prefix = server === '' ? `/user/${user}/` : `/user/${user}/${server}/`;
  const landing = await session.get(prefix, { headers: page });
  if (landing.status !== 200) throw new Error(`${user} did not reach ${prefix}: ${landing.status}`);
}

/** What the echo app saw for a request that carried hostile headers. */
async function echoSaw(port: number, headers: Record<string, string>): Promise<Answer> {
  const answer = await send(port, '/user/alice/echo/headers?token=leak&x=1', { headers });
  if (answer.status === 200) {
    const seen = JSON.parse(answer.body) as { url: string; headers: Record<string, string> };
    const leaked = Object.entries(seen.headers).filter(([, value]) => /mallory|6\.6\.6\.6|evil/.test(value));
    if (leaked.length > 0) throw new Error(`the app received client claims: ${JSON.stringify(leaked)}`);
    expect(seen.headers['x-hubify-user']).toBe('alice');
    expect(seen.headers['x-forwarded-prefix']).toBe('/user/alice/echo');
    expect(seen.headers.cookie ?? '').not.toMatch(/jupyterhub-/);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.url).toBe('/headers?x=1');
  }
  return answer;
}

const SPOOFED = {
  'x-hubify-user': 'mallory',
  'x-hubify-identity': 'eyJmallory',
  'x-hubify-admin': '1',
  'x-forwarded-user': 'mallory',
  'x-forwarded-email': 'mallory@evil.example',
  'x-forwarded-prefix': '/evil',
  'x-forwarded-host': 'evil.example',
  'x-real-ip': '6.6.6.6',
  forwarded: 'for=6.6.6.6;host=evil.example',
  'remote-user': 'mallory',
  'x-remote-user': 'mallory',
  'x-auth-request-user': 'mallory',
  'x-auth-request-email': 'mallory@evil.example',
};

beforeAll(async () => {
  const manifestDir = mkdtempSync(join(tmpdir(), 'hubify-attack-'));
  const manifestPath = join(manifestDir, 'manifest.json');
  writeFileSync(
    manifestPath,
    JSON.stringify({
      schemaVersion: 1,
      apps: [{ name: 'echo', title: 'Echo', command: [node, ECHO_APP, '--port', '{port}'], start: 'eager' }],
    }),
  );
  hub = await startHub({
    name: 'attack-suite',
    users: ['alice', 'bob'],
    cmd: [node, RUNTIME_BUNDLE],
    args: ['--manifest', manifestPath],
    environment: {
      HUBIFY_TOKEN_CACHE_SECONDS: '1',
      HUBIFY_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    },
    // Only the named server "short" gets cookies that expire after a few seconds.
    extraConfig: [
      'import json',
      `c.Spawner.environment['JUPYTERHUB_COOKIE_OPTIONS'] = lambda spawner: json.dumps({'max_age': ${COOKIE_MAX_AGE_S}} if spawner.name == '${SHORT}' else {})`,
    ].join('\n'),
  });
  hubPort = Number(new URL(hub.url).port);
  alice = await hub.loginSession('alice');
  bob = await hub.loginSession('bob');
  await startAndLogin(alice, 'alice');
  runtimePort = readyPort('/user/alice/');
  await waitFor(() => /echo-app listening on http:\/\/127\.0\.0\.1:(\d+)\//.test(hub.logTail(5000)), {
    timeoutMs: WAIT_MEDIUM,
    intervalMs: POLL_MEDIUM,
    what: 'alice’s echo app to listen',
  });
  appPort = Number(/echo-app listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(hub.logTail(5000))?.[1]);
  await startAndLogin(bob, 'bob');
  await startAndLogin(alice, 'alice', SHORT);
  shortLoginAt = Date.now();
  aliceToken = (await hub.createToken('alice')).token;
}, 180_000);

afterAll(async () => {
  const tried = rows.length;
  const refused = rows.filter((row) => row.refused).length;
  const lines = [
    '# Attack table',
    '',
    `Cases tried: ${tried}. Cases refused: ${refused}.`,
    '',
    '| Group | Attack | Expected refusal | Observed | Refused |',
    '| ----- | ------ | ---------------- | -------- | ------- |',
    ...rows.map(
      (row) =>
        `| ${row.group} | ${row.name.replace(/\|/g, '\\|')} | ${row.expected.replace(/\|/g, '\\|')} | ${row.observed.replace(/\|/g, '\\|')} | ${row.refused ? 'yes' : 'NO'} |`,
    ),
    '',
  ];
  mkdirSync(join(REPO_ROOT, 'test', 'artifacts'), { recursive: true });
  writeFileSync(TABLE_PATH, lines.join('\n'));
  console.log(`\n${lines.join('\n')}\nwritten to ${TABLE_PATH}`);
  const result = await hub?.stop();
  expect(result?.leftovers ?? []).toEqual([]);
});

const viaHub = (path: string, options: Parameters<typeof send>[2] = {}) => send(hubPort, path, options);
const direct = (path: string, options: Parameters<typeof send>[2] = {}) => send(runtimePort, path, options);
const AUTHORIZE = {
  pattern:
    /^→ \/hub\/api\/oauth2\/authorize\?client_id=jupyterhub-user-alice&redirect_uri=%2Fuser%2Falice%2Foauth_callback&response_type=code&state=[\w-]+$/,
  text: '→ /hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&redirect_uri=%2Fuser%2Falice%2Foauth_callback&response_type=code&state=<random>',
};
const FORBIDDEN = 'json forbidden';
const BAD_PATH = 'page "Bad request"';
/** bob's server answering alice's token: the owner of the resolved path refuses her. */
const ALICE_NOT_ALLOWED = 'json forbidden: User alice is not allowed to access this server of alice.';
const BOB_REFUSES = 'json forbidden: User alice is not allowed to access this server of bob.';

async function expectStatus(answer: Promise<Answer> | Answer, status: number): Promise<Answer> {
  const settled = await answer;
  expect(settled.status).toBe(status);
  return settled;
}

const cases: AttackCase[] = [
  // ── No credentials ────────────────────────────────────────────────────────────────────────────
  {
    group: 'no cookie',
    name: 'browser opens an app',
    expected: { status: 302, where: AUTHORIZE },
    attack: () => viaHub('/user/alice/echo/', { headers: page }),
  },
  {
    group: 'no cookie',
    name: 'API client reads api/status',
    expected: { status: 403, where: FORBIDDEN },
    attack: async () => {
      const answer = await viaHub('/user/alice/api/status', { headers: api });
      expect(answer.headers['set-cookie']).toBeUndefined();
      return answer;
    },
  },
  {
    group: 'no cookie',
    name: 'POST to an app without credentials',
    expected: { status: 403, where: FORBIDDEN },
    attack: () => viaHub('/user/alice/echo/echo', { method: 'POST', headers: api, body: 'x' }),
  },
  {
    group: 'no cookie',
    name: 'WebSocket upgrade without credentials',
    expected: { status: 403, where: 'upgrade refused' },
    attack: async () => ({
      status: await upgradeStatus(`ws://127.0.0.1:${hubPort}/user/alice/echo/ws`),
      headers: {},
      body: 'upgrade refused',
    }),
  },
  {
    group: 'no cookie',
    name: 'metrics without credentials (runtime port)',
    expected: { status: 403, where: FORBIDDEN },
    attack: () => direct('/user/alice/_hubify/metrics', { headers: api }),
  },
  // ── Forged, tampered, expired and foreign cookies ──────────────────────────────────────────────
  {
    group: 'cookie',
    name: 'forged session cookie (random value of the right shape)',
    expected: { status: 403, where: FORBIDDEN },
    attack: () => {
      const real = cookieOf(alice, 'jupyterhub-user-alice');
      const forged = Buffer.alloc(Buffer.from(real, 'base64url').length, 7).toString('base64url');
      return viaHub('/user/alice/api/status', {
        headers: { ...api, cookie: `jupyterhub-user-alice=${forged}` },
      });
    },
  },
  {
    group: 'cookie',
    name: 'tampered session cookie (one character changed)',
    expected: { status: 403, where: FORBIDDEN },
    attack: () =>
      viaHub('/user/alice/api/status', {
        headers: {
          ...api,
          cookie: `jupyterhub-user-alice=${flip(cookieOf(alice, 'jupyterhub-user-alice'))}`,
        },
      }),
  },
  {
    group: 'cookie',
    name: 'tampered session cookie in a browser',
    expected: { status: 302, where: AUTHORIZE },
    attack: () =>
      viaHub('/user/alice/echo/', {
        headers: {
          ...page,
          cookie: `jupyterhub-user-alice=${flip(cookieOf(alice, 'jupyterhub-user-alice'))}`,
        },
      }),
  },
  {
    group: 'cookie',
    name: 'other user’s session cookie (bob’s, renamed for alice’s server)',
    expected: { status: 403, where: FORBIDDEN },
    attack: () =>
      viaHub('/user/alice/api/status', {
        headers: { ...api, cookie: `jupyterhub-user-alice=${cookieOf(bob, 'jupyterhub-user-bob')}` },
      }),
  },
  {
    group: 'cookie',
    name: 'other user through the OAuth flow (bob logged in at the hub)',
    expected: { status: 403, where: 'the hub refuses the grant at /hub/api/oauth2/authorize' },
    attack: async () => {
      const answer = await bob.get('/user/alice/echo/', { headers: page });
      const at = new URL(answer.url).pathname;
      return { status: answer.status, headers: {}, body: `the hub refuses the grant at ${at}` };
    },
  },
  {
    group: 'cookie',
    name: 'named server’s cookie (alice/short) renamed for the default server',
    expected: { status: 403, where: FORBIDDEN },
    attack: () =>
      viaHub('/user/alice/api/status', {
        headers: {
          ...api,
          cookie: `jupyterhub-user-alice=${cookieOf(alice, `jupyterhub-user-alice-${SHORT}`)}`,
        },
      }),
  },
  {
    group: 'cookie',
    name: 'default server’s cookie sent to the named server',
    expected: { status: 403, where: FORBIDDEN },
    attack: () =>
      viaHub(`/user/alice/${SHORT}/api/status`, {
        headers: { ...api, cookie: `jupyterhub-user-alice=${cookieOf(alice, 'jupyterhub-user-alice')}` },
      }),
  },
  {
    group: 'cookie',
    name: `expired session cookie (max_age ${COOKIE_MAX_AGE_S} s) replayed`,
    expected: { status: 403, where: FORBIDDEN },
    attack: async () => {
      const wait = shortLoginAt + (COOKIE_MAX_AGE_S + 1.5) * 1000 - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const name = `jupyterhub-user-alice-${SHORT}`;
      return viaHub(`/user/alice/${SHORT}/api/status`, {
        headers: { ...api, cookie: `${name}=${cookieOf(alice, name)}` },
      });
    },
  },
  // ── Tokens ─────────────────────────────────────────────────────────────────────────────────────
  {
    group: 'token',
    name: 'wrong token in Authorization',
    expected: { status: 403, where: FORBIDDEN },
    attack: () => viaHub('/user/alice/api/status', { headers: { authorization: 'token not-a-real-token' } }),
  },
  {
    group: 'token',
    name: 'other user’s token (bob)',
    expected: {
      status: 403,
      where: 'json forbidden: User bob is not allowed to access this server of alice.',
    },
    attack: async () => {
      const { token } = await hub.createToken('bob');
      const answer = await viaHub('/user/alice/echo/headers', {
        headers: { ...api, authorization: `token ${token}` },
      });
      expect(answer.body).toContain('bob is not allowed');
      return answer;
    },
  },
  {
    group: 'token',
    name: 'revoked token (worked before revocation)',
    expected: { status: 403, where: FORBIDDEN },
    attack: async () => {
      const { token, id } = await hub.createToken('alice');
      const headers = { authorization: `token ${token}` };
      await expectStatus(viaHub('/user/alice/api/status', { headers }), 200);
      await hub.revokeToken('alice', id);
      let answer: Answer | undefined;
      await waitFor(
        async () => {
          answer = await viaHub('/user/alice/api/status', { headers });
          return answer.status !== 200;
        },
        { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'the revoked token to be refused' },
      );
      return answer as Answer;
    },
  },
  {
    group: 'token',
    name: 'expired token (expires_in 1 s)',
    expected: { status: 403, where: FORBIDDEN },
    attack: async () => {
      const { token } = await hub.createToken('alice', { expiresIn: 1 });
      await new Promise((resolve) => setTimeout(resolve, 2500));
      return viaHub('/user/alice/api/status', { headers: { authorization: `token ${token}` } });
    },
  },
  {
    group: 'token',
    name: 'under-scoped token (read:users!user=alice, no access:servers)',
    expected: { status: 403, where: ALICE_NOT_ALLOWED },
    attack: async () => {
      const { token } = await hub.createToken('alice', { scopes: ['read:users!user=alice'] });
      return viaHub('/user/alice/api/status', { headers: { ...api, authorization: `token ${token}` } });
    },
  },
  {
    group: 'token',
    name: 'token scoped to another server of the same user (access:servers!server=alice/short)',
    expected: { status: 403, where: ALICE_NOT_ALLOWED },
    attack: async () => {
      const { token } = await hub.createToken('alice', { scopes: [`access:servers!server=alice/${SHORT}`] });
      const headers = { ...api, authorization: `token ${token}` };
      await expectStatus(viaHub(`/user/alice/${SHORT}/api/status`, { headers }), 200);
      return viaHub('/user/alice/api/status', { headers });
    },
  },
  {
    group: 'token',
    name: 'token in the URL: removed from the address bar, traded for a cookie',
    expected: { status: 302, where: '→ /user/alice/echo/headers?keep=1' },
    attack: async () => {
      const { token } = await hub.createToken('alice');
      const answer = await viaHub(`/user/alice/echo/headers?token=${token}&keep=1`, { headers: page });
      expect(String(answer.headers['set-cookie'])).toMatch(/^jupyterhub-user-alice=/);
      return answer;
    },
  },
  {
    group: 'token',
    name: 'token in the URL of an API call never reaches the app',
    expected: { status: 200, where: 'json' },
    attack: async () => {
      const { token } = await hub.createToken('alice');
      const answer = await viaHub(`/user/alice/echo/headers?token=${token}&x=1`);
      expect((JSON.parse(answer.body) as { url: string }).url).toBe('/headers?x=1');
      return answer;
    },
  },
  // ── Identity and forwarding headers from the client ───────────────────────────────────────────
  {
    group: 'headers',
    name: 'identity and X-Forwarded-* claims through the hub proxy',
    expected: { status: 200, where: 'json' },
    attack: async () => {
      const answer = await echoSaw(hubPort, {
        ...SPOOFED,
        'x-forwarded-for': '6.6.6.6',
        cookie: aliceCookies('/user/alice/echo/'),
      });
      expect(
        (JSON.parse(answer.body) as { headers: Record<string, string> }).headers['x-forwarded-for'],
      ).toBe('127.0.0.1');
      return answer;
    },
  },
  {
    group: 'headers',
    name: 'identity claims straight at the runtime port',
    expected: { status: 200, where: 'json' },
    attack: () => echoSaw(runtimePort, { ...SPOOFED, cookie: aliceCookies('/user/alice/echo/') }),
  },
  {
    group: 'headers',
    name: 'identity claims on a WebSocket upgrade',
    expected: { status: 101, where: 'no claim reached the app' },
    attack: async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${hubPort}/user/alice/echo/ws`, {
        headers: { ...SPOOFED, cookie: aliceCookies('/user/alice/echo/') },
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const info = new Promise<string>((resolve) =>
        ws.once('message', (data: Buffer) => resolve(data.toString())),
      );
      ws.send('!info');
      const seen = JSON.parse(await info) as { headers: Record<string, string> };
      ws.close();
      const leaked = Object.entries(seen.headers).filter(([, value]) =>
        /mallory|6\.6\.6\.6|evil/.test(value),
      );
      expect(leaked).toEqual([]);
      expect(seen.headers['x-hubify-user']).toBe('alice');
      return { status: 101, headers: {}, body: 'no claim reached the app' };
    },
  },
  // ── Path traversal ─────────────────────────────────────────────────────────────────────────────
  // configurable-http-proxy resolves plain and %2e dot segments itself (WHATWG URL rules) and routes
  // the result: such a request is the same as asking for the resolved path, whose owner decides.
  ...(
    [
      ['..', '/user/alice/echo/../../bob/echo/', BOB_REFUSES],
      ['%2e%2e', '/user/alice/echo/%2e%2e/%2e%2e/bob/', BOB_REFUSES],
      ['.%2e', '/user/alice/echo/.%2e/.%2e/bob/', BOB_REFUSES],
      ['mixed case %2E%2e (resolves to /user/alice/x)', '/user/alice/echo/%2E%2e/x', 'json Not found'],
    ] as const
  ).map(([spelling, path, refusal]): AttackCase => ({
    group: 'traversal',
    name: `${spelling} through the hub proxy`,
    expected: { status: refusal === BOB_REFUSES ? 403 : 404, where: refusal },
    attack: () => viaHub(path, { headers: { ...api, authorization: `token ${aliceToken}` } }),
  })),
  ...(
    [
      ['double-encoded %252e%252e', '/user/alice/echo/%252e%252e/x'],
      ['encoded slash ..%2f', '/user/alice/echo/..%2f..%2fbob%2f'],
      ['encoded backslash ..%5c', '/user/alice/echo/..%5c..%5cbob'],
    ] as const
  ).map(([spelling, path]): AttackCase => ({
    group: 'traversal',
    name: `${spelling} through the hub proxy`,
    expected: { status: 400, where: BAD_PATH },
    attack: () => viaHub(path, { headers: { cookie: aliceCookies() } }),
  })),
  ...(
    [
      ['..', '/user/alice/echo/../../bob/'],
      ['%2e%2e', '/user/alice/echo/%2e%2e/%2e%2e/bob/'],
      ['encoded slash %2f..%2f', '/user/alice/echo%2f..%2f..%2fbob'],
      ['raw backslash', '/user/alice/echo/..\\..\\bob'],
      ['overlong UTF-8 %c0%ae', '/user/alice/echo/%c0%ae%c0%ae/x'],
      ['overlong UTF-8 slash %c0%af', '/user/alice/echo/..%c0%af..%c0%afbob'],
      ['encoded NUL', '/user/alice/echo/%00/x'],
      ['triple-encoded', '/user/alice/echo/%25252e%25252e/x'],
    ] as const
  ).map(([spelling, path]): AttackCase => ({
    group: 'traversal',
    name: `${spelling} at the runtime port`,
    expected: { status: 400, where: BAD_PATH },
    attack: () => direct(path, { headers: { cookie: aliceCookies() } }),
  })),
  {
    group: 'traversal',
    name: 'overlong UTF-8 through the hub proxy (refused by configurable-http-proxy itself)',
    expected: {
      status: 500,
      where: { pattern: /^page "JupyterHub"$/, text: 'the hub’s error page (from configurable-http-proxy)' },
    },
    attack: () => viaHub('/user/alice/echo/%c0%ae%c0%ae/x', { headers: { cookie: aliceCookies() } }),
  },
  {
    group: 'traversal',
    name: '// runs collapse: the app sees exactly the routed path',
    expected: { status: 200, where: 'json' },
    attack: async () => {
      const answer = await viaHub('/user/alice//echo//headers', { headers: { cookie: aliceCookies() } });
      expect((JSON.parse(answer.body) as { url: string }).url).toBe('/headers');
      return answer;
    },
  },
  {
    group: 'traversal',
    name: 'another user’s prefix at the runtime port',
    expected: { status: 404, where: 'page "Not found"' },
    attack: () => direct('/user/bob/echo/', { headers: { cookie: aliceCookies() } }),
  },
  // ── Open redirects ─────────────────────────────────────────────────────────────────────────────
  {
    group: 'redirect',
    name: 'login for //evil.example: `next` after OAuth stays on the server',
    expected: { status: 302, where: '→ /user/alice/evil.example/' },
    attack: async () => {
      const fresh = await hub.loginSession('alice');
      const begun = await fresh.get('/user/alice//evil.example/', { headers: page, followRedirects: false });
      expect(begun.status).toBe(302);
      const authorized = await fresh.get(String(begun.headers.location), { followRedirects: false });
      expect(authorized.status).toBe(302);
      const callback = await fresh.get(String(authorized.headers.location), { followRedirects: false });
      return { status: callback.status, headers: callback.headers, body: callback.body };
    },
  },
  {
    group: 'redirect',
    name: 'forged OAuth state on the callback',
    expected: { status: 403, where: 'page "Login failed"' },
    attack: () =>
      viaHub('/user/alice/oauth_callback?code=attacker-code&state=attacker-state', { headers: page }),
  },
  {
    group: 'redirect',
    name: 'real state without its state cookie (login CSRF from another browser)',
    expected: { status: 403, where: 'page "Login failed"' },
    attack: async () => {
      const begun = await viaHub('/user/alice/echo/', { headers: page });
      const state = new URL(String(begun.headers.location), hub.url).searchParams.get('state') ?? '';
      return viaHub(`/user/alice/oauth_callback?code=attacker-code&state=${state}`, { headers: page });
    },
  },
  {
    group: 'redirect',
    name: 'app redirects to its own origin + //evil.example',
    expected: { status: 302, where: '→ /user/alice/echo/evil.example/' },
    attack: () =>
      viaHub(
        `/user/alice/echo/redirect?to=${encodeURIComponent(`http://127.0.0.1:${appPort}//evil.example/`)}`,
        {
          headers: { cookie: aliceCookies('/user/alice/echo/') },
        },
      ),
  },
  {
    group: 'redirect',
    name: 'app redirects to its own origin + /\\evil.example',
    expected: { status: 302, where: '→ /user/alice/echo/evil.example/' },
    attack: () =>
      viaHub(
        `/user/alice/echo/redirect?to=${encodeURIComponent(`http://127.0.0.1:${appPort}/\\evil.example/`)}`,
        {
          headers: { cookie: aliceCookies('/user/alice/echo/') },
        },
      ),
  },
  {
    group: 'redirect',
    name: 'app redirects to /\\evil.example (backslash trick)',
    expected: { status: 302, where: '→ /user/alice/echo/\\evil.example/' },
    attack: () =>
      viaHub(`/user/alice/echo/redirect?to=${encodeURIComponent('/\\evil.example/')}`, {
        headers: { cookie: aliceCookies('/user/alice/echo/') },
      }),
  },
  {
    group: 'redirect',
    name: 'prefix without slash keeps a hostile query on the server',
    expected: { status: 302, where: '→ /user/alice/?next=//evil.example/' },
    attack: () => viaHub('/user/alice?next=//evil.example/'),
  },
  {
    group: 'redirect',
    name: 'logout goes to the hub only',
    expected: { status: 302, where: '→ /hub/logout' },
    attack: () => viaHub('/user/alice/logout?next=//evil.example/'),
  },
  // ── CSRF on the state-changing endpoints ──────────────────────────────────────────────────────
  {
    group: 'csrf',
    name: 'restart with the cookie but no _xsrf',
    expected: { status: 403, where: 'page "Request refused"' },
    attack: () =>
      viaHub('/user/alice/_hubify/apps/echo/restart', {
        method: 'POST',
        headers: { cookie: aliceCookies(), 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      }),
  },
  {
    group: 'csrf',
    name: 'restart with a wrong _xsrf',
    expected: { status: 403, where: 'page "Request refused"' },
    attack: () =>
      viaHub('/user/alice/_hubify/apps/echo/restart', {
        method: 'POST',
        headers: { cookie: aliceCookies(), 'content-type': 'application/x-www-form-urlencoded' },
        body: `_xsrf=${'A'.repeat(32)}`,
      }),
  },
  {
    group: 'csrf',
    name: 'restart with the right _xsrf from a cross-site Origin',
    expected: { status: 403, where: 'page "Request refused"' },
    attack: async () => {
      const launcher = await alice.get('/user/alice/', { headers: page });
      const token = /name="_xsrf" value="([^"]+)"/.exec(launcher.body)?.[1] ?? '';
      expect(token).not.toBe('');
      return viaHub('/user/alice/_hubify/apps/echo/restart', {
        method: 'POST',
        headers: {
          cookie: aliceCookies(),
          origin: 'http://evil.example',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `_xsrf=${token}`,
      });
    },
  },
  {
    group: 'csrf',
    name: 'restart by a cross-site fetch with X-XSRFToken guessed',
    expected: { status: 403, where: 'json Request refused' },
    attack: () =>
      viaHub('/user/alice/_hubify/apps/echo/restart', {
        method: 'POST',
        headers: { cookie: aliceCookies(), ...api, 'x-xsrftoken': 'guess', origin: 'http://evil.example' },
      }),
  },
  {
    group: 'csrf',
    name: 'restart by GET (a link or an image)',
    expected: { status: 405, where: 'page "Method not allowed"' },
    attack: () => viaHub('/user/alice/_hubify/apps/echo/restart', { headers: { cookie: aliceCookies() } }),
  },
  // ── Oversized and slow requests ────────────────────────────────────────────────────────────────
  {
    group: 'size',
    // Over the limit but within one socket read: the refusal is read before the connection closes
    // (a request larger than one read leaves unread bytes, and closing then resets the connection).
    name: '40 KiB header at the runtime port (limit 32 KiB)',
    expected: { status: 431, where: 'hubify: request headers too large' },
    attack: async () => {
      const answer = await direct('/user/alice/api/status', { headers: { 'x-big': 'a'.repeat(40 * 1024) } });
      await expectStatus(direct('/user/alice/api'), 200);
      return answer;
    },
  },
  {
    group: 'size',
    name: '24 KiB header through the hub proxy (its limit: 16 KiB)',
    expected: { status: 431, where: { pattern: /^$/, text: 'empty answer of configurable-http-proxy' } },
    attack: () => viaHub('/user/alice/api/status', { headers: { 'x-big': 'a'.repeat(24 * 1024) } }),
  },
  {
    group: 'size',
    name: '40 KiB URL at the runtime port',
    expected: { status: 431, where: 'hubify: request headers too large' },
    attack: () => direct(`/user/alice/echo/headers?x=${'a'.repeat(40 * 1024)}`),
  },
  {
    group: 'size',
    name: '1 MiB form posted to restart',
    expected: { status: 413, where: 'page "Request too large"' },
    attack: () =>
      viaHub('/user/alice/_hubify/apps/echo/restart', {
        method: 'POST',
        headers: { cookie: aliceCookies(), 'content-type': 'application/x-www-form-urlencoded' },
        body: `_xsrf=${'a'.repeat(1024 * 1024)}`,
      }),
  },
  {
    group: 'slow',
    name: `slowloris: headers never finished (runtime port, ${HEADERS_TIMEOUT_MS} ms)`,
    expected: { status: 408, where: 'hubify: request headers took too long' },
    attack: async () => {
      const started = Date.now();
      const socket = connect(runtimePort, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.write('GET /user/alice/api HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      // Others are served meanwhile.
      await expectStatus(direct('/user/alice/api'), 200);
      await closed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]);
      return { status, headers: {}, body: text.split('\r\n\r\n')[1] ?? '' };
    },
  },
  // ── Cookie flags ───────────────────────────────────────────────────────────────────────────────
  {
    group: 'cookie flags',
    name: 'http: HttpOnly, SameSite=Lax, Path=prefix, not Secure; client claims https via the proxy',
    expected: { status: 302, where: '→ /user/alice/api/status' },
    attack: async () => {
      const { token } = await hub.createToken('alice');
      const answer = await viaHub(`/user/alice/api/status?token=${token}`, {
        headers: { ...page, 'x-forwarded-proto': 'https' },
      });
      const cookie = String(answer.headers['set-cookie']);
      expect(cookie).toMatch(
        /^jupyterhub-user-alice=[\w-]+; Max-Age=\d+; Path=\/user\/alice\/; HttpOnly; SameSite=Lax$/,
      );
      return answer;
    },
  },
  {
    group: 'cookie flags',
    name: 'https (nearest proxy says https): Secure added',
    expected: { status: 302, where: '→ /user/alice/api/status' },
    attack: async () => {
      const { token } = await hub.createToken('alice');
      const answer = await direct(`/user/alice/api/status?token=${token}`, {
        headers: { ...page, 'x-forwarded-proto': 'https' },
      });
      const cookie = String(answer.headers['set-cookie']);
      expect(cookie).toMatch(/; Path=\/user\/alice\/; HttpOnly; Secure; SameSite=Lax$/);
      return answer;
    },
  },
];

describe('attack suite', () => {
  it.each(cases.map((c) => [`${c.group}: ${c.name}`, c] as const))('%s', async (_label, attackCase) => {
    const { where: wanted } = attackCase.expected;
    const expectedText = `${attackCase.expected.status} ${typeof wanted === 'string' ? wanted : wanted.text}`;
    const row: Row = {
      group: attackCase.group,
      name: attackCase.name,
      expected: expectedText,
      observed: '(threw)',
      refused: false,
    };
    rows.push(row);
    const answer = await attackCase.attack();
    row.observed = `${answer.status} ${where(answer).replace(/state=[\w-]+$/, 'state=<random>')}`;
    expect(answer.status).toBe(attackCase.expected.status);
    const observedWhere = where(answer);
    if (typeof wanted === 'string') expect(observedWhere).toBe(wanted);
    else expect(observedWhere).toMatch(wanted.pattern);
    row.refused = true;
  });
});
