/**
 * The headers an app receives: the client's, minus hop-by-hop headers, minus anything that claims an
 * identity or a forwarding path (clients must never be able to set those), minus the runtime's own
 * credentials (session/state/XSRF cookies, hub cookies, the token in `Authorization`); plus the
 * verified identity, `X-Forwarded-*` computed here, and the app's configured extra headers.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

/** Exact names of headers that claim identity or describe the forwarding path. */
const SPOOFABLE = new Set([
  'forwarded',
  'x-real-ip',
  'remote-user',
  'x-remote-user',
  'x-user',
  'x-email',
  'x-proxy-user',
  'x-proxycontextpath',
  'x-script-name',
  'x-original-url',
  'x-rewrite-url',
  'true-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
]);

/** Name prefixes of the same. */
const SPOOFABLE_PREFIXES = ['x-hubify-', 'x-forwarded-', 'x-auth-request-', 'x-webauth-', 'x-remote-'];

export function isSpoofableHeader(name: string): boolean {
  if (SPOOFABLE.has(name)) return true;
  for (const prefix of SPOOFABLE_PREFIXES) if (name.startsWith(prefix)) return true;
  return false;
}

export interface ForwardingFacts {
  /** Address of the nearest client (the hub's proxy, or the browser). */
  clientAddress: string;
  proto: 'http' | 'https';
  host: string | undefined;
  /** Path the app is mounted at (`/user/alice/rstudio`), for X-Forwarded-Prefix. */
  mountPath: string;
  websocket: boolean;
  /** Remove `Authorization: token|bearer` (it carried our credential). */
  dropTokenAuthorization: boolean;
  isPrivateCookie: (name: string) => boolean;
  /** Verified identity headers, or {} when the app does not get them. */
  identity: Record<string, string>;
  /** The app's `requestHeaders`, placeholders expanded. */
  extra: Record<string, string>;
}

export function filterCookieHeader(header: string, isPrivate: (name: string) => boolean): string | null {
  const kept: string[] = [];
  for (const part of header.split(';')) {
    const pair = part.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (!isPrivate(name)) kept.push(pair);
  }
  return kept.length === 0 ? null : kept.join('; ');
}

export function buildUpstreamHeaders(
  incoming: IncomingHttpHeaders,
  facts: ForwardingFacts,
): Record<string, string | string[]> {
  const connectionTokens = new Set(
    (incoming.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.has(name) || isSpoofableHeader(name))
      continue;
    if (name === 'cookie') {
      const filtered = filterCookieHeader(
        Array.isArray(value) ? value.join('; ') : value,
        facts.isPrivateCookie,
      );
      if (filtered !== null) out.cookie = filtered;
      continue;
    }
    if (name === 'authorization' && facts.dropTokenAuthorization && /^(token|bearer)\s/i.test(String(value)))
      continue;
    out[name] = value;
  }
  if (facts.websocket) {
    out.connection = 'Upgrade';
    out.upgrade = incoming.upgrade ?? 'websocket';
  }
  out['x-forwarded-for'] = facts.clientAddress;
  out['x-forwarded-proto'] = facts.proto;
  if (facts.host !== undefined) {
    out['x-forwarded-host'] = facts.host;
    const port = /:(\d+)$/.exec(facts.host)?.[1];
    out['x-forwarded-port'] = port ?? (facts.proto === 'https' ? '443' : '80');
  }
  out['x-forwarded-prefix'] = facts.mountPath;
  for (const [name, value] of Object.entries(facts.extra)) out[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(facts.identity)) out[name] = value;
  return out;
}
