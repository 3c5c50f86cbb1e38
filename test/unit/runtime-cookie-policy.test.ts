// Cookie names and attributes (proxy/auth/cookie-policy.ts), built from real configurations
// (loadConfig) and real or minimal requests: HttpOnly, SameSite, Secure under https (TLS socket,
// X-Forwarded-Proto last hop, https public URL), hub cookie options, Path, __Host- prefix; and which
// cookies never reach an app.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import {
  CookiePolicy,
  lastListValue,
  requestIsHttps,
  STATE_MAX_AGE_SECONDS,
} from '../../proxy/auth/cookie-policy.ts';
import { loadConfig, parseCommandLine, type RuntimeConfig } from '../../proxy/config.ts';

function flags() {
  const parsed = parseCommandLine([]);
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.flags;
}

const HUB_ENV = {
  JUPYTERHUB_API_TOKEN: 'server-token',
  JUPYTERHUB_API_URL: 'http://127.0.0.1:8081/hub/api',
  JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice',
  JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
  JUPYTERHUB_USER: 'alice',
  HUBIFY_IP: '127.0.0.1',
};

function hubConfig(extra: Record<string, string> = {}): RuntimeConfig {
  return loadConfig(flags(), { ...HUB_ENV, ...extra });
}

/** A minimal IncomingMessage: what the policy reads is the socket's `encrypted` flag and the headers. */
function fakeRequest(headers: Record<string, string | string[]> = {}, encrypted = false): IncomingMessage {
  return { headers, socket: encrypted ? { encrypted: true } : {} } as unknown as IncomingMessage;
}

/** Set-Cookie text as name, value and attributes (lower-case keys). */
function parseSetCookie(text: string): { name: string; value: string; attrs: Map<string, string> } {
  const [pair = '', ...rest] = text.split(/;\s*/);
  const eq = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const part of rest) {
    const i = part.indexOf('=');
    attrs.set((i < 0 ? part : part.slice(0, i)).toLowerCase(), i < 0 ? '' : part.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs };
}

describe('CookiePolicy names', () => {
  it('names cookies after JUPYTERHUB_CLIENT_ID', () => {
    const policy = new CookiePolicy(hubConfig());
    expect(policy.sessionName).toBe('jupyterhub-user-alice');
    expect(policy.statePrefix).toBe('jupyterhub-user-alice-oauth-state');
    expect(policy.xsrfName).toBe('jupyterhub-user-alice-xsrf');
  });

  it('derives the client id for a named server when the hub did not give one', () => {
    const env: Record<string, string> = {
      ...HUB_ENV,
      JUPYTERHUB_SERVER_NAME: 'gpu',
      JUPYTERHUB_SERVICE_PREFIX: '/user/alice/gpu/',
    };
    delete env.JUPYTERHUB_CLIENT_ID;
    const policy = new CookiePolicy(loadConfig(flags(), env));
    expect(policy.sessionName).toBe('jupyterhub-user-alice-gpu');
  });

  it('prefixes __Host- when the hub enables host-prefixed cookies', () => {
    const policy = new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '1' }));
    expect(policy.sessionName).toBe('__Host-jupyterhub-user-alice');
    expect(policy.statePrefix).toBe('__Host-jupyterhub-user-alice-oauth-state');
    expect(policy.xsrfName).toBe('__Host-jupyterhub-user-alice-xsrf');
    expect(new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '0' })).sessionName).toBe(
      'jupyterhub-user-alice',
    );
  });

  it('uses hubify-<port> in standalone mode', () => {
    const config = loadConfig(flags(), { HUBIFY_IP: '127.0.0.1', HUBIFY_PORT: '9123', HUBIFY_TOKEN: 't' });
    expect(config.mode).toBe('standalone');
    const policy = new CookiePolicy(config);
    expect(policy.sessionName).toBe('hubify-9123');
    expect(policy.statePrefix).toBe('hubify-9123-oauth-state');
    expect(policy.xsrfName).toBe('hubify-9123-xsrf');
  });
});

