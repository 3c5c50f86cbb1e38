// Calls to the hub's REST API (proxy/hub-api.ts) against a loopback server playing a minimal hub:
// version probe, token lookup on hub >= 2 and hub 1.x, the OAuth code exchange, activity posts.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { HubApi, HubApiError, parseHubVersion } from '../../proxy/hub-api.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A loopback "hub": records every request and answers with the current handler. */
class FakeHub {
  readonly seen: Seen[] = [];
  handler: Handler = (_req, _body, res) => json(res, 404, { status: 404, message: 'Not Found' });
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        this.handler(req, body, res);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/hub/api`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const hub = new FakeHub();
const apis: HubApi[] = [];

function api(apiUrl = hub.apiUrl, apiToken = 'server-token'): HubApi {
  const created = new HubApi({ apiUrl, apiToken, tls: null });
  apis.push(created);
  return created;
}

beforeAll(() => hub.start());
afterAll(() => hub.stop());
afterEach(async () => {
  hub.seen.length = 0;
  await Promise.all(apis.splice(0).map((a) => a.close()));
});

const ALICE_MODEL = {
  kind: 'user',
  name: 'alice',
  admin: false,
  groups: ['staff', 42],
  scopes: ['access:servers!server=alice/', 'read:users:name!user=bob', null],
  session_id: 'sess-1',
  token_id: 'a12',
  server: '/user/alice/',
};

describe('parseHubVersion', () => {
  it('reads major and minor from release and pre-release versions', () => {
    expect(parseHubVersion('5.3.0')).toEqual({ text: '5.3.0', major: 5, minor: 3 });
    expect(parseHubVersion('6.0.0b2')).toEqual({ text: '6.0.0b2', major: 6, minor: 0 });
    expect(parseHubVersion('1.5.1.dev')).toEqual({ text: '1.5.1.dev', major: 1, minor: 5 });
    expect(parseHubVersion('10.12')).toEqual({ text: '10.12', major: 10, minor: 12 });
  });
  it('yields 0.0 for anything unreadable', () => {
    expect(parseHubVersion('')).toMatchObject({ major: 0, minor: 0 });
    expect(parseHubVersion('garbage')).toMatchObject({ major: 0, minor: 0 });
    expect(parseHubVersion('v5.1.0')).toMatchObject({ major: 0, minor: 0 });
    expect(parseHubVersion('5')).toMatchObject({ major: 0, minor: 0 });
  });
});

describe('HubApi.probeVersion', () => {
  it('reads the version from the body of GET <API_URL>/ and picks code paths from it', async () => {
    hub.handler = (req, _body, res) =>
      json(res, 200, { version: '5.2.1' }, { 'x-jupyterhub-version': '5.2.1' });
    const client = api();
    expect(client.supportsScopes).toBe(false);
    expect(await client.probeVersion()).toEqual({ text: '5.2.1', major: 5, minor: 2 });
    expect(client.version.major).toBe(5);
    expect(client.supportsScopes).toBe(true);
    expect(client.wantsPkce).toBe(false);
    expect(hub.seen).toHaveLength(1);
    expect(hub.seen[0]).toMatchObject({ method: 'GET', url: '/hub/api/' });
    expect(hub.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('falls back to the X-JupyterHub-Version header', async () => {
    hub.handler = (_req, _body, res) => {
      res.writeHead(200, { 'x-jupyterhub-version': '6.0.0' });
      res.end('<html>not json</html>');
    };
    const client = api();
    expect((await client.probeVersion()).major).toBe(6);
    expect(client.wantsPkce).toBe(true);
  });

  it('strips trailing slashes from the API URL', async () => {
    hub.handler = (_req, _body, res) => json(res, 200, { version: '1.5.0' });
    const client = api(`${hub.apiUrl}///`);
    expect(client.apiUrl).toBe(hub.apiUrl);
    await client.probeVersion();
    expect(hub.seen[0]?.url).toBe('/hub/api/');
    expect(client.supportsScopes).toBe(false);
  });

  it('fails on an error status or a missing version', async () => {
    hub.handler = (_req, _body, res) =>
      json(res, 500, { message: 'boom' }, { 'x-jupyterhub-version': '5.0.0' });
    await expect(api().probeVersion()).rejects.toMatchObject({ status: 500, code: 'BAD_PROBE' });
    hub.handler = (_req, _body, res) => json(res, 200, { nothing: true });
    await expect(api().probeVersion()).rejects.toBeInstanceOf(HubApiError);
  });

  it('fails with a HubApiError when nothing listens', async () => {
    const closed = new FakeHub();
    await closed.start();
    const url = closed.apiUrl;
    await closed.stop();
    const error = await api(url)
      .probeVersion()
      .then(
        () => null,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(HubApiError);
    expect(error).toMatchObject({ status: null, code: 'ECONNREFUSED' });
    expect((error as Error).message).toContain(url);
  });
});

