// Routing of raw request targets (proxy/routing.ts): traversal refusal in every encoding, slash
// collapsing, reserved routes, redirects, the query-token helpers, and a property test that nothing
// routed to an app can climb out of the app's mount point.
import { posix } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  readQueryToken,
  removeTokenParam,
  resolveRoute,
  splitTarget,
  unsafePathReason,
  type Route,
} from '../../proxy/routing.ts';

const APPS = ['rstudio', 'code', 'a', 'my-app2'];
const OPTIONS = {
  prefix: '/user/alice/',
  callbackPath: '/user/alice/oauth_callback',
  hasApp: (name: string) => APPS.includes(name),
};

function route(target: string, options = OPTIONS): Route {
  return resolveRoute(target, options);
}

/** Percent-decodes until stable; null when the text is not valid percent-encoded UTF-8. */
function decodeFully(text: string): string | null {
  let current = text;
  for (let i = 0; i < 20; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return null;
    }
    if (next === current) return current;
    current = next;
  }
  return null;
}

describe('unsafePathReason: traversal in every encoding is refused', () => {
  const traversals: [string, string][] = [
    ['plain ..', '/user/alice/rstudio/../bob/'],
    ['plain .. at the end', '/user/alice/rstudio/..'],
    ['single dot segment', '/user/alice/rstudio/./x'],
    ['%2e%2e', '/user/alice/rstudio/%2e%2e/x'],
    ['%2E%2E', '/user/alice/rstudio/%2E%2E/x'],
    ['%2E%2e (mixed case)', '/user/alice/rstudio/%2E%2e/x'],
    ['.%2e', '/user/alice/rstudio/.%2e/x'],
    ['%2e.', '/user/alice/rstudio/%2e./x'],
    ['%2e alone', '/user/alice/rstudio/%2e/x'],
    ['%2e%2e at the end', '/user/alice/rstudio/%2e%2e'],
    ['double-encoded %252e%252e', '/user/alice/rstudio/%252e%252e/x'],
    ['double-encoded mixed %252E.', '/user/alice/rstudio/%252E./x'],
    ['split double encoding %252%65', '/user/alice/rstudio/%252%65%252%65/x'],
    ['encoded slash around ..', '/user/alice/rstudio/a%2f..%2f..%2fbob'],
    ['encoded slash %2F upper', '/user/alice/rstudio/a%2F%2e%2e%2Fbob'],
    ['backslash', '/user/alice/rstudio/..\\bob'],
    ['backslash alone', '/user/alice/rstudio\\x'],
    ['%5c', '/user/alice/rstudio/..%5cbob'],
    ['%5C', '/user/alice/rstudio/%5C'],
    ['%255c (double-encoded backslash)', '/user/alice/rstudio/%255c..'],
    ['%00', '/user/alice/rstudio/x%00.html'],
    ['%2500 (double-encoded NUL)', '/user/alice/rstudio/x%2500'],
    ['overlong UTF-8 %c0%ae%c0%ae', '/user/alice/rstudio/%c0%ae%c0%ae/x'],
    ['overlong UTF-8 %C0%AE', '/user/alice/rstudio/%C0%AE/x'],
    ['overlong slash %c0%af', '/user/alice/rstudio/..%c0%af'],
    ['3-byte overlong %e0%80%ae', '/user/alice/rstudio/%e0%80%ae%e0%80%ae/'],
    ['invalid %zz', '/user/alice/rstudio/%zz'],
    ['truncated %2', '/user/alice/rstudio/%2'],
    ['lone %', '/user/alice/rstudio/100%'],
    ['%u002e (IIS style)', '/user/alice/rstudio/%u002e%u002e/'],
    ['lone byte %ff', '/user/alice/rstudio/%ff'],
    ['encoded surrogate %ed%a0%80', '/user/alice/rstudio/%ed%a0%80'],
    ['triple-encoded ..', '/user/alice/rstudio/%25252e%25252e/x'],
    ['quadruple-encoded ..', '/user/alice/rstudio/%2525252e%2525252e/x'],
    ['.. in the prefix part', '/user/alice/%2e%2e/bob/rstudio/'],
    ['.. before the prefix', '/user/%2e%2e/user/alice/rstudio/'],
  ];

  it.each(traversals)('%s', (_label, target) => {
    expect(unsafePathReason(target)).toEqual(expect.any(String));
    const result = route(target);
    expect(result.kind).toBe('bad-path');
    expect(result.kind === 'bad-path' && result.reason.length > 0).toBe(true);
    // The query string does not rescue it.
    expect(route(`${target}?a=1`).kind).toBe('bad-path');
  });

  it('refuses targets that are not absolute paths', () => {
    for (const target of ['', '*', 'user/alice/', 'http://evil.example/user/alice/rstudio/', '?x=1']) {
      expect(unsafePathReason(target.split('?')[0] ?? ''), target).toMatch(/absolute/);
      expect(route(target).kind, target).toBe('bad-path');
    }
  });

  it('gives distinct, readable reasons', () => {
    expect(unsafePathReason('/a/../b')).toMatch(/dot segments/);
    expect(unsafePathReason('/a\\b')).toMatch(/backslash/);
    expect(unsafePathReason('/a%5cb')).toMatch(/NUL or backslash/);
    expect(unsafePathReason('/a%00b')).toMatch(/NUL or backslash/);
    expect(unsafePathReason('/a%zz')).toMatch(/percent-encoded UTF-8/);
    expect(unsafePathReason('/a%c0%ae')).toMatch(/percent-encoded UTF-8/);
    expect(unsafePathReason('/a/%25252e')).toMatch(/too many times/);
  });

  it('accepts ordinary paths, including encoded characters, dots inside names and unicode', () => {
    for (const target of [
      '/',
      '/user/alice/',
      '/user/alice/rstudio/',
      '/user/alice/rstudio/.well-known/x',
      '/user/alice/rstudio/..foo/...',
      '/user/alice/rstudio/a.b/c..d/',
      '/user/alice/rstudio/%20space/%C3%A9t%C3%A9',
      '/user/alice/rstudio/%2fslash-only',
      '/user/alice/rstudio/%252fstill-fine',
      '/user/alice/rstudio/ünïcödé/日本',
      '/user/alice/rstudio/\u2025', // two-dot leader is not a dot segment
    ]) {
      expect(unsafePathReason(target), target).toBeNull();
    }
  });

  it('only looks at the path: dots and backslashes in the query are the app’s business', () => {
    expect(route('/user/alice/rstudio/x?next=../../bob&p=a\\b')).toEqual({
      kind: 'app',
      app: 'rstudio',
      path: '/x',
      query: 'next=../../bob&p=a\\b',
    });
  });
});