describe('CookiePolicy attributes', () => {
  it('defaults: HttpOnly, SameSite=Lax, Path=prefix, not Secure over http, the given Max-Age', () => {
    const policy = new CookiePolicy(hubConfig());
    const cookie = parseSetCookie(policy.set(fakeRequest(), policy.sessionName, sealedLooking, 1234));
    expect(cookie.name).toBe('jupyterhub-user-alice');
    expect(cookie.value).toBe(sealedLooking);
    expect(cookie.attrs.get('path')).toBe('/user/alice/');
    expect(cookie.attrs.has('httponly')).toBe(true);
    expect(cookie.attrs.get('samesite')).toBe('Lax');
    expect(cookie.attrs.has('secure')).toBe(false);
    expect(cookie.attrs.get('max-age')).toBe('1234');
    expect(cookie.attrs.has('domain')).toBe(false);
  });

  it('the state cookie lives 600 s', () => {
    expect(STATE_MAX_AGE_SECONDS).toBe(600);
    const policy = new CookiePolicy(hubConfig());
    const cookie = parseSetCookie(
      policy.set(fakeRequest(), `${policy.statePrefix}`, 'x', STATE_MAX_AGE_SECONDS),
    );
    expect(cookie.attrs.get('max-age')).toBe('600');
  });

  it('the session lifetime defaults to 30 days, or expires_days from the hub', () => {
    expect(new CookiePolicy(hubConfig()).sessionMaxAgeSeconds).toBe(30 * 86_400);
    expect(
      new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_OPTIONS: '{"expires_days": 14}' })).sessionMaxAgeSeconds,
    ).toBe(14 * 86_400);
    expect(
      new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_OPTIONS: '{"expires_days": 0.5}' }))
        .sessionMaxAgeSeconds,
    ).toBe(43_200);
  });

  it('is Secure when our own socket is TLS', () => {
    const policy = new CookiePolicy(hubConfig());
    expect(parseSetCookie(policy.set(fakeRequest({}, true), 'n', 'v', 1)).attrs.has('secure')).toBe(true);
  });

  it('is Secure when the nearest proxy says https (last X-Forwarded-Proto hop, any case)', () => {
    const policy = new CookiePolicy(hubConfig());
    const secure = (headers: Record<string, string | string[]>) =>
      parseSetCookie(policy.set(fakeRequest(headers), 'n', 'v', 1)).attrs.has('secure');
    expect(secure({ 'x-forwarded-proto': 'https' })).toBe(true);
    expect(secure({ 'x-forwarded-proto': 'HTTPS' })).toBe(true);
    expect(secure({ 'x-forwarded-proto': 'http, https' })).toBe(true);
    expect(secure({ 'x-forwarded-proto': ['http', 'https'] })).toBe(true);
    // A client-supplied first hop cannot make it https, nor can an empty last hop.
    expect(secure({ 'x-forwarded-proto': 'https, http' })).toBe(false);
    expect(secure({ 'x-forwarded-proto': 'http' })).toBe(false);
    expect(secure({})).toBe(false);
  });

  it('is Secure when JUPYTERHUB_PUBLIC_URL is https', () => {
    const policy = new CookiePolicy(
      hubConfig({ JUPYTERHUB_PUBLIC_URL: 'https://hub.example.org/user/alice/' }),
    );
    expect(parseSetCookie(policy.set(fakeRequest(), 'n', 'v', 1)).attrs.has('secure')).toBe(true);
    const plain = new CookiePolicy(
      hubConfig({ JUPYTERHUB_PUBLIC_URL: 'http://hub.example.org/user/alice/' }),
    );
    expect(parseSetCookie(plain.set(fakeRequest(), 'n', 'v', 1)).attrs.has('secure')).toBe(false);
  });

  it('is Secure when JUPYTERHUB_PUBLIC_URL is https even if the nearest proxy spoke http', () => {
    // TLS terminated at an ingress in front of the hub's proxy: the proxy appends its own "http" hop.
    // The browser still uses https (the public URL says so), and the reference sets Secure when
    // "JUPYTERHUB_PUBLIC_URL is https or the request was https".
    const config = hubConfig({ JUPYTERHUB_PUBLIC_URL: 'https://hub.example.org/user/alice/' });
    const policy = new CookiePolicy(config);
    const req = fakeRequest({ 'x-forwarded-proto': 'https,http' });
    expect(parseSetCookie(policy.set(req, 'n', 'v', 1)).attrs.has('secure')).toBe(true);
  });

  it('applies JUPYTERHUB_COOKIE_OPTIONS: SameSite=None forces Secure, Strict, Secure, domain', () => {
    const none = new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_OPTIONS: '{"SameSite": "None"}' }));
    const noneCookie = parseSetCookie(none.set(fakeRequest(), 'n', 'v', 1));
    expect(noneCookie.attrs.get('samesite')).toBe('None');
    expect(noneCookie.attrs.has('secure')).toBe(true);

    const lowerCase = new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_OPTIONS: '{"samesite": "strict"}' }));
    expect(parseSetCookie(lowerCase.set(fakeRequest(), 'n', 'v', 1)).attrs.get('samesite')).toBe('Strict');

    const secure = new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_OPTIONS: '{"secure": true}' }));
    expect(parseSetCookie(secure.set(fakeRequest(), 'n', 'v', 1)).attrs.has('secure')).toBe(true);

    const domain = new CookiePolicy(
      hubConfig({ JUPYTERHUB_COOKIE_OPTIONS: '{"domain": "hub.example.org"}' }),
    );
    expect(parseSetCookie(domain.set(fakeRequest(), 'n', 'v', 1)).attrs.get('domain')).toBe(
      'hub.example.org',
    );
  });

  it('with __Host-: Path=/, Secure, never a Domain', () => {
    const policy = new CookiePolicy(
      hubConfig({
        JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '1',
        JUPYTERHUB_COOKIE_OPTIONS: '{"domain": "example.org"}',
      }),
    );
    const cookie = parseSetCookie(policy.set(fakeRequest(), policy.sessionName, 'v', 10));
    expect(cookie.name).toBe('__Host-jupyterhub-user-alice');
    expect(cookie.attrs.get('path')).toBe('/');
    expect(cookie.attrs.has('secure')).toBe(true);
    expect(cookie.attrs.has('domain')).toBe(false);
    expect(cookie.attrs.has('httponly')).toBe(true);
  });

  it('uses the named server prefix as Path', () => {
    const policy = new CookiePolicy(
      hubConfig({
        JUPYTERHUB_SERVICE_PREFIX: '/user/alice/gpu/',
        JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice-gpu',
      }),
    );
    expect(parseSetCookie(policy.set(fakeRequest(), 'n', 'v', 1)).attrs.get('path')).toBe('/user/alice/gpu/');
  });

  it('clear() expires the cookie with the same Path and Secure', () => {
    const policy = new CookiePolicy(hubConfig());
    const cleared = parseSetCookie(
      policy.clear(fakeRequest({ 'x-forwarded-proto': 'https' }), policy.sessionName),
    );
    expect(cleared.name).toBe('jupyterhub-user-alice');
    expect(cleared.value).toBe('');
    expect(cleared.attrs.get('max-age')).toBe('0');
    expect(new Date(cleared.attrs.get('expires') ?? '').getTime()).toBe(0);
    expect(cleared.attrs.get('path')).toBe('/user/alice/');
    expect(cleared.attrs.has('secure')).toBe(true);
    expect(cleared.attrs.has('httponly')).toBe(true);
  });
});

