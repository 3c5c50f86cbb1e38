// Headers between browser and app (proxy/forward/request-headers.ts, response-headers.ts): hop-by-hop
// removal, spoofable identity/forwarding headers replaced by verified values, private cookies and our
// token removed; Location and Set-Cookie paths moved under the app's mount.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  buildUpstreamHeaders,
  filterCookieHeader,
  isSpoofableHeader,
  type ForwardingFacts,
} from '../../proxy/forward/request-headers.ts';
import {
  buildDownstreamHeaders,
  rewriteLocation,
  rewriteSetCookie,
  type RewriteFacts,
} from '../../proxy/forward/response-headers.ts';

const PRIVATE = new Set(['jupyterhub-user-alice', 'jupyterhub-user-alice-xsrf', 'jupyterhub-session-id']);

function facts(overrides: Partial<ForwardingFacts> = {}): ForwardingFacts {
  return {
    clientAddress: '10.0.0.7',
    proto: 'https',
    host: 'hub.example.org',
    mountPath: '/user/alice/rstudio',
    websocket: false,
    dropTokenAuthorization: true,
    isPrivateCookie: (name) => PRIVATE.has(name) || name.startsWith('jupyterhub-'),
    identity: { 'x-hubify-user': 'alice', 'x-forwarded-user': 'alice', 'x-hubify-groups': 'staff' },
    extra: {},
    ...overrides,
  };
}

const SPOOFED_NAMES = [
  'x-hubify-user',
  'x-hubify-groups',
  'x-hubify-admin',
  'x-hubify-identity',
  'x-hubify-anything-new',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-user',
  'x-forwarded-groups',
  'x-forwarded-email',
  'x-forwarded-preferred-username',
  'forwarded',
  'x-real-ip',
  'remote-user',
  'x-remote-user',
  'x-remote-group',
  'x-auth-request-user',
  'x-auth-request-email',
  'x-auth-request-groups',
  'x-auth-request-access-token',
  'x-webauth-user',
  'x-user',
  'x-email',
  'x-proxy-user',
  'x-proxycontextpath',
  'x-script-name',
  'x-original-url',
  'x-rewrite-url',
];

describe('isSpoofableHeader', () => {
  it.each(SPOOFED_NAMES)('%s', (name) => {
    expect(isSpoofableHeader(name)).toBe(true);
  });
  it('leaves ordinary headers alone', () => {
    for (const name of [
      'accept',
      'user-agent',
      'x-xsrftoken',
      'x-csrftoken',
      'x-requested-with',
      'authorization',
      'cookie',
      'x-userland',
      'x-forwarded',
    ]) {
      expect(isSpoofableHeader(name), name).toBe(false);
    }
  });
});

describe('filterCookieHeader', () => {
  const isPrivate = (name: string) => name.startsWith('jupyterhub-');
  it('removes private cookies and keeps the others verbatim, in order', () => {
    expect(
      filterCookieHeader(
        'a=1; jupyterhub-user-alice=SEALED; b="quoted value"; jupyterhub-session-id=x;c=%20',
        isPrivate,
      ),
    ).toBe('a=1; b="quoted value"; c=%20');
  });
  it('returns null when nothing is left', () => {
    expect(filterCookieHeader('jupyterhub-user-alice=1; jupyterhub-session-id=2', isPrivate)).toBeNull();
    expect(filterCookieHeader('', isPrivate)).toBeNull();
    expect(filterCookieHeader(' ; ;', isPrivate)).toBeNull();
  });
  it('handles valueless cookies and padding', () => {
    expect(filterCookieHeader('  flag ;jupyterhub-x ; k=v=w ', isPrivate)).toBe('flag; k=v=w');
    expect(filterCookieHeader(' jupyterhub-user-alice =x; a=1', isPrivate)).toBe('a=1');
  });
});

