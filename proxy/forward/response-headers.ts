/**
 * What the browser receives from an app: hop-by-hop headers removed; `Location` and `Set-Cookie` paths
 * moved under the app's mount path when the app sees stripped paths (an app that redirects to `/login`
 * means `<prefix><app>/login`), and redirects to the app's own loopback address turned into paths.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

export interface RewriteFacts {
  /** `/user/alice/rstudio` (no trailing slash). */
  mountPath: string;
  stripPrefix: boolean;
  /** Origins the app may name in absolute redirects to itself (`http://127.0.0.1:PORT`). */
  upstreamOrigins: string[];
}

export function rewriteLocation(location: string, facts: RewriteFacts): string {
  let value = location;
  for (const origin of facts.upstreamOrigins) {
    if (value === origin || /^[/?#]/.test(value.slice(origin.length, origin.length + 1))) {
      // A path on the app's own origin stays a path: `//host` or `/\host` would leave the server.
      value = `/${value.slice(origin.length).replace(/^[/\\]+/, '')}`;
      break;
    }
  }
  // Absolute paths only (not `//host` protocol-relative URLs, not relative paths).
  if (facts.stripPrefix && value.startsWith('/') && !value.startsWith('//')) {
    if (value !== facts.mountPath && !value.startsWith(`${facts.mountPath}/`))
      value = `${facts.mountPath}${value}`;
  }
  return value;
}

export function rewriteSetCookie(cookie: string, facts: RewriteFacts): string {
  if (!facts.stripPrefix) return cookie;
  return cookie.replace(/(;\s*path\s*=\s*)([^;]*)/i, (_match, lead: string, path: string) => {
    const trimmed = path.trim();
    if (
      !trimmed.startsWith('/') ||
      trimmed === facts.mountPath ||
      trimmed.startsWith(`${facts.mountPath}/`)
    ) {
      return `${lead}${trimmed}`;
    }
    return `${lead}${facts.mountPath}${trimmed === '/' ? '/' : trimmed}`;
  });
}

export function buildDownstreamHeaders(
  upstream: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  facts: RewriteFacts,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP_RESPONSE.has(name)) continue;
    if (name === 'location' && typeof value === 'string') out.location = rewriteLocation(value, facts);
    else if (name === 'set-cookie') {
      const cookies = Array.isArray(value) ? value : [value];
      out['set-cookie'] = cookies.map((c) => rewriteSetCookie(c, facts));
    } else out[name] = value;
  }
  return out;
}
