// A small RFC 6265 cookie jar: enough to carry hub and single-user cookies through an OAuth walk.
// Host-only unless a Domain attribute is given; path matching, Max-Age/Expires and deletion as
// browsers do. Secure cookies are sent over https and, as Chromium does, to loopback over http.

export interface StoredCookie {
  name: string;
  value: string;
  /** Host the cookie was set by, or the Domain attribute (without a leading dot). */
  domain: string;
  hostOnly: boolean;
  path: string;
  /** Epoch milliseconds; undefined for a session cookie. */
  expiresAt: number | undefined;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | undefined;
  /** The Set-Cookie header line this cookie came from, for assertions and debugging. */
  raw: string;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** RFC 6265 5.1.4 default-path: the request path up to (not including) its last slash, or "/". */
function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/')) return '/';
  const last = path.lastIndexOf('/');
  return last <= 0 ? '/' : path.slice(0, last);
}

/** RFC 6265 5.1.4 path-match. */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(host: string, cookie: StoredCookie): boolean {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

/** Parses one Set-Cookie line as seen from `url`; undefined when the line is unusable. */
export function parseSetCookie(line: string, url: URL, now: number = Date.now()): StoredCookie | undefined {
  const [pair = '', ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq < 0) return undefined;
  const name = pair.slice(0, eq).trim();
  // Like browsers, keep DQUOTEs as part of the value (tornado quotes its signed cookies).
  const value = pair.slice(eq + 1).trim();
  if (name === '') return undefined;
  const cookie: StoredCookie = {
    name,
    value,
    domain: url.hostname,
    hostOnly: true,
    path: defaultPath(url),
    expiresAt: undefined,
    secure: false,
    httpOnly: false,
    sameSite: undefined,
    raw: line,
  };
  let maxAgeSeen = false;
  for (const attribute of attributes) {
    const aeq = attribute.indexOf('=');
    const key = (aeq < 0 ? attribute : attribute.slice(0, aeq)).trim().toLowerCase();
    const val = aeq < 0 ? '' : attribute.slice(aeq + 1).trim();
    switch (key) {
      case 'path':
        if (val.startsWith('/')) cookie.path = val;
        break;
      case 'domain': {
        const domain = val.replace(/^\./, '').toLowerCase();
        if (domain !== '') {
          if (url.hostname !== domain && !url.hostname.endsWith(`.${domain}`)) return undefined;
          cookie.domain = domain;
          cookie.hostOnly = false;
        }
        break;
      }
      case 'max-age': {
        const seconds = Number(val);
        if (Number.isFinite(seconds)) {
          cookie.expiresAt = now + seconds * 1000;
          maxAgeSeen = true;
        }
        break;
      }
      case 'expires': {
        const at = Date.parse(val);
        if (!maxAgeSeen && Number.isFinite(at)) cookie.expiresAt = at;
        break;
      }
      case 'secure':
        cookie.secure = true;
        break;
      case 'httponly':
        cookie.httpOnly = true;
        break;
      case 'samesite':
        cookie.sameSite = val;
        break;
      default:
        break;
    }
  }
  return cookie;
}

export class CookieJar {
  #cookies: StoredCookie[] = [];

  /** Stores (or deletes, for expired ones) the cookies of a response to a request for `url`. */
  store(url: URL | string, setCookieLines: readonly string[], now: number = Date.now()): void {
    const from = typeof url === 'string' ? new URL(url) : url;
    for (const line of setCookieLines) {
      const cookie = parseSetCookie(line, from, now);
      if (cookie === undefined) continue;
      this.#cookies = this.#cookies.filter(
        (c) => !(c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path),
      );
      if (cookie.expiresAt === undefined || cookie.expiresAt > now) this.#cookies.push(cookie);
    }
  }

  /** The cookies a browser would send to `url`, most specific path first. */
  matching(url: URL | string, now: number = Date.now()): StoredCookie[] {
    const to = typeof url === 'string' ? new URL(url) : url;
    const secureOk = to.protocol === 'https:' || LOOPBACK_HOSTS.has(to.hostname);
    return this.#cookies
      .filter(
        (c) =>
          (c.expiresAt === undefined || c.expiresAt > now) &&
          domainMatches(to.hostname, c) &&
          pathMatches(to.pathname, c.path) &&
          (!c.secure || secureOk),
      )
      .sort((a, b) => b.path.length - a.path.length);
  }

  /** The Cookie header for `url`, or undefined when no cookie applies. */
  header(url: URL | string): string | undefined {
    const cookies = this.matching(url);
    return cookies.length === 0 ? undefined : cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** Every stored cookie (a copy). */
  all(): StoredCookie[] {
    return this.#cookies.map((c) => ({ ...c }));
  }

  /** The first stored cookie called `name` (optionally: one that would be sent to `url`). */
  get(name: string, url?: URL | string): StoredCookie | undefined {
    const pool = url === undefined ? this.#cookies : this.matching(url);
    const found = pool.find((c) => c.name === name);
    return found === undefined ? undefined : { ...found };
  }

  delete(name: string): void {
    this.#cookies = this.#cookies.filter((c) => c.name !== name);
  }

  clear(): void {
    this.#cookies = [];
  }
}