const sealedLooking = 'AbC-123_xyz';

describe('requestIsHttps and lastListValue', () => {
  it('reads the last comma-separated value', () => {
    expect(lastListValue(undefined)).toBeNull();
    expect(lastListValue('')).toBeNull();
    expect(lastListValue('https')).toBe('https');
    expect(lastListValue('http, https ')).toBe('https');
    expect(lastListValue('https,')).toBeNull();
    expect(lastListValue(['a, b', 'c'])).toBe('c');
  });

  it('https public URL > X-Forwarded-Proto of the nearest proxy > TLS socket', () => {
    const none = { publicUrl: null };
    expect(requestIsHttps(fakeRequest({}, true), none)).toBe(true);
    // Internal SSL behind an http public URL: the hop is TLS, the browser is not.
    expect(requestIsHttps(fakeRequest({ 'x-forwarded-proto': 'http' }, true), none)).toBe(false);
    expect(
      requestIsHttps(fakeRequest({ 'x-forwarded-proto': 'http' }, true), { publicUrl: 'https://x/' }),
    ).toBe(true);
    expect(requestIsHttps(fakeRequest({ 'x-forwarded-proto': 'https' }), none)).toBe(true);
    expect(requestIsHttps(fakeRequest({}), { publicUrl: 'https://x/' })).toBe(true);
    expect(requestIsHttps(fakeRequest({}), { publicUrl: 'http://x/' })).toBe(false);
    expect(requestIsHttps(fakeRequest({}), none)).toBe(false);
  });
});

