/**
 * Names and attributes of the runtime's own cookies (session, OAuth state, XSRF), following what the
 * hub tells the server (`JUPYTERHUB_CLIENT_ID`, `JUPYTERHUB_COOKIE_OPTIONS`, host-prefix) and the
 * request's scheme. Also decides which cookies must never reach an app.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { serialize, type SerializeOptions } from 'cookie';
import type { RuntimeConfig } from '../config.ts';

export const STATE_MAX_AGE_SECONDS = 600;
const DEFAULT_SESSION_MAX_AGE_SECONDS = 30 * 86_400;

/**
 * The scheme the browser used: an https public URL, else the nearest proxy's X-Forwarded-Proto, else
 * TLS on our own socket. The proxy's word comes before our socket: with internal SSL the hop from the
 * hub's proxy is TLS even when the browser speaks plain http, and a Secure cookie would then be dropped.
 */
export function requestIsHttps(req: IncomingMessage, config: Pick<RuntimeConfig, 'publicUrl'>): boolean {
  // An https public URL decides on its own (TLS may end at an ingress before the hub's http proxy).
  if (config.publicUrl?.startsWith('https:') === true) return true;
  const forwarded = lastListValue(req.headers['x-forwarded-proto']);
  if (forwarded !== null) return forwarded.toLowerCase() === 'https';
  return (req.socket as TLSSocket).encrypted === true;
}

/** The value the nearest proxy appended to a comma-separated forwarding header. */
export function lastListValue(header: string | string[] | undefined): string | null {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text === undefined) return null;
  const last = text.split(',').pop()?.trim();
  return last === undefined || last === '' ? null : last;
}

export class CookiePolicy {
  readonly sessionName: string;
  readonly statePrefix: string;
  readonly xsrfName: string;
  private readonly path: string;
  private readonly config: RuntimeConfig;

  constructor(config: RuntimeConfig) {
    this.config = config;
    const base = config.mode === 'standalone' ? `hubify-${config.port}` : config.clientId;
    const hostPrefix = config.cookieHostPrefix ? '__Host-' : '';
    this.sessionName = `${hostPrefix}${base}`;
    this.statePrefix = `${hostPrefix}${base}-oauth-state`;
    this.xsrfName = `${hostPrefix}${base}-xsrf`;
    this.path = config.cookieHostPrefix ? '/' : config.prefix;
  }

  get sessionMaxAgeSeconds(): number {
    return this.config.cookieOptions.maxAgeSeconds ?? DEFAULT_SESSION_MAX_AGE_SECONDS;
  }

  private attributes(req: IncomingMessage, maxAge: number): SerializeOptions {
    const options = this.config.cookieOptions;
    const secure =
      this.config.cookieHostPrefix || options.secure === true || requestIsHttps(req, this.config);
    const sameSite = options.sameSite ?? 'Lax';
    return {
      path: this.path,
      httpOnly: true,
      secure: secure || sameSite === 'None',
      sameSite: sameSite.toLowerCase() as 'lax' | 'strict' | 'none',
      maxAge,
      ...(options.domain !== null && !this.config.cookieHostPrefix ? { domain: options.domain } : {}),
    };
  }

  set(req: IncomingMessage, name: string, value: string, maxAgeSeconds: number): string {
    return serialize(name, value, this.attributes(req, maxAgeSeconds));
  }

  clear(req: IncomingMessage, name: string): string {
    return serialize(name, '', { ...this.attributes(req, 0), expires: new Date(0) });
  }

  isStateCookie(name: string): boolean {
    return name.startsWith(this.statePrefix);
  }

  /**
   * Cookies an app must never see: ours, and every hub cookie (`jupyterhub-*`: other servers' sessions
   * ride along because `/user/alice/` is a parent path of `/user/alice/gpu/`, and the hub session id).
   */
  isPrivate(name: string): boolean {
    const bare = name.startsWith('__Host-') ? name.slice(7) : name;
    return (
      name === this.sessionName ||
      name === this.xsrfName ||
      this.isStateCookie(name) ||
      bare.startsWith('jupyterhub-') ||
      bare.startsWith(`hubify-`)
    );
  }
}