describe('splitTarget', () => {
  it('collapses runs of slashes in the path only', () => {
    expect(splitTarget('//user///alice//rstudio//x?a=//b')).toEqual({
      path: '/user/alice/rstudio/x',
      query: 'a=//b',
    });
  });
  it('splits at the first question mark and keeps the rest verbatim', () => {
    expect(splitTarget('/a?b=1?c=2&d')).toEqual({ path: '/a', query: 'b=1?c=2&d' });
    expect(splitTarget('/a?')).toEqual({ path: '/a', query: '' });
    expect(splitTarget('/a')).toEqual({ path: '/a', query: '' });
  });
});

describe('resolveRoute', () => {
  it('routes an app with its remaining path and the query', () => {
    expect(route('/user/alice/rstudio/')).toEqual({ kind: 'app', app: 'rstudio', path: '/', query: '' });
    expect(route('/user/alice/code/x/y.js?v=1&w')).toEqual({
      kind: 'app',
      app: 'code',
      path: '/x/y.js',
      query: 'v=1&w',
    });
    expect(route('/user/alice/a/')).toEqual({ kind: 'app', app: 'a', path: '/', query: '' });
    expect(route('/user/alice/my-app2/deep/%20x')).toEqual({
      kind: 'app',
      app: 'my-app2',
      path: '/deep/%20x',
      query: '',
    });
  });

  it('collapses // runs so the app sees exactly what was routed', () => {
    expect(route('//user//alice///rstudio//x//y')).toEqual({
      kind: 'app',
      app: 'rstudio',
      path: '/x/y',
      query: '',
    });
    expect(route('/user/alice//rstudio/')).toEqual({ kind: 'app', app: 'rstudio', path: '/', query: '' });
    expect(route('/user/alice///')).toEqual({ kind: 'root' });
  });

  it('answers the reserved routes', () => {
    expect(route('/user/alice/')).toEqual({ kind: 'root' });
    expect(route('/user/alice/?x=1')).toEqual({ kind: 'root' });
    expect(route('/user/alice/api')).toEqual({ kind: 'api' });
    expect(route('/user/alice/api/')).toEqual({ kind: 'api' });
    expect(route('/user/alice/api/status')).toEqual({ kind: 'status' });
    expect(route('/user/alice/logout')).toEqual({ kind: 'logout' });
    expect(route('/user/alice/oauth_callback?code=c&state=s')).toEqual({ kind: 'callback' });
    expect(route('/user/alice/_hubify/health')).toEqual({ kind: 'health' });
    expect(route('/user/alice/_hubify/metrics')).toEqual({ kind: 'metrics' });
    expect(route('/user/alice/_hubify/apps/rstudio/restart')).toEqual({ kind: 'restart', app: 'rstudio' });
    expect(route('/user/alice/_hubify/apps/code/icon')).toEqual({ kind: 'icon', app: 'code' });
  });

  it('answers the health check outside the prefix too (for the container runtime)', () => {
    expect(route('/_hubify/health')).toEqual({ kind: 'health' });
    expect(route('/_hubify/metrics')).toEqual({ kind: 'outside' });
  });

  it('answers the callback path the hub registered even when it is not <prefix>oauth_callback', () => {
    const options = { ...OPTIONS, callbackPath: '/hub-callbacks/alice' };
    expect(route('/hub-callbacks/alice?code=1', options)).toEqual({ kind: 'callback' });
    expect(route('/user/alice/oauth_callback', options)).toEqual({ kind: 'callback' });
  });

  it('does not confuse near misses of reserved routes with them', () => {
    expect(route('/user/alice/api/status/')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/api/other')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/logout/')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/health/')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/nothing')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/apps/rstudio')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/apps/rstudio/stop')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/apps/rstudio/restart/x')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/apps/unknown/restart')).toEqual({ kind: 'not-found' });
    expect(route('/user/alice/_hubify/apps/unknown/icon')).toEqual({ kind: 'not-found' });
  });

  it('redirects the prefix without its slash, keeping the query', () => {
    expect(route('/user/alice')).toEqual({ kind: 'redirect', location: '/user/alice/' });
    expect(route('/user/alice?a=1&b')).toEqual({ kind: 'redirect', location: '/user/alice/?a=1&b' });
    expect(route('//user//alice')).toEqual({ kind: 'redirect', location: '/user/alice/' });
  });

  it('redirects an app without its slash, keeping the query', () => {
    expect(route('/user/alice/rstudio')).toEqual({ kind: 'redirect', location: '/user/alice/rstudio/' });
    expect(route('/user/alice/code?folder=/home')).toEqual({
      kind: 'redirect',
      location: '/user/alice/code/?folder=/home',
    });
  });

  it('does not redirect or route unknown or invalid app names', () => {
    for (const target of [
      '/user/alice/unknown',
      '/user/alice/unknown/',
      '/user/alice/RStudio/',
      '/user/alice/-a/',
      '/user/alice/a-/',
      '/user/alice/%72studio/', // an encoded name is not the name
      '/user/alice/r%2fstudio/',
      '/user/alice/.hidden/',
    ]) {
      expect(route(target), target).toEqual({ kind: 'not-found' });
    }
    const everything = { ...OPTIONS, hasApp: () => true };
    expect(route('/user/alice/Upper/', everything)).toEqual({ kind: 'not-found' });
    expect(route(`/user/alice/${'a'.repeat(64)}/`, everything)).toEqual({ kind: 'not-found' });
    expect(route(`/user/alice/${'a'.repeat(63)}/`, everything)).toMatchObject({ kind: 'app' });
  });

  it('reports paths outside the prefix', () => {
    expect(route('/')).toEqual({ kind: 'outside' });
    expect(route('/user/bob/rstudio/')).toEqual({ kind: 'outside' });
    expect(route('/user/alicex/')).toEqual({ kind: 'outside' });
    expect(route('/user/alic')).toEqual({ kind: 'outside' });
    expect(route('/hub/home')).toEqual({ kind: 'outside' });
  });

  it('works with the root prefix (standalone) and named-server prefixes', () => {
    const standalone = { prefix: '/', callbackPath: '/oauth_callback', hasApp: (n: string) => n === 'app' };
    expect(route('/', standalone)).toEqual({ kind: 'root' });
    expect(route('/app/x?y', standalone)).toEqual({ kind: 'app', app: 'app', path: '/x', query: 'y' });
    expect(route('/app', standalone)).toEqual({ kind: 'redirect', location: '/app/' });
    expect(route('/_hubify/health', standalone)).toEqual({ kind: 'health' });
    expect(route('/_hubify/metrics', standalone)).toEqual({ kind: 'metrics' });
    expect(route('/api/status', standalone)).toEqual({ kind: 'status' });

    const named = {
      prefix: '/user/alice/gpu/',
      callbackPath: '/user/alice/gpu/oauth_callback',
      hasApp: () => true,
    };
    expect(route('/user/alice/gpu', named)).toEqual({ kind: 'redirect', location: '/user/alice/gpu/' });
    expect(route('/user/alice/gpu/x/', named)).toEqual({ kind: 'app', app: 'x', path: '/', query: '' });
    expect(route('/user/alice/', named)).toEqual({ kind: 'outside' });
  });

  it('only asks hasApp about syntactically valid names', () => {
    const asked: string[] = [];
    const options = {
      ...OPTIONS,
      hasApp: (n: string) => {
        asked.push(n);
        return true;
      },
    };
    route('/user/alice/Bad_Name/', options);
    route('/user/alice/%2e/', options);
    expect(asked).toEqual([]);
  });
});

