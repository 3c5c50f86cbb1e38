/**
 * The OAuth authorization-code flow with JupyterHub: redirect to the hub's authorize URL with a state
 * (kept in memory and in a sealed state cookie) and, on hub 6+, PKCE; then the callback: check the
 * state, exchange the code, identify the user, set the session cookie, return to where the user was.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RuntimeConfig } from '../config.ts';
import type { HubApi, HubIdentity } from '../hub-api.ts';
import type { Authenticator } from './authenticator.ts';
import { STATE_MAX_AGE_SECONDS } from './cookie-policy.ts';
import type { Sealer } from './sealed-value.ts';

interface PendingLogin {
  nextUrl: string;
  cookieName: string;
  codeVerifier: string | null;
  expiresAt: number;
}

export type CallbackOutcome =
  | { kind: 'error'; status: 400 | 403 | 502; message: string; setCookies: string[] }
  | { kind: 'redirect'; location: string; setCookies: string[] }
  | { kind: 'denied'; identity: HubIdentity; setCookies: string[] };

const MAX_PENDING = 1000;

export class OAuthLogin {
  private readonly pending = new Map<string, PendingLogin>();
  private readonly config: RuntimeConfig;
  private readonly hub: HubApi;
  private readonly auth: Authenticator;
  private readonly sealer: Sealer;

  constructor(options: { config: RuntimeConfig; hub: HubApi; auth: Authenticator; sealer: Sealer }) {
    this.config = options.config;
    this.hub = options.hub;
    this.auth = options.auth;
    this.sealer = options.sealer;
  }

  /** The hub's authorize URL (relative unless the hub uses subdomains) and the state cookie to set. */
  begin(req: IncomingMessage, nextUrl: string): { location: string; setCookie: string } {
    this.expire();
    const state = randomBytes(16).toString('base64url');
    let cookieName = this.auth.cookies.statePrefix;
    // Several tabs logging in at once must not overwrite each other's state (jupyterhub#1438).
    if (this.auth.readCookie(req, cookieName) !== null)
      cookieName = `${cookieName}-${randomBytes(6).toString('base64url')}`;
    const codeVerifier = this.hub.wantsPkce ? randomBytes(32).toString('base64url') : null;
    this.pending.set(state, {
      nextUrl,
      cookieName,
      codeVerifier,
      expiresAt: Date.now() + STATE_MAX_AGE_SECONDS * 1000,
    });
    const query = new URLSearchParams({
      client_id: this.config.clientId,
      redirect_uri: this.config.oauthCallbackUrl,
      response_type: 'code',
      state,
    });
    if (codeVerifier !== null) {
      query.set('code_challenge', createHash('sha256').update(codeVerifier).digest('base64url'));
      query.set('code_challenge_method', 'S256');
    }
    const location = `${this.config.hubHost}${this.config.hubBaseUrl}hub/api/oauth2/authorize?${query.toString()}`;
    const sealed = this.sealer.seal(cookieName, state);
    return { location, setCookie: this.auth.cookies.set(req, cookieName, sealed, STATE_MAX_AGE_SECONDS) };
  }

  async complete(req: IncomingMessage, query: URLSearchParams): Promise<CallbackOutcome> {
    const error = query.get('error');
    if (error !== null) {
      return {
        kind: 'error',
        status: 400,
        message: `JupyterHub said: ${query.get('error_description') ?? error}`,
        setCookies: [],
      };
    }
    const code = query.get('code');
    const state = query.get('state');
    if (code === null || code === '')
      return { kind: 'error', status: 400, message: 'The OAuth callback has no code.', setCookies: [] };
    if (state === null || state === '')
      return { kind: 'error', status: 400, message: 'The OAuth callback has no state.', setCookies: [] };

    const clearStateCookies: string[] = [];
    let cookieState: string | null = null;
    const pending = this.pending.get(state);
    for (const [name, value] of Object.entries(this.auth.allCookies(req))) {
      if (!this.auth.cookies.isStateCookie(name) || value === undefined) continue;
      clearStateCookies.push(this.auth.cookies.clear(req, name));
      if (name === pending?.cookieName) cookieState = this.sealer.unseal(name, value, STATE_MAX_AGE_SECONDS);
    }
    if (pending === undefined || pending.expiresAt < Date.now() || cookieState !== state) {
      return {
        kind: 'error',
        status: 403,
        message:
          'OAuth state does not match (the login took too long, the server restarted, or it came from another browser). Try logging in again.',
        setCookies: clearStateCookies,
      };
    }
    this.pending.delete(state);

    let token: string;
    try {
      token = await this.hub.exchangeCode({
        clientId: this.config.clientId,
        code,
        redirectUri: this.config.oauthCallbackUrl,
        codeVerifier: pending.codeVerifier,
      });
    } catch (exchangeError) {
      return {
        kind: 'error',
        status: 502,
        message: (exchangeError as Error).message,
        setCookies: clearStateCookies,
      };
    }
    const identity = await this.hub.lookupToken(token);
    if (identity === null) {
      return {
        kind: 'error',
        status: 502,
        message: 'JupyterHub issued a token it then did not recognise.',
        setCookies: clearStateCookies,
      };
    }
    const setCookies = [...clearStateCookies, this.auth.sessionCookie(req, token)];
    if (!this.auth.allowed(identity)) return { kind: 'denied', identity, setCookies };
    return { kind: 'redirect', location: pending.nextUrl, setCookies };
  }

  private expire(): void {
    const now = Date.now();
    for (const [state, login] of this.pending) {
      if (login.expiresAt < now || this.pending.size > MAX_PENDING) this.pending.delete(state);
      else break; // insertion order = age order: the rest are younger
    }
  }
}
