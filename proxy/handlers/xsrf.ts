/**
 * CSRF protection for the runtime's own state-changing endpoints (restart): a random token in an
 * HttpOnly cookie that forms echo in `_xsrf` (or `X-XSRFToken`), compared in constant time, plus an
 * Origin check when the browser sends one. Requests authenticated by a token header skip it, as on
 * the hub. Apps keep their own CSRF policy: the runtime never blocks their POSTs (jupyterhub#4744).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Authenticator } from '../auth/authenticator.ts';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
const XSRF_MAX_AGE_SECONDS = 86_400;

/** The XSRF token for a page, and the cookie to set when the browser has none yet. */
export function xsrfTokenFor(
  req: IncomingMessage,
  auth: Authenticator,
): { token: string; setCookie: string | null } {
  const existing = auth.readCookie(req, auth.cookies.xsrfName);
  if (existing !== null && TOKEN_PATTERN.test(existing)) return { token: existing, setCookie: null };
  const token = randomBytes(24).toString('base64url');
  return { token, setCookie: auth.cookies.set(req, auth.cookies.xsrfName, token, XSRF_MAX_AGE_SECONDS) };
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function xsrfValid(req: IncomingMessage, auth: Authenticator, submitted: string | null): boolean {
  if (!sameOrigin(req)) return false;
  const cookie = auth.readCookie(req, auth.cookies.xsrfName);
  const header = req.headers['x-xsrftoken'] ?? req.headers['x-csrftoken'];
  const given = submitted ?? (typeof header === 'string' ? header : null);
  if (cookie === null || given === null || cookie.length !== given.length) return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(given));
}

/** How much of an oversized body is read and dropped before answering, so a proxy in front (the hub's
 *  configurable-http-proxy, still sending) receives the 413 instead of a reset connection. */
export const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Reads a small urlencoded form body (bounded). A larger body resolves null once it has been read
 * and dropped (up to DRAIN_LIMIT_BYTES; beyond that, or when declared larger, at once): the caller
 * answers 413 with `Connection: close`.
 */
export function readSmallForm(req: IncomingMessage, limitBytes = 8192): Promise<URLSearchParams | null> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    req.resume();
    return Promise.resolve(new URLSearchParams());
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > DRAIN_LIMIT_BYTES) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) {
        req.off('data', onData);
        req.pause();
        resolve(null);
        return;
      }
      if (size <= limitBytes) chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () =>
      resolve(size > limitBytes ? null : new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
    );
    req.once('error', reject);
    // A client that goes away mid-body: nothing to answer, but the promise must settle.
    req.once('close', () => resolve(null));
  });
}