describe('buildUpstreamHeaders', () => {
  it('removes hop-by-hop headers, including those named in Connection', () => {
    const out = buildUpstreamHeaders(
      {
        connection: 'keep-alive, X-Secret-Hop, x-other',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        'proxy-authorization': 'Basic abc',
        'proxy-authenticate': 'x',
        te: 'trailers',
        trailer: 'x',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        expect: '100-continue',
        'http2-settings': 'AAA',
        'x-secret-hop': 'drop me',
        'x-other': 'drop me too',
        'x-kept': 'keep me',
        accept: 'text/html',
      },
      facts(),
    );
    for (const name of [
      'connection',
      'keep-alive',
      'proxy-connection',
      'proxy-authorization',
      'proxy-authenticate',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'expect',
      'http2-settings',
      'x-secret-hop',
      'x-other',
    ]) {
      expect(out, name).not.toHaveProperty(name);
    }
    expect(out['x-kept']).toBe('keep me');
    expect(out.accept).toBe('text/html');
  });

  it('removes every spoofable header and puts the verified values in their place', () => {
    const incoming: IncomingHttpHeaders = { host: 'hub.example.org' };
    for (const name of SPOOFED_NAMES) incoming[name] = 'mallory';
    const out = buildUpstreamHeaders(incoming, facts());
    for (const [name, value] of Object.entries(out)) expect(value, name).not.toBe('mallory');
    expect(out).toMatchObject({
      host: 'hub.example.org',
      'x-forwarded-for': '10.0.0.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'hub.example.org',
      'x-forwarded-port': '443',
      'x-forwarded-prefix': '/user/alice/rstudio',
      'x-hubify-user': 'alice',
      'x-forwarded-user': 'alice',
      'x-hubify-groups': 'staff',
    });
    expect(out).not.toHaveProperty('forwarded');
    expect(out).not.toHaveProperty('x-real-ip');
    expect(out).not.toHaveProperty('remote-user');
    expect(out).not.toHaveProperty('x-auth-request-user');
  });

  it('does not let spoofed identity through when the app gets no identity', () => {
    const out = buildUpstreamHeaders(
      { 'x-hubify-user': 'root', 'x-forwarded-user': 'root', 'remote-user': 'root' },
      facts({ identity: {} }),
    );
    expect(out).not.toHaveProperty('x-hubify-user');
    expect(out).not.toHaveProperty('x-forwarded-user');
    expect(out).not.toHaveProperty('remote-user');
  });

  it('computes the forwarded port from the host, or from the scheme', () => {
    expect(buildUpstreamHeaders({}, facts({ host: 'hub.example.org:8443' }))['x-forwarded-port']).toBe(
      '8443',
    );
    expect(buildUpstreamHeaders({}, facts({ host: '[::1]:9000', proto: 'http' }))['x-forwarded-port']).toBe(
      '9000',
    );
    expect(buildUpstreamHeaders({}, facts({ host: 'h', proto: 'http' }))['x-forwarded-port']).toBe('80');
    const noHost = buildUpstreamHeaders({}, facts({ host: undefined }));
    expect(noHost).not.toHaveProperty('x-forwarded-host');
    expect(noHost).not.toHaveProperty('x-forwarded-port');
    expect(noHost['x-forwarded-proto']).toBe('https');
  });

  it('removes private cookies and keeps the others verbatim', () => {
    const out = buildUpstreamHeaders(
      {
        cookie:
          'jupyterhub-user-alice=SEALED; _xsrf=2|abc|def; jupyterhub-session-id=s; rs-csrf-token=z; jupyterhub-user-bob=x',
      },
      facts(),
    );
    expect(out.cookie).toBe('_xsrf=2|abc|def; rs-csrf-token=z');
    expect(buildUpstreamHeaders({ cookie: 'jupyterhub-user-alice=SEALED' }, facts())).not.toHaveProperty(
      'cookie',
    );
  });

  it('drops Authorization: token|bearer (our credential) in any case, keeps Basic and others', () => {
    for (const value of ['token abc', 'Token abc', 'TOKEN abc', 'bearer abc', 'Bearer abc', 'BEARER\tabc']) {
      expect(buildUpstreamHeaders({ authorization: value }, facts()), value).not.toHaveProperty(
        'authorization',
      );
    }
    for (const value of ['Basic dXNlcjpwYXNz', 'Digest username="a"', 'tokenless x', 'Bearerish x']) {
      expect(buildUpstreamHeaders({ authorization: value }, facts()).authorization, value).toBe(value);
    }
    // When the credential was not ours (the app's own token auth), it is kept.
    expect(
      buildUpstreamHeaders({ authorization: 'Bearer app' }, facts({ dropTokenAuthorization: false }))
        .authorization,
    ).toBe('Bearer app');
  });

  it('keeps Upgrade and Connection for websockets (only those)', () => {
    const out = buildUpstreamHeaders(
      {
        connection: 'Upgrade, x-drop',
        upgrade: 'websocket',
        'x-drop': '1',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        'sec-websocket-protocol': 'v1.kernel.websocket.jupyter.org',
      },
      facts({ websocket: true }),
    );
    expect(out.connection).toBe('Upgrade');
    expect(out.upgrade).toBe('websocket');
    expect(out).not.toHaveProperty('x-drop');
    expect(out['sec-websocket-key']).toBe('dGhlIHNhbXBsZSBub25jZQ==');
    expect(out['sec-websocket-version']).toBe('13');
    expect(out['sec-websocket-protocol']).toBe('v1.kernel.websocket.jupyter.org');
    expect(buildUpstreamHeaders({}, facts({ websocket: true })).upgrade).toBe('websocket');
  });

  it('adds the app’s extra headers (lower-cased) but identity always wins', () => {
    const out = buildUpstreamHeaders(
      { 'x-app-mode': 'client' },
      facts({ extra: { 'X-App-Mode': 'server', 'X-Hubify-User': 'not-alice' } }),
    );
    expect(out['x-app-mode']).toBe('server');
    expect(out['x-hubify-user']).toBe('alice');
  });

  it('keeps multi-valued headers as arrays', () => {
    const out = buildUpstreamHeaders({ 'x-multi': ['a', 'b'] }, facts());
    expect(out['x-multi']).toEqual(['a', 'b']);
  });

  it('no spoofable header survives, whatever else is sent (property)', () => {
    const name = fc.oneof(
      fc.constantFrom(...SPOOFED_NAMES),
      fc.constantFrom(...SPOOFED_NAMES).map((n) => `${n}-suffix`),
      fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
    );
    fc.assert(
      fc.property(fc.dictionary(name, fc.string({ maxLength: 10 })), (incoming) => {
        const out = buildUpstreamHeaders(incoming, facts({ identity: {} }));
        for (const key of Object.keys(out)) {
          if (isSpoofableHeader(key)) {
            expect(key.startsWith('x-forwarded-')).toBe(true);
            expect([
              'x-forwarded-for',
              'x-forwarded-proto',
              'x-forwarded-host',
              'x-forwarded-port',
              'x-forwarded-prefix',
            ]).toContain(key);
          }
        }
        expect(out['x-forwarded-for']).toBe('10.0.0.7');
      }),
      { numRuns: 300 },
    );
  });
});

