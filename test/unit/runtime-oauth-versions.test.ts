// The OAuth flow of the runtime (begin -> hub -> callback) against a loopback server that speaks the
// hub API of each version family: hub 6 requires PKCE (S256) and checks the verifier; hub 3 gets no PKCE
// parameters at all; hub 1.x identifies tokens through /authorizations/token/<t> with the server token.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Authenticator } from '../../proxy/auth/authenticator.ts';
import { CookiePolicy } from '../../proxy/auth/cookie-policy.ts';
import { OAuthLogin } from '../../proxy/auth/oauth-login.ts';
import { Sealer } from '../../proxy/auth/sealed-value.ts';
import { loadConfig, parseCommandLine } from '../../proxy/config.ts';
import { HubApi } from '../../proxy/hub-api.ts';
import { createLogger } from '../../proxy/log.ts';

const SERVER_TOKEN = 'server-token-123';
const ACCESS_TOKEN = 'access-token-alice';

interface FakeHub {
  server: Server;
  apiUrl: string;
  exchanges: URLSearchParams[];
  lookups: string[];
}

/** A loopback hub API of the given version. With `requirePkce`, the token endpoint checks the verifier. */
async function startHubApi(version: string, requirePkce: boolean): Promise<FakeHub> {
  const exchanges: URLSearchParams[] = [];
  const lookups: string[] = [];
  let challenge: string | null = null;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '';
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-jupyterhub-version': version });
        res.end(JSON.stringify(value));
      };
      if (url === '/hub/api/') return json(200, { version });
      if (url.startsWith('/hub/api/__challenge/')) {
        challenge = decodeURIComponent(url.slice('/hub/api/__challenge/'.length));
        return json(200, {});
      }
      if (url === '/hub/api/oauth2/token' && req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        exchanges.push(form);
        if (form.get('client_secret') !== SERVER_TOKEN) return json(403, { error: 'invalid_client' });
        if (requirePkce) {
          const verifier = form.get('code_verifier') ?? '';
          const expected = createHash('sha256').update(verifier).digest('base64url');
          if (challenge === null || expected !== challenge)
            return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
        } else if (form.has('code_verifier')) {
          return json(400, { error: 'invalid_request', error_description: 'unexpected code_verifier' });
        }
        return json(200, { access_token: ACCESS_TOKEN, token_type: 'Bearer' });
      }
      if (url === '/hub/api/user') {
        lookups.push(`user:${req.headers.authorization ?? ''}`);
        if (req.headers.authorization !== `token ${ACCESS_TOKEN}`) return json(403, {});
        return json(200, {
          kind: 'user',
          name: 'alice',
          admin: false,
          groups: [],
          scopes: ['access:servers!server=alice/'],
        });
      }
      if (url.startsWith('/hub/api/authorizations/token/')) {
        lookups.push(`authorizations:${req.headers.authorization ?? ''}:${url.split('/').pop() ?? ''}`);
        if (req.headers.authorization !== `token ${SERVER_TOKEN}`) return json(403, {});
        if (decodeURIComponent(url.split('/').pop() ?? '') !== ACCESS_TOKEN) return json(404, {});
        return json(200, { kind: 'user', name: 'alice', admin: false, groups: [] });
      }
      json(404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, apiUrl: `http://127.0.0.1:${port}/hub/api`, exchanges, lookups };
}

let hub: FakeHub | null = null;
afterEach(async () => {
  await new Promise((resolve) => hub?.server.close(resolve) ?? resolve(undefined));
  hub = null;
});

function request(headers: Record<string, string> = {}): IncomingMessage {
  return { headers, socket: {} } as unknown as IncomingMessage;
}

