// Fuzzing (fast-check) of header handling, adding to the spoofable-name property in
// runtime-forward-headers.test.ts: the identity an app receives is always the verified one, private
// cookies and the runtime's token never survive any Cookie/Authorization spelling, and no rewritten
// Location leaves the server when it named the app's own origin. Nothing throws on any input.
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lastListValue, requestIsHttps } from '../../proxy/auth/cookie-policy.ts';
import { readAuthorizationToken } from '../../proxy/auth/authenticator.ts';
import { buildUpstreamHeaders, filterCookieHeader } from '../../proxy/forward/request-headers.ts';
import {
  buildDownstreamHeaders,
  rewriteLocation,
  rewriteSetCookie,
} from '../../proxy/forward/response-headers.ts';

const NUM_RUNS = 400;
const MOUNT = '/user/alice/echo';
const ORIGIN = 'http://127.0.0.1:41234';
const IDENTITY = { 'x-hubify-user': 'alice', 'x-forwarded-user': 'alice', 'x-hubify-identity': 'eyJ.real' };
const PRIVATE = [
  'jupyterhub-user-alice',
  'jupyterhub-session-id',
  'jupyterhub-hub-login',
  'hubify-8888',
  '__Host-jupyterhub-user-alice',
];
const isPrivate = (name: string): boolean => {
  const bare = name.startsWith('__Host-') ? name.slice(7) : name;
  return bare.startsWith('jupyterhub-') || bare.startsWith('hubify-');
};

const headerName = fc.oneof(
  fc.constantFrom(
    'x-hubify-user',
    'x-hubify-identity',
    'x-forwarded-user',
    'x-forwarded-for',
    'x-forwarded-proto',
    'forwarded',
    'x-real-ip',
    'remote-user',
    'authorization',
    'cookie',
    'connection',
    'upgrade',
    'host',
    'accept',
  ),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
);
const cookiePair = fc.tuple(
  fc.oneof(
    fc.constantFrom(...PRIVATE, 'a', 'theme', '_xsrf', 'jupyterhub'),
    fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/),
  ),
  fc.string({ maxLength: 12 }).map((v) => v.replace(/[;\r\n]/g, '')),
);
const cookieHeader = fc
  .tuple(fc.array(cookiePair, { maxLength: 6 }), fc.constantFrom('; ', ';', ' ; ', ';  '))
  .map(([pairs, sep]) => pairs.map(([n, v]) => `${n}=${v}`).join(sep));
const authorization = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('token', 'Token', 'TOKEN', 'bearer', 'Bearer', 'BEARER'),
      fc.constantFrom(' ', '  ', '\t'),
      fc.stringMatching(/^\S{1,20}$/),
    )
    .map(([scheme, space, value]) => `${scheme}${space}${value}`),
  fc.string({ maxLength: 20 }),
);

describe('fuzz: what an app receives', () => {
  it('identity headers are always the verified ones; private cookies and token credentials never pass', () => {
    fc.assert(
      fc.property(
        fc.dictionary(headerName, fc.string({ maxLength: 16 })),
        cookieHeader,
        authorization,
        (incoming, cookie, auth) => {
          const out = buildUpstreamHeaders(
            { ...incoming, cookie, authorization: auth },
            {
              clientAddress: '10.0.0.7',
              proto: 'http',
              host: 'hub.example:8000',
              mountPath: MOUNT,
              websocket: false,
              dropTokenAuthorization: true,
              isPrivateCookie: isPrivate,
              identity: IDENTITY,
              extra: {},
            },
          );
          for (const [name, value] of Object.entries(IDENTITY)) expect(out[name]).toBe(value);
          expect(out['x-forwarded-for']).toBe('10.0.0.7');
          expect(out['x-forwarded-prefix']).toBe(MOUNT);
          for (const key of Object.keys(out))
            expect(['forwarded', 'x-real-ip', 'remote-user']).not.toContain(key);
          const forwardedCookie = typeof out.cookie === 'string' ? out.cookie : '';
          for (const part of forwardedCookie.split(';')) {
            const name = part.split('=', 1)[0]?.trim() ?? '';
            expect(isPrivate(name)).toBe(false);
          }
          if (readAuthorizationToken(auth) !== null) expect(out.authorization).toBeUndefined();
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('filterCookieHeader keeps exactly the public cookies, on any text', () => {
    fc.assert(
      fc.property(fc.oneof(cookieHeader, fc.string({ maxLength: 60 })), (header) => {
        const kept = filterCookieHeader(header, isPrivate);
        if (kept === null) return;
        for (const part of kept.split('; '))
          expect(isPrivate((part.split('=', 1)[0] ?? '').trim())).toBe(false);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('fuzz: what the browser receives', () => {
  const pathish = fc
    .array(fc.constantFrom('/', '//', '\\', '/\\', 'evil.example', '..', '%2f', '?', '#', 'x', '@', ':'), {
      maxLength: 8,
    })
    .map((p) => p.join(''));

  it('a Location on the app’s own origin becomes a path on this server, never `//host` or `/\\host`', () => {
    fc.assert(
      fc.property(pathish, fc.boolean(), (rest, stripPrefix) => {
        const location = rewriteLocation(`${ORIGIN}${rest}`, {
          mountPath: MOUNT,
          stripPrefix,
          upstreamOrigins: [ORIGIN],
        });
        if (!/^[/?#]/.test(rest) && rest !== '') return; // another host (e.g. 127.0.0.1:412345): not ours
        expect(location.startsWith('/')).toBe(true);
        expect(/^[/\\]{2}/.test(location)).toBe(false);
        if (stripPrefix) expect(location === MOUNT || location.startsWith(`${MOUNT}/`)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('absolute paths from an app that sees stripped paths land under its mount point', () => {
    fc.assert(
      fc.property(pathish, (rest) => {
        const path = `/${rest.replace(/^[/\\]+/, '')}`;
        const location = rewriteLocation(path, {
          mountPath: MOUNT,
          stripPrefix: true,
          upstreamOrigins: [ORIGIN],
        });
        expect(location === MOUNT || location.startsWith(`${MOUNT}/`)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('Set-Cookie paths stay under the mount point; nothing throws on any header set', () => {
    fc.assert(
      fc.property(
        pathish,
        fc.dictionary(
          fc.stringMatching(/^[a-z][a-z-]{0,10}$/),
          fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 })),
        ),
        (rest, headers) => {
          const cookie = rewriteSetCookie(`a=1; Path=/${rest.replace(/[;\s]/g, '')}`, {
            mountPath: MOUNT,
            stripPrefix: true,
            upstreamOrigins: [ORIGIN],
          });
          const path = /;\s*path\s*=\s*([^;]*)/i.exec(cookie)?.[1] ?? '';
          expect(path === MOUNT || path.startsWith(`${MOUNT}/`)).toBe(true);
          buildDownstreamHeaders(headers, { mountPath: MOUNT, stripPrefix: true, upstreamOrigins: [ORIGIN] });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('the scheme decision reads only the last X-Forwarded-Proto hop and never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 30 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 })),
        fc.boolean(),
        (proto, encrypted) => {
          const req = {
            headers: { 'x-forwarded-proto': proto },
            socket: encrypted ? { encrypted: true } : {},
          } as unknown as IncomingMessage;
          const https = requestIsHttps(req, { publicUrl: null });
          const last = lastListValue(proto);
          expect(https).toBe(last === null ? encrypted : last.toLowerCase() === 'https');
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