describe('HubApi.lookupToken', () => {
  it('hub >= 2: GET /user with Authorization: token <the user token>', async () => {
    hub.handler = (req, _body, res) => json(res, 200, ALICE_MODEL);
    const client = api();
    client.version = parseHubVersion('4.1.0');
    const identity = await client.lookupToken('user-token');
    expect(hub.seen).toHaveLength(1);
    expect(hub.seen[0]).toMatchObject({ method: 'GET', url: '/hub/api/user' });
    expect(hub.seen[0]?.headers.authorization).toBe('token user-token');
    expect(hub.seen[0]?.headers.accept).toBe('application/json');
    expect(identity).toEqual({
      kind: 'user',
      name: 'alice',
      admin: false,
      groups: ['staff'],
      scopes: ['access:servers!server=alice/', 'read:users:name!user=bob'],
      sessionId: 'sess-1',
    });
  });

  it('hub 1.x: GET /authorizations/token/<t> with the server token, no scopes in the model', async () => {
    hub.handler = (_req, _body, res) =>
      json(res, 200, { kind: 'user', name: 'alice', admin: true, groups: [] });
    const client = api();
    client.version = parseHubVersion('1.5.0');
    const identity = await client.lookupToken('user/tok en?');
    expect(hub.seen[0]).toMatchObject({
      method: 'GET',
      url: '/hub/api/authorizations/token/user%2Ftok%20en%3F',
    });
    expect(hub.seen[0]?.headers.authorization).toBe('token server-token');
    expect(identity).toEqual({
      kind: 'user',
      name: 'alice',
      admin: true,
      groups: [],
      scopes: null,
      sessionId: null,
    });
  });

  it('reads services', async () => {
    hub.handler = (_req, _body, res) =>
      json(res, 200, { kind: 'service', name: 'idle-culler', scopes: ['access:servers'] });
    const client = api();
    client.version = parseHubVersion('5.0.0');
    expect(await client.lookupToken('svc')).toMatchObject({
      kind: 'service',
      name: 'idle-culler',
      admin: false,
      groups: [],
    });
  });

  it.each([401, 403, 404])('%i means "not a valid token": null', async (status) => {
    hub.handler = (_req, _body, res) => json(res, status, { status, message: 'no' });
    for (const version of ['5.0.0', '1.4.2']) {
      const client = api();
      client.version = parseHubVersion(version);
      expect(await client.lookupToken('bad')).toBeNull();
    }
  });

  it('other failures throw (they must not be cached as "invalid")', async () => {
    hub.handler = (_req, _body, res) => json(res, 500, { message: 'db locked' });
    const client = api();
    client.version = parseHubVersion('5.0.0');
    await expect(client.lookupToken('t')).rejects.toMatchObject({ status: 500, code: 'LOOKUP' });
    hub.handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('not json');
    };
    await expect(client.lookupToken('t')).rejects.toMatchObject({ status: 200, code: 'LOOKUP' });
  });
});