/** The runtime's OAuth pieces wired as main.ts wires them, against the fake hub. */
async function makeLogin(apiUrl: string, scopes: string | undefined) {
  const env: Record<string, string> = {
    JUPYTERHUB_API_TOKEN: SERVER_TOKEN,
    JUPYTERHUB_API_URL: apiUrl,
    JUPYTERHUB_USER: 'alice',
    JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
    JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice',
    JUPYTERHUB_OAUTH_CALLBACK_URL: '/user/alice/oauth_callback',
    ...(scopes === undefined ? {} : { JUPYTERHUB_OAUTH_ACCESS_SCOPES: scopes }),
  };
  const flags = parseCommandLine([]);
  if (flags.kind !== 'run') throw new Error('unexpected');
  const config = loadConfig(flags.flags, env);
  const api = new HubApi({ apiUrl, apiToken: SERVER_TOKEN, tls: null });
  await api.probeVersion();
  const sealer = new Sealer();
  const auth = new Authenticator({
    config,
    hub: api,
    sealer,
    cookies: new CookiePolicy(config),
    logger: createLogger('error'),
  });
  return { api, login: new OAuthLogin({ config, hub: api, auth, sealer }) };
}

async function flow(version: string, requirePkce: boolean, scopes: string | undefined) {
  hub = await startHubApi(version, requirePkce);
  const { api, login } = await makeLogin(hub.apiUrl, scopes);
  const begun = login.begin(request(), '/user/alice/rstudio/?x=1');
  const authorize = new URL(begun.location, 'http://hub.example');
  const challenge = authorize.searchParams.get('code_challenge');
  if (challenge !== null) {
    const seen = await fetch(`${hub.apiUrl}/__challenge/${encodeURIComponent(challenge)}`);
    await seen.text();
  }
  const state = authorize.searchParams.get('state') ?? '';
  const stateCookie = begun.setCookie.split(';')[0] ?? '';
  const outcome = await login.complete(
    request({ cookie: stateCookie }),
    new URLSearchParams({ code: 'the-code', state }),
  );
  return { authorize, outcome, hub, api };
}

describe('OAuth across hub versions', () => {
  it('hub 6: sends a PKCE S256 challenge and the matching verifier, and logs the user in', async () => {
    const {
      authorize,
      outcome,
      hub: fake,
      api,
    } = await flow('6.0.0', true, '["access:servers!server=alice/"]');
    expect(authorize.pathname).toBe('/hub/api/oauth2/authorize');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(outcome).toMatchObject({ kind: 'redirect', location: '/user/alice/rstudio/?x=1' });
    expect(fake.exchanges[0]?.get('code_verifier')).toMatch(/^[\w-]{43}$/);
    expect(fake.exchanges[0]?.get('redirect_uri')).toBe('/user/alice/oauth_callback');
    expect(fake.lookups).toEqual([`user:token ${ACCESS_TOKEN}`]);
    await api.close();
  });

  it('hub 3: sends no PKCE parameters, and the exchange carries no verifier', async () => {
    const {
      authorize,
      outcome,
      hub: fake,
      api,
    } = await flow('3.0.0', false, '["access:servers!server=alice/"]');
    expect(authorize.searchParams.has('code_challenge')).toBe(false);
    expect(outcome.kind).toBe('redirect');
    expect(fake.exchanges[0]?.has('code_verifier')).toBe(false);
    await api.close();
  });

  it('hub 1.x: identifies the token through /authorizations/token with the server token, access by name', async () => {
    const { outcome, hub: fake, api } = await flow('1.5.0', false, undefined);
    expect(outcome.kind).toBe('redirect');
    expect(fake.lookups).toEqual([`authorizations:token ${SERVER_TOKEN}:${ACCESS_TOKEN}`]);
    await api.close();
  });

  it('refuses a callback whose state does not match the state cookie', async () => {
    hub = await startHubApi('5.2.0', false);
    const { api, login } = await makeLogin(hub.apiUrl, undefined);
    const first = login.begin(request(), '/user/alice/');
    const second = login.begin(request(), '/user/alice/other');
    const stateOfSecond = new URL(second.location, 'http://x').searchParams.get('state') ?? '';
    const outcome = await login.complete(
      request({ cookie: first.setCookie.split(';')[0] ?? '' }),
      new URLSearchParams({ code: 'c', state: stateOfSecond }),
    );
    expect(outcome).toMatchObject({ kind: 'error', status: 403 });
    expect(hub.exchanges).toHaveLength(0);
    await api.close();
  });
});