describe('buildUpstreamHeaders on headers parsed by a real server (any case on the wire)', () => {
  let server: Server;
  let port = 0;
  const received: IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.headers);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function rawRequest(lines: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      });
      socket.on('data', () => socket.end());
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  }

  it('removes spoofed headers whatever their case and keeps the rest', async () => {
    await rawRequest([
      'GET /user/alice/rstudio/ HTTP/1.1',
      'Host: hub.example.org',
      'X-HUBIFY-USER: root',
      'x-Forwarded-User: root',
      'X-Forwarded-For: 6.6.6.6',
      'FORWARDED: for=6.6.6.6;proto=https',
      'X-Real-IP: 6.6.6.6',
      'Remote-User: root',
      'X-Auth-Request-Email: root@example.org',
      'Authorization: Token hub-token',
      'Cookie: jupyterhub-user-alice=SEALED; app=1',
      'Cookie: jupyterhub-session-id=s; other=2',
      'Connection: close, X-Hop',
      'X-Hop: 1',
      'X-Custom: Keep',
    ]);
    const incoming = received.at(-1);
    expect(incoming).toBeDefined();
    const out = buildUpstreamHeaders(incoming ?? {}, facts());
    expect(out).toEqual({
      host: 'hub.example.org',
      cookie: 'app=1; other=2',
      'x-custom': 'Keep',
      'x-forwarded-for': '10.0.0.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'hub.example.org',
      'x-forwarded-port': '443',
      'x-forwarded-prefix': '/user/alice/rstudio',
      'x-hubify-user': 'alice',
      'x-forwarded-user': 'alice',
      'x-hubify-groups': 'staff',
    });
  });
});

