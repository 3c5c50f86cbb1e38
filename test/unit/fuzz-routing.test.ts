// Fuzzing (fast-check) of the runtime's path handling beyond the mount-point property in
// runtime-routing.test.ts: every redirect the routing or the request order can produce stays on this
// server (never `//host` or `/\host`), the token-to-cookie redirect and the post-login `next` are the
// normalised path, and `?token=` never survives removeTokenParam. Bounded runs keep unit time small.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  readQueryToken,
  removeTokenParam,
  resolveRoute,
  splitTarget,
  unsafePathReason,
} from '../../proxy/routing.ts';

const NUM_RUNS = 400;
const PREFIXES = ['/user/alice/', '/user/alice/gpu/', '/'];

const hostile = fc.constantFrom(
  '/',
  '//',
  '///',
  '\\',
  '/\\',
  '%2f',
  '%5c',
  '..',
  '.',
  '%2e',
  '%2e%2e',
  '%252e',
  '%c0%ae',
  '%c0%af',
  'evil.example',
  'echo',
  'user',
  'alice',
  'gpu',
  '@',
  ':',
  '?',
  '#',
  '&',
  '=',
  'token=',
  'token',
  '%74oken=',
  'next=//evil.example',
  'é',
  '%',
);
const target = fc.oneof(
  fc.array(hostile, { maxLength: 12 }).map((parts) => parts.join('')),
  fc
    .tuple(fc.constantFrom(...PREFIXES), fc.array(hostile, { maxLength: 10 }))
    .map(([p, parts]) => p + parts.join('')),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
);

function leavesServer(location: string): boolean {
  return /^[/\\]{2}/.test(location) || /^[a-z][a-z0-9+.-]*:/i.test(location);
}

describe('fuzz: redirects chosen from the request path stay on this server', () => {
  it('route redirects start with the prefix and are never protocol-relative', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), target, (prefix, raw) => {
        const route = resolveRoute(raw, {
          prefix,
          callbackPath: `${prefix}oauth_callback`,
          hasApp: (n) => n === 'echo',
        });
        if (route.kind === 'redirect') {
          expect(route.location.startsWith(prefix)).toBe(true);
          expect(leavesServer(route.location)).toBe(false);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the path of any routable target (token redirect, login `next`) is never `//host` or `/\\host`', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), target, (prefix, raw) => {
        const route = resolveRoute(raw, {
          prefix,
          callbackPath: `${prefix}oauth_callback`,
          hasApp: () => true,
        });
        if (route.kind === 'bad-path' || route.kind === 'outside') return;
        const { path, query } = splitTarget(raw);
        const rest = removeTokenParam(query);
        const location = rest === '' ? path : `${path}?${rest}`;
        expect(leavesServer(location)).toBe(false);
        expect(location.startsWith('/')).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('fuzz: the token parameter', () => {
  const param = fc.oneof(
    fc.constantFrom('token', 'Token', '%74oken', 'tok%65n', 'token%00', 'x', 'keep', 'token[]', 'tokens'),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', '%', '%zz', 'a+b', 'secret'));
  const query = fc
    .array(fc.tuple(param, fc.option(value, { nil: undefined })), { maxLength: 6 })
    .map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&'));

  it('removeTokenParam leaves no parameter that reads as `token`, and never throws', () => {
    fc.assert(
      fc.property(query, (q) => {
        const rest = removeTokenParam(q);
        expect(readQueryToken(rest)).toBeNull();
        expect(new URLSearchParams(rest).has('token')).toBe(false);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a refused path is refused whatever query follows it, and the query never makes a path unsafe', () => {
    fc.assert(
      fc.property(target, query, (raw, q) => {
        const path = raw.split('?', 1)[0] ?? '';
        const reason = unsafePathReason(path);
        const route = resolveRoute(`${path}?${q}`, {
          prefix: '/',
          callbackPath: '/oauth_callback',
          hasApp: () => true,
        });
        expect(route.kind === 'bad-path').toBe(reason !== null);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
