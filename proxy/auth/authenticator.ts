/**
 * Per-request authentication, in the hub's order: `?token=` (when the hub's policy allows it, or on a
 * WebSocket), then `Authorization: token|bearer`, then the session cookie. Hub tokens are looked up
 * through a short cache; in standalone mode the single HUBIFY_TOKEN is the only credential.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import type { RuntimeConfig } from '../config.ts';
import type { HubApi, HubIdentity } from '../hub-api.ts';
import type { Logger } from '../log.ts';
import { isAllowed } from './access.ts';
import type { CookiePolicy } from './cookie-policy.ts';
import type { Sealer } from './sealed-value.ts';
import { TokenCache } from './token-cache.ts';

export type CredentialSource = 'query' | 'header' | 'cookie';

export type AuthResult =
  | { kind: 'anonymous'; reason: string }
  | {
      kind: 'authenticated';
      identity: HubIdentity;
      source: CredentialSource;
      token: string;
      allowed: boolean;
    };

export interface RequestFacts {
  /** The request carries `Upgrade: websocket`. */
  websocket: boolean;
  /** `?token=` value, if any. */
  queryToken: string | null;
}

export function readAuthorizationToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^(token|bearer)\s+(\S+)\s*$/i.exec(header);
  return match?.[2] ?? null;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class Authenticator {
  readonly cookies: CookiePolicy;
  private readonly config: RuntimeConfig;
  private readonly hub: HubApi | null;
  private readonly sealer: Sealer;
  private readonly cache: TokenCache;
  private readonly logger: Logger;

  constructor(options: {
    config: RuntimeConfig;
    hub: HubApi | null;
    sealer: Sealer;
    cookies: CookiePolicy;
    logger: Logger;
  }) {
    this.config = options.config;
    this.hub = options.hub;
    this.sealer = options.sealer;
    this.cookies = options.cookies;
    this.logger = options.logger;
    this.cache = new TokenCache(options.config.tokenCacheSeconds);
  }

  get standaloneIdentity(): HubIdentity {
    return { kind: 'user', name: this.config.user, admin: false, groups: [], scopes: null, sessionId: null };
  }

  /** Whether `?token=` may authenticate this request (hub 4.1 default on, 5.0+ off; always on WebSockets). */
  tokenInUrlAllowed(websocket: boolean): boolean {
    if (websocket || this.config.mode === 'standalone') return true;
    return this.config.allowTokenInUrl ?? (this.hub === null || this.hub.version.major < 5);
  }

  /** Seal a token into the session cookie value. */
  sessionCookie(req: IncomingMessage, token: string): string {
    const value = this.sealer.seal(this.cookies.sessionName, token);
    return this.cookies.set(req, this.cookies.sessionName, value, this.cookies.sessionMaxAgeSeconds);
  }

  /**
   * Tries each credential the request carries, in the hub's order; an invalid one does not hide a
   * valid one behind it (a stale `?token=` in a bookmark must not log out a user with a good cookie).
   */
  async authenticate(req: IncomingMessage, facts: RequestFacts): Promise<AuthResult> {
    let reason = 'no credentials';
    for (const [source, token] of this.credentials(req, facts)) {
      if (token === null) {
        reason = 'the session cookie is not valid (expired, tampered or from an earlier run)';
        continue;
      }
      const identity = await this.identify(token);
      if (identity === null) {
        reason = `the ${source} token is not valid`;
        continue;
      }
      return { kind: 'authenticated', identity, source, token, allowed: this.allowed(identity) };
    }
    return { kind: 'anonymous', reason };
  }

  private *credentials(
    req: IncomingMessage,
    facts: RequestFacts,
  ): Generator<[CredentialSource, string | null]> {
    if (facts.queryToken !== null && this.tokenInUrlAllowed(facts.websocket))
      yield ['query', facts.queryToken];
    const header = readAuthorizationToken(req.headers.authorization);
    if (header !== null) yield ['header', header];
    if (!facts.websocket || this.config.allowWebsocketCookieAuth) {
      const sealed = this.readCookie(req, this.cookies.sessionName);
      if (sealed !== null)
        yield [
          'cookie',
          this.sealer.unseal(this.cookies.sessionName, sealed, this.cookies.sessionMaxAgeSeconds),
        ];
    }
  }

  allowed(identity: HubIdentity): boolean {
    if (this.config.mode === 'standalone') return true;
    return isAllowed(identity, {
      owner: this.config.user,
      serverName: this.config.serverName,
      accessScopes: this.config.accessScopes,
      adminAccess: this.config.adminAccess,
      group: this.config.group,
    });
  }

  private async identify(token: string): Promise<HubIdentity | null> {
    if (this.config.mode === 'standalone' || this.hub === null) {
      return safeEqual(token, this.config.apiToken) ? this.standaloneIdentity : null;
    }
    const hub = this.hub;
    return this.cache.get(token, async (t) => {
      const identity = await hub.lookupToken(t);
      this.logger.debug('token lookup', { user: identity?.name ?? null, valid: identity !== null });
      return identity;
    });
  }

  readCookie(req: IncomingMessage, name: string): string | null {
    const header = req.headers.cookie;
    if (header === undefined) return null;
    return parseCookies(header)[name] ?? null;
  }

  allCookies(req: IncomingMessage): Record<string, string | undefined> {
    const header = req.headers.cookie;
    return header === undefined ? {} : parseCookies(header);
  }
}