describe('removeTokenParam', () => {
  it('removes every token parameter and keeps the others byte for byte', () => {
    expect(removeTokenParam('')).toBe('');
    expect(removeTokenParam('token=abc')).toBe('');
    expect(removeTokenParam('a=1&token=abc&b=%2F+x&token=def')).toBe('a=1&b=%2F+x');
    expect(removeTokenParam('token&a=1')).toBe('a=1');
    expect(removeTokenParam('token=&a')).toBe('a');
  });
  it('removes encoded spellings of the name, keeps look-alikes', () => {
    expect(removeTokenParam('%74oken=abc&a=1')).toBe('a=1');
    expect(removeTokenParam('TOKEN=1&tokens=2&xtoken=3&to+ken=4&a[token]=5')).toBe(
      'TOKEN=1&tokens=2&xtoken=3&to+ken=4&a[token]=5',
    );
  });
  it('keeps undecodable parameters instead of throwing', () => {
    expect(removeTokenParam('%zz=1&token=x&b=%')).toBe('%zz=1&b=%');
  });
});

describe('readQueryToken', () => {
  it('reads the decoded token', () => {
    expect(readQueryToken('token=abc')).toBe('abc');
    expect(readQueryToken('a=1&token=a%20b+c')).toBe('a b c');
    expect(readQueryToken('token=first&token=second')).toBe('first');
  });
  it('returns null when there is none or it is empty', () => {
    expect(readQueryToken('')).toBeNull();
    expect(readQueryToken('a=1')).toBeNull();
    expect(readQueryToken('token=')).toBeNull();
    expect(readQueryToken('token')).toBeNull();
    expect(readQueryToken('xtoken=abc')).toBeNull();
    expect(readQueryToken('tokens=abc')).toBeNull();
  });
  it('does not throw on malformed encodings', () => {
    expect(readQueryToken('token=%zz')).toBe('%zz');
  });
});

