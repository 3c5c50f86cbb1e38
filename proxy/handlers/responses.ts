/**
 * Small writers for the runtime's own responses. Every page the runtime itself serves gets a strict
 * Content-Security-Policy, no caching and no framing; apps' responses are never touched here.
 */
import type { ServerResponse } from 'node:http';

export function ownPageHeaders(nonce: string): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; script-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  nonce: string,
  extra: Record<string, string | string[]> = {},
): void {
  const body = Buffer.from(html);
  res.writeHead(status, {
    ...ownPageHeaders(nonce),
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(body.length),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  extra: Record<string, string | string[]> = {},
): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.length),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  const body = Buffer.from(text);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(body.length),
    'cache-control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function redirect(
  res: ServerResponse,
  location: string,
  status = 302,
  setCookies: string[] = [],
): void {
  res.writeHead(status, {
    location,
    'content-length': '0',
    'cache-control': 'no-store',
    ...(setCookies.length > 0 ? { 'set-cookie': setCookies } : {}),
  });
  res.end();
}

/** Does the client want HTML (a page) rather than JSON? */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.includes('application/json') && !accept.includes('text/html');
}