const REWRITE: RewriteFacts = {
  mountPath: '/user/alice/rstudio',
  stripPrefix: true,
  upstreamOrigins: ['http://127.0.0.1:41234', 'http://localhost:41234'],
};

describe('rewriteLocation', () => {
  it('moves absolute paths under the mount when the app sees stripped paths', () => {
    expect(rewriteLocation('/', REWRITE)).toBe('/user/alice/rstudio/');
    expect(rewriteLocation('/login?next=%2F', REWRITE)).toBe('/user/alice/rstudio/login?next=%2F');
    expect(rewriteLocation('/auth-sign-in#x', REWRITE)).toBe('/user/alice/rstudio/auth-sign-in#x');
  });

  it('turns redirects to the app’s own loopback origin into paths under the mount', () => {
    expect(rewriteLocation('http://127.0.0.1:41234/login', REWRITE)).toBe('/user/alice/rstudio/login');
    expect(rewriteLocation('http://127.0.0.1:41234', REWRITE)).toBe('/user/alice/rstudio/');
    expect(rewriteLocation('http://localhost:41234/a', REWRITE)).toBe('/user/alice/rstudio/a');
    // Not the same origin: a different port, or a host that merely starts like it.
    expect(rewriteLocation('http://127.0.0.1:412345/a', REWRITE)).toBe('http://127.0.0.1:412345/a');
    expect(rewriteLocation('http://127.0.0.1:41234.evil.example/a', REWRITE)).toBe(
      'http://127.0.0.1:41234.evil.example/a',
    );
    expect(rewriteLocation('https://elsewhere.example/x', REWRITE)).toBe('https://elsewhere.example/x');
  });

  it('an origin with a query but no path means the app’s root, not a relative "?query" location', () => {
    // "http://127.0.0.1:41234?x=1" is "/?x=1" on the app. Left as "?x=1", the browser would apply the
    // query to whatever page it is on instead of going to the app's root.
    expect(rewriteLocation('http://127.0.0.1:41234?x=1', REWRITE)).toBe('/user/alice/rstudio/?x=1');
    expect(rewriteLocation('http://127.0.0.1:41234?x=1', { ...REWRITE, stripPrefix: false })).toBe('/?x=1');
  });

  it('leaves protocol-relative, relative and already-prefixed locations alone', () => {
    expect(rewriteLocation('//evil.example/x', REWRITE)).toBe('//evil.example/x');
    expect(rewriteLocation('login', REWRITE)).toBe('login');
    expect(rewriteLocation('../x', REWRITE)).toBe('../x');
    expect(rewriteLocation('?page=2', REWRITE)).toBe('?page=2');
    expect(rewriteLocation('/user/alice/rstudio', REWRITE)).toBe('/user/alice/rstudio');
    expect(rewriteLocation('/user/alice/rstudio/x', REWRITE)).toBe('/user/alice/rstudio/x');
    // Only the exact mount counts as "already prefixed".
    expect(rewriteLocation('/user/alice/rstudio2/x', REWRITE)).toBe(
      '/user/alice/rstudio/user/alice/rstudio2/x',
    );
  });

  it('keeps a backslash trick under the mount (never a protocol-relative URL)', () => {
    expect(rewriteLocation('/\\evil.example', REWRITE)).toBe('/user/alice/rstudio/\\evil.example');
  });

  it('with stripPrefix false, only the upstream origin is removed', () => {
    const full = { ...REWRITE, stripPrefix: false };
    expect(rewriteLocation('/login', full)).toBe('/login');
    expect(rewriteLocation('/user/alice/rstudio/login', full)).toBe('/user/alice/rstudio/login');
    expect(rewriteLocation('http://127.0.0.1:41234/user/alice/rstudio/x', full)).toBe(
      '/user/alice/rstudio/x',
    );
    expect(rewriteLocation('//evil.example', full)).toBe('//evil.example');
  });
});

