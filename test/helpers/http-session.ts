// A browser-like HTTP client without a browser: undici requests, a cookie jar, and redirects followed
// by hand so a test can assert on every hop of an OAuth walk (hub login -> authorize -> callback).
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'undici';
import { CookieJar } from './cookie-jar.ts';
import { WAIT_MEDIUM } from './waits.ts';

export interface RedirectHop {
  /** The URL that answered with a redirect. */
  url: string;
  status: number;
  /** The Location header exactly as sent (often relative). */
  location: string;
}

export interface SessionResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body decoded as UTF-8. */
  body: string;
  /** The body as bytes. */
  bytes: Buffer;
  /** The URL that produced this response (after any followed redirects). */
  url: string;
  /** Every redirect followed to get here, in order; empty when none. */
  redirects: RedirectHop[];
}

export interface SessionRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Follow 301/302/303/307/308 (default true). 301-303 turn into GET without a body, like browsers. */
  followRedirects?: boolean;
  /** Give up (throw) after this many redirects (default 10); the error lists the chain. */
  maxRedirects?: number;
  /** Per-request timeout (default WAIT_MEDIUM). */
  timeoutMs?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function headerList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export class HttpSession {
  readonly jar: CookieJar;
  readonly baseUrl: string;

  /** `baseUrl` resolves relative URLs given to get/post/request (e.g. the hub's public URL). */
  constructor(baseUrl: string, jar: CookieJar = new CookieJar()) {
    this.baseUrl = baseUrl;
    this.jar = jar;
  }

  resolve(url: string): URL {
    return new URL(url, this.baseUrl);
  }

  async get(
    url: string,
    options: Omit<SessionRequestOptions, 'method' | 'body'> = {},
  ): Promise<SessionResponse> {
    return this.request(url, { ...options, method: 'GET' });
  }

  /** POST an `application/x-www-form-urlencoded` form. */
  async postForm(
    url: string,
    form: Record<string, string>,
    options: Omit<SessionRequestOptions, 'method' | 'body'> = {},
  ): Promise<SessionResponse> {
    return this.request(url, {
      ...options,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  async request(url: string, options: SessionRequestOptions = {}): Promise<SessionResponse> {
    const follow = options.followRedirects ?? true;
    const maxRedirects = options.maxRedirects ?? 10;
    const timeoutMs = options.timeoutMs ?? WAIT_MEDIUM;
    const redirects: RedirectHop[] = [];
    let current = this.resolve(url);
    let method = (options.method ?? 'GET').toUpperCase();
    let body = options.body;
    for (;;) {
      const headers: Record<string, string> = { 'user-agent': 'hubify-test-session', ...options.headers };
      const cookie = this.jar.header(current);
      if (cookie !== undefined) headers.cookie = cookie;
      if (body === undefined) delete headers['content-type'];
      const res = await request(current, {
        method: method as 'GET',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      this.jar.store(current, headerList(res.headers['set-cookie']));
      const location = res.headers.location;
      const locationText = Array.isArray(location) ? location[0] : location;
      if (follow && REDIRECT_STATUSES.has(res.statusCode) && locationText !== undefined) {
        redirects.push({ url: current.toString(), status: res.statusCode, location: locationText });
        if (redirects.length > maxRedirects) {
          const chain = redirects.map((r) => `  ${r.status} ${r.url} -> ${r.location}`).join('\n');
          throw new Error(`more than ${maxRedirects} redirects starting at ${url}:\n${chain}`);
        }
        current = new URL(locationText, current);
        if (res.statusCode <= 303) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
        }
        continue;
      }
      return {
        status: res.statusCode,
        headers: res.headers,
        body: bytes.toString('utf8'),
        bytes,
        url: current.toString(),
        redirects,
      };
    }
  }
}