describe('property: nothing routed to an app escapes its mount point', () => {
  const pieces = [
    '.',
    '..',
    '...',
    '%2e',
    '%2E',
    '%2e%2e',
    '%2E%2e',
    '.%2e',
    '%2e.',
    '%252e',
    '%252e%252e',
    '%25252e',
    '%2f',
    '%2F',
    '%252f',
    '%5c',
    '%5C',
    '%255c',
    '\\',
    '%00',
    '%25',
    '%',
    '%2',
    '%c0%ae',
    '%C0%AF',
    '%e0%80%ae',
    '%C3%A9',
    'é',
    '日本',
    '\u2025',
    '\uff0e\uff0e',
    '~',
    '',
    'x',
    'rstudio',
    'code',
    'a',
    'api',
    'status',
    '_hubify',
    'apps',
    'user',
    'alice',
    '?',
    '#',
    ';',
    '..;',
  ];
  const piece = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...pieces) },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  );
  const separator = fc.constantFrom('/', '/', '/', '//', '%2f', '\\', '%5c', '');
  const segmentsTarget = fc
    .tuple(
      fc.constantFrom(
        '/user/alice/',
        '/user/alice/rstudio/',
        '/user/alice/code',
        '/',
        '',
        '//user//alice//a/',
      ),
      fc.array(fc.tuple(piece, separator), { maxLength: 10 }),
      fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    )
    .map(
      ([start, parts, query]) =>
        start + parts.map(([p, s]) => p + s).join('') + (query === undefined ? '' : `?${query}`),
    );
  const anyTarget = fc.oneof(
    segmentsTarget,
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }).map((s) => `/user/alice/rstudio/${s}`),
    fc.string({ unit: 'binary-ascii' }).map((s) => `/user/alice/${s}`),
  );

  it('holds for arbitrary targets, and no input throws', () => {
    let appRoutes = 0;
    fc.assert(
      fc.property(anyTarget, (target) => {
        const result = resolveRoute(target, OPTIONS);
        // The helpers must not throw on anything either.
        unsafePathReason(target);
        const { query } = splitTarget(target);
        removeTokenParam(query);
        readQueryToken(query);
        if (result.kind !== 'app') return;
        appRoutes++;

        expect(APPS).toContain(result.app);
        expect(result.path.startsWith('/')).toBe(true);
        const decoded = decodeFully(result.path);
        expect(decoded, `path ${JSON.stringify(result.path)} of ${JSON.stringify(target)}`).not.toBeNull();
        if (decoded === null) return;
        expect(decoded).not.toContain('\0');
        expect(decoded).not.toContain('\\');
        // Resolving the decoded path under the mount never climbs above the mount.
        const mount = `/user/alice/${result.app}`;
        const resolved = posix.normalize(`${mount}${decoded}`);
        expect(resolved === mount || resolved.startsWith(`${mount}/`), `${target} -> ${resolved}`).toBe(true);
        // And by itself it never needs to go above "/": no segment is a dot segment.
        let depth = 0;
        for (const segment of decoded.split('/')) {
          if (segment === '..') depth--;
          expect(depth).toBeGreaterThanOrEqual(0);
          expect(segment === '.' || segment === '..').toBe(false);
          if (segment !== '' && segment !== '.' && segment !== '..') depth++;
        }
        // The full path the browser asked for stays under the prefix and the app too.
        const full = decodeFully(splitTarget(target).path);
        expect(full).not.toBeNull();
        const fullResolved = posix.normalize(full ?? '/');
        expect(fullResolved === mount || fullResolved.startsWith(`${mount}/`)).toBe(true);
      }),
      { numRuns: 3000 },
    );
    // The generator must actually reach apps often enough for the property to mean something.
    expect(appRoutes).toBeGreaterThan(200);
  });

  it('holds when every segment is a traversal spelling', () => {
    const realSeparator = fc.constantFrom('/', '//', '%2f', '%2F', '\\', '%5c');
    const dotty = fc.constantFrom(
      '..',
      '%2e%2e',
      '%2E%2e',
      '.%2e',
      '%2e.',
      '%252e%252e',
      '%c0%ae%c0%ae',
      '%2e',
    );
    fc.assert(
      fc.property(fc.array(dotty, { minLength: 1, maxLength: 5 }), realSeparator, (segments, sep) => {
        const target = `/user/alice/rstudio/${segments.join(sep)}/x`;
        expect(resolveRoute(target, OPTIONS).kind).toBe('bad-path');
      }),
      { numRuns: 500 },
    );
  });
});
