/**
 * Turns a raw request target into a route. Paths that could escape the server prefix or an app's mount
 * point in any encoding (`..`, `%2e%2e`, `%252e`, backslashes, NUL, invalid or overlong UTF-8) are
 * refused here, before anything else looks at them; runs of slashes are collapsed so that what is
 * routed is exactly what the app receives.
 */
export type Route =
  | { kind: 'bad-path'; reason: string }
  | { kind: 'outside' }
  | { kind: 'redirect'; location: string }
  | { kind: 'root' }
  | { kind: 'api' }
  | { kind: 'status' }
  | { kind: 'callback' }
  | { kind: 'logout' }
  | { kind: 'health' }
  | { kind: 'metrics' }
  | { kind: 'restart'; app: string }
  | { kind: 'icon'; app: string }
  | { kind: 'app'; app: string; path: string; query: string }
  | { kind: 'not-found' };

/** The reserved segment below the prefix for the runtime's own endpoints. */
export const OWN_SEGMENT = '_hubify';

const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_DECODE_ROUNDS = 3;

export interface SplitTarget {
  path: string;
  query: string;
}

/** Why this raw path is refused, or null when it is safe to route. */
export function unsafePathReason(rawPath: string): string | null {
  if (!rawPath.startsWith('/')) return 'the request target is not an absolute path';
  if (rawPath.includes('\\')) return 'backslashes are not allowed in paths';
  let text = rawPath;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    if (/%(00|5c)/i.test(text)) return 'encoded NUL or backslash in the path';
    for (const segment of text.split(/[/\\]/)) {
      if (segment === '.' || segment === '..') return 'dot segments (. or ..) are not allowed in paths';
    }
    if (!text.includes('%')) return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      return 'the path is not valid percent-encoded UTF-8';
    }
    if (decoded.includes('\0')) return 'NUL in the path';
    if (decoded === text) return null;
    text = decoded;
  }
  // Still changing after several rounds: nobody encodes a path that many times by accident.
  return 'the path is percent-encoded too many times';
}

export function splitTarget(target: string): SplitTarget {
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  return { path: rawPath.replace(/\/{2,}/g, '/'), query: q < 0 ? '' : target.slice(q + 1) };
}

/** The query string without `token=` parameters (kept otherwise byte for byte). */
export function removeTokenParam(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((part) => {
      const key = part.split('=', 1)[0] ?? '';
      try {
        return decodeURIComponent(key.replace(/\+/g, ' ')) !== 'token';
      } catch {
        return true;
      }
    })
    .join('&');
}

export function readQueryToken(query: string): string | null {
  if (query === '') return null;
  const value = new URLSearchParams(query).get('token');
  return value === null || value === '' ? null : value;
}

export function resolveRoute(
  target: string,
  options: { prefix: string; callbackPath: string; hasApp: (name: string) => boolean },
): Route {
  const rawPath = target.split('?', 1)[0] ?? '';
  const reason = unsafePathReason(rawPath);
  if (reason !== null) return { kind: 'bad-path', reason };
  const { path, query } = splitTarget(target);
  const { prefix } = options;

  if (path === `/${OWN_SEGMENT}/health`) return { kind: 'health' };
  if (path === options.callbackPath) return { kind: 'callback' };
  if (prefix !== '/' && path === prefix.slice(0, -1)) {
    return { kind: 'redirect', location: prefix + (query === '' ? '' : `?${query}`) };
  }
  if (!path.startsWith(prefix)) return { kind: 'outside' };

  const rest = path.slice(prefix.length);
  if (rest === '') return { kind: 'root' };
  if (rest === 'api' || rest === 'api/') return { kind: 'api' };
  if (rest === 'api/status') return { kind: 'status' };
  if (rest === 'logout') return { kind: 'logout' };
  if (rest === 'oauth_callback') return { kind: 'callback' };
  if (rest.startsWith(`${OWN_SEGMENT}/`)) {
    const own = rest.slice(OWN_SEGMENT.length + 1).split('/');
    if (own.length === 1 && own[0] === 'health') return { kind: 'health' };
    if (own.length === 1 && own[0] === 'metrics') return { kind: 'metrics' };
    if (own.length === 3 && own[0] === 'apps' && own[1] !== undefined && options.hasApp(own[1])) {
      if (own[2] === 'restart') return { kind: 'restart', app: own[1] };
      if (own[2] === 'icon') return { kind: 'icon', app: own[1] };
    }
    return { kind: 'not-found' };
  }
  const slash = rest.indexOf('/');
  const name = slash < 0 ? rest : rest.slice(0, slash);
  if (!APP_NAME.test(name) || !options.hasApp(name)) return { kind: 'not-found' };
  if (slash < 0) return { kind: 'redirect', location: `${prefix}${name}/${query === '' ? '' : `?${query}`}` };
  return { kind: 'app', app: name, path: rest.slice(slash), query };
}