describe('HubApi.exchangeCode', () => {
  it('posts the form fields the hub expects and returns the access token', async () => {
    hub.handler = (_req, _body, res) =>
      json(res, 200, {
        access_token: 'new-token',
        token_type: 'Bearer',
        expires_in: 1209600,
        scope: 'identify',
      });
    const token = await api().exchangeCode({
      clientId: 'jupyterhub-user-alice',
      code: 'the code',
      redirectUri: '/user/alice/oauth_callback',
      codeVerifier: null,
    });
    expect(token).toBe('new-token');
    const seen = hub.seen[0];
    expect(seen).toMatchObject({ method: 'POST', url: '/hub/api/oauth2/token' });
    expect(seen?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen?.headers.authorization).toBe('token server-token');
    const form = new URLSearchParams(seen?.body);
    expect([...form.keys()].sort()).toEqual([
      'client_id',
      'client_secret',
      'code',
      'grant_type',
      'redirect_uri',
    ]);
    expect(Object.fromEntries(form)).toEqual({
      client_id: 'jupyterhub-user-alice',
      client_secret: 'server-token',
      grant_type: 'authorization_code',
      code: 'the code',
      redirect_uri: '/user/alice/oauth_callback',
    });
  });

  it('sends code_verifier only when PKCE was used', async () => {
    hub.handler = (_req, _body, res) => json(res, 200, { access_token: 't' });
    await api().exchangeCode({
      clientId: 'c',
      code: 'x',
      redirectUri: 'https://alice.hub.example.org/user/alice/oauth_callback',
      codeVerifier: 'verifier-123',
    });
    const form = new URLSearchParams(hub.seen[0]?.body);
    expect(form.get('code_verifier')).toBe('verifier-123');
    expect(form.get('redirect_uri')).toBe('https://alice.hub.example.org/user/alice/oauth_callback');
  });

  it('surfaces error_description, then error, then a default', async () => {
    const exchange = () =>
      api().exchangeCode({ clientId: 'c', code: 'x', redirectUri: '/r', codeVerifier: null });
    hub.handler = (_req, _body, res) =>
      json(res, 400, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
    await expect(exchange()).rejects.toThrow(/\(400\): Invalid authorization code/);
    await expect(exchange()).rejects.toMatchObject({ status: 400, code: 'OAUTH_EXCHANGE' });
    hub.handler = (_req, _body, res) => json(res, 401, { error: 'invalid_client' });
    await expect(exchange()).rejects.toThrow(/\(401\): invalid_client/);
    hub.handler = (_req, _body, res) => {
      res.writeHead(502);
      res.end();
    };
    await expect(exchange()).rejects.toThrow(/\(502\): no reason given/);
    // A 200 without a token is a failure too.
    hub.handler = (_req, _body, res) => json(res, 200, { token_type: 'Bearer' });
    await expect(exchange()).rejects.toMatchObject({ status: 200, code: 'OAUTH_EXCHANGE' });
  });
});

describe('HubApi.postActivity', () => {
  const last = new Date('2026-05-04T12:00:00.123Z');

  it('posts the exact body with the server token to the activity URL under the API URL', async () => {
    hub.handler = (_req, _body, res) => {
      res.writeHead(200);
      res.end();
    };
    await api().postActivity(`${hub.apiUrl}/users/alice/activity`, '', last);
    const seen = hub.seen[0];
    expect(seen).toMatchObject({ method: 'POST', url: '/hub/api/users/alice/activity' });
    expect(seen?.headers.authorization).toBe('token server-token');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.body).toBe(
      '{"servers":{"":{"last_activity":"2026-05-04T12:00:00.123Z"}},"last_activity":"2026-05-04T12:00:00.123Z"}',
    );
  });

  it('posts to an activity URL elsewhere as given, for a named server', async () => {
    hub.handler = (_req, _body, res) => {
      res.writeHead(200);
      res.end();
    };
    const client = api('http://127.0.0.1:1/hub/api');
    await client.postActivity(`http://127.0.0.1:${hub.port}/other/users/b%C3%B6b/activity`, 'gpu', last);
    expect(hub.seen[0]).toMatchObject({ method: 'POST', url: '/other/users/b%C3%B6b/activity' });
    expect(hub.seen[0]?.headers.authorization).toBe('token server-token');
    expect(JSON.parse(hub.seen[0]?.body ?? '')).toEqual({
      servers: { gpu: { last_activity: '2026-05-04T12:00:00.123Z' } },
      last_activity: '2026-05-04T12:00:00.123Z',
    });
  });

  it('throws on error statuses with the hub’s message', async () => {
    hub.handler = (_req, _body, res) => json(res, 403, { status: 403, message: 'Action is not authorized' });
    const error = await api()
      .postActivity(`${hub.apiUrl}/users/alice/activity`, '', last)
      .then(
        () => null,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(HubApiError);
    expect(error).toMatchObject({ status: 403, code: 'ACTIVITY' });
    expect((error as Error).message).toContain('Action is not authorized');
    hub.handler = (_req, _body, res) => json(res, 400, {});
    await expect(
      api('http://127.0.0.1:1/hub/api').postActivity(`http://127.0.0.1:${hub.port}/x/activity`, '', last),
    ).rejects.toMatchObject({ status: 400, code: 'ACTIVITY' });
  });
});