describe('CookiePolicy.isPrivate', () => {
  const policy = new CookiePolicy(hubConfig());

  it('covers our own cookies and state cookies with suffixes', () => {
    expect(policy.isPrivate('jupyterhub-user-alice')).toBe(true);
    expect(policy.isPrivate('jupyterhub-user-alice-xsrf')).toBe(true);
    expect(policy.isPrivate('jupyterhub-user-alice-oauth-state')).toBe(true);
    expect(policy.isPrivate('jupyterhub-user-alice-oauth-state-abcdefgh')).toBe(true);
    expect(policy.isStateCookie('jupyterhub-user-alice-oauth-state-abcdefgh')).toBe(true);
    expect(policy.isStateCookie('jupyterhub-user-alice')).toBe(false);
  });

  it('covers every hub cookie: other servers’ sessions, the hub session id and login, __Host- forms', () => {
    for (const name of [
      'jupyterhub-user-bob',
      'jupyterhub-user-alice-gpu',
      'jupyterhub-user-alice-gpu-oauth-state',
      'jupyterhub-session-id',
      'jupyterhub-hub-login',
      'jupyterhub-services',
      '__Host-jupyterhub-user-alice',
      '__Host-jupyterhub-session-id',
      'hubify-8888',
      'hubify-9000-xsrf',
    ]) {
      expect(policy.isPrivate(name), name).toBe(true);
    }
  });

  it('covers __Host- own cookies when host prefix is enabled', () => {
    const prefixed = new CookiePolicy(hubConfig({ JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '1' }));
    expect(prefixed.isPrivate('__Host-jupyterhub-user-alice')).toBe(true);
    expect(prefixed.isPrivate('__Host-jupyterhub-user-alice-oauth-state-qwertyui')).toBe(true);
    expect(prefixed.isPrivate('__Host-jupyterhub-user-alice-xsrf')).toBe(true);
  });

  it('lets app cookies through', () => {
    for (const name of [
      '_xsrf',
      'rstudio-session',
      'csrf-token',
      'session',
      'JSESSIONID',
      'jupyterhub',
      'my-jupyterhub-x',
      '__Host-app',
    ]) {
      expect(policy.isPrivate(name), name).toBe(false);
    }
  });
});

describe('CookiePolicy with real requests', () => {
  const servers: Server[] = [];
  let certDir: string | null = null;
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    if (certDir !== null) rmSync(certDir, { recursive: true, force: true });
  });

  function answerWithCookie(policy: CookiePolicy) {
    return (req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('set-cookie', policy.set(req, policy.sessionName, 'v', 60));
      res.end();
    };
  }

  it('plain http loopback request: not Secure; with X-Forwarded-Proto https: Secure', async () => {
    const policy = new CookiePolicy(hubConfig());
    const server = createServer(answerWithCookie(policy));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const get = (headers: Record<string, string>) =>
      new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/user/alice/', headers }, (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']?.[0]));
        })
          .on('error', reject)
          .end();
      });
    expect(parseSetCookie(await get({})).attrs.has('secure')).toBe(false);
    expect(parseSetCookie(await get({ 'X-Forwarded-Proto': 'https' })).attrs.has('secure')).toBe(true);
  });

  it('TLS loopback request: Secure', async () => {
    certDir = mkdtempSync(join(tmpdir(), 'hubify-cookie-tls-'));
    const key = join(certDir, 'key.pem');
    const cert = join(certDir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const policy = new CookiePolicy(hubConfig());
    const server = createHttpsServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      answerWithCookie(policy),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const setCookie = await new Promise<string>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port, path: '/user/alice/', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(String(res.headers['set-cookie']?.[0]));
      })
        .on('error', reject)
        .end();
    });
    const cookie = parseSetCookie(setCookie);
    expect(cookie.name).toBe('jupyterhub-user-alice');
    expect(cookie.attrs.has('secure')).toBe(true);
  });
});