describe('rewriteSetCookie', () => {
  it('moves the Path under the mount', () => {
    expect(rewriteSetCookie('sid=1; Path=/; HttpOnly', REWRITE)).toBe(
      'sid=1; Path=/user/alice/rstudio/; HttpOnly',
    );
    expect(rewriteSetCookie('sid=1; path=/api', REWRITE)).toBe('sid=1; path=/user/alice/rstudio/api');
    expect(rewriteSetCookie('sid=1;PATH = /x ; Secure', REWRITE)).toBe(
      'sid=1;PATH = /user/alice/rstudio/x; Secure',
    );
  });
  it('leaves cookies without Path, with a prefixed Path, or with a relative Path alone', () => {
    expect(rewriteSetCookie('sid=1; HttpOnly', REWRITE)).toBe('sid=1; HttpOnly');
    expect(rewriteSetCookie('sid=1; Path=/user/alice/rstudio/', REWRITE)).toBe(
      'sid=1; Path=/user/alice/rstudio/',
    );
    expect(rewriteSetCookie('sid=1; Path=/user/alice/rstudio', REWRITE)).toBe(
      'sid=1; Path=/user/alice/rstudio',
    );
    expect(rewriteSetCookie('sid=1; Path=relative', REWRITE)).toBe('sid=1; Path=relative');
  });
  it('does not mistake a cookie value or name for the Path attribute', () => {
    expect(rewriteSetCookie('path=/x; Max-Age=5', REWRITE)).toBe('path=/x; Max-Age=5');
    expect(rewriteSetCookie('mypath=/x; Path=/', REWRITE)).toBe('mypath=/x; Path=/user/alice/rstudio/');
  });
  it('with stripPrefix false, is untouched', () => {
    expect(rewriteSetCookie('sid=1; Path=/', { ...REWRITE, stripPrefix: false })).toBe('sid=1; Path=/');
  });
});

describe('buildDownstreamHeaders', () => {
  it('removes hop-by-hop headers and rewrites Location and every Set-Cookie', () => {
    const out = buildDownstreamHeaders(
      {
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'x',
        'transfer-encoding': 'chunked',
        te: 'x',
        trailer: 'x',
        upgrade: 'x',
        location: '/login',
        'set-cookie': ['a=1; Path=/', 'b=2; Path=/user/alice/rstudio/x'],
        'content-type': 'text/html',
        'x-app': 'yes',
        'x-undefined': undefined,
      },
      REWRITE,
    );
    expect(out).toEqual({
      location: '/user/alice/rstudio/login',
      'set-cookie': ['a=1; Path=/user/alice/rstudio/', 'b=2; Path=/user/alice/rstudio/x'],
      'content-type': 'text/html',
      'x-app': 'yes',
    });
  });
  it('accepts a single Set-Cookie string', () => {
    expect(buildDownstreamHeaders({ 'set-cookie': 'a=1; Path=/' }, REWRITE)['set-cookie']).toEqual([
      'a=1; Path=/user/alice/rstudio/',
    ]);
  });
});
