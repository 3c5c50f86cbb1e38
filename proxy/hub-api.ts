/**
 * Calls from the runtime to the hub's REST API (`JUPYTERHUB_API_URL`): version probe, OAuth code
 * exchange, token lookup (hub 2.0+ `/user`, hub 1.x `/authorizations/token/<t>`), activity reports.
 * With internal SSL every call presents our certificate and verifies the hub's against the CA bundle.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { Agent, request } from './forward/undici-core.ts';
import type { TlsFiles } from './config.ts';

/** What the hub tells us about the owner of a token. */
export interface HubIdentity {
  kind: 'user' | 'service';
  name: string;
  admin: boolean;
  groups: string[];
  /** Expanded scopes (hub 2.0+), or null when the hub does not report scopes (1.x). */
  scopes: string[] | null;
  sessionId: string | null;
}

export class HubApiError extends Error {
  readonly status: number | null;
  readonly code: string;
  constructor(message: string, status: number | null, code: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface HubVersion {
  text: string;
  major: number;
  minor: number;
}

export function parseHubVersion(text: string): HubVersion {
  const match = /^(\d+)\.(\d+)/.exec(text);
  return { text, major: Number(match?.[1] ?? 0), minor: Number(match?.[2] ?? 0) };
}

const TIMEOUT_MS = 10_000;

export class HubApi {
  readonly apiUrl: string;
  private readonly apiToken: string;
  private readonly dispatcher: Dispatcher;
  /** Learned from the probe; decides 1.x or 2.0+ code paths. */
  version: HubVersion = parseHubVersion('0.0.0');

  constructor(options: { apiUrl: string; apiToken: string; tls: TlsFiles | null }) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.apiToken = options.apiToken;
    this.dispatcher = new Agent({
      keepAliveTimeout: 30_000,
      connect:
        options.tls === null
          ? {}
          : {
              key: readFileSync(options.tls.keyFile),
              cert: readFileSync(options.tls.certFile),
              ca: readFileSync(options.tls.clientCaFile),
            },
    });
  }

  get supportsScopes(): boolean {
    return this.version.major >= 2;
  }

  get wantsPkce(): boolean {
    return this.version.major >= 6;
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    options: { token?: string; body?: string; contentType?: string; signal?: AbortSignal } = {},
  ): Promise<{ status: number; json: unknown; headers: Record<string, string | string[] | undefined> }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token !== undefined) headers.authorization = `token ${options.token}`;
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${this.apiUrl}${path}`, {
        method,
        headers,
        body: options.body ?? null,
        dispatcher: this.dispatcher,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERROR';
      throw new HubApiError(
        `JupyterHub did not answer ${method} ${this.apiUrl}${path}: ${(error as Error).message}`,
        null,
        code,
      );
    }
    const text = await response.body.text();
    let json: unknown = null;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
    }
    return { status: response.statusCode, json, headers: response.headers };
  }

  /** `GET <API_URL>`: unauthenticated, returns the hub's version. */
  async probeVersion(): Promise<HubVersion> {
    const { status, json, headers } = await this.call('GET', '/');
    const fromBody = (json as { version?: unknown } | null)?.version;
    const fromHeader = headers['x-jupyterhub-version'];
    const text = typeof fromBody === 'string' ? fromBody : typeof fromHeader === 'string' ? fromHeader : null;
    if (status >= 400 || text === null) {
      throw new HubApiError(
        `JupyterHub answered ${status} to GET ${this.apiUrl}/ without a version.`,
        status,
        'BAD_PROBE',
      );
    }
    this.version = parseHubVersion(text);
    return this.version;
  }

  /** OAuth authorization-code exchange; returns the access token. */
  async exchangeCode(options: {
    clientId: string;
    code: string;
    redirectUri: string;
    codeVerifier: string | null;
  }): Promise<string> {
    const form = new URLSearchParams({
      client_id: options.clientId,
      client_secret: this.apiToken,
      grant_type: 'authorization_code',
      code: options.code,
      redirect_uri: options.redirectUri,
    });
    if (options.codeVerifier !== null) form.set('code_verifier', options.codeVerifier);
    const { status, json } = await this.call('POST', '/oauth2/token', {
      token: this.apiToken,
      body: form.toString(),
      contentType: 'application/x-www-form-urlencoded',
    });
    const token = (json as { access_token?: unknown } | null)?.access_token;
    if (status !== 200 || typeof token !== 'string') {
      const body = (json as { error_description?: unknown; error?: unknown } | null) ?? {};
      const reason = [body.error_description, body.error].find(
        (item): item is string => typeof item === 'string',
      );
      throw new HubApiError(
        `JupyterHub refused the OAuth code (${status}): ${reason ?? 'no reason given'}`,
        status,
        'OAUTH_EXCHANGE',
      );
    }
    return token;
  }

  /** Who owns this token? null when the hub says the token is not valid. */
  async lookupToken(token: string): Promise<HubIdentity | null> {
    const { status, json } = this.supportsScopes
      ? await this.call('GET', '/user', { token })
      : await this.call('GET', `/authorizations/token/${encodeURIComponent(token)}`, {
          token: this.apiToken,
        });
    if (status === 401 || status === 403 || status === 404) return null;
    if (status !== 200 || typeof json !== 'object' || json === null) {
      throw new HubApiError(`JupyterHub answered ${status} to a token lookup.`, status, 'LOOKUP');
    }
    return toIdentity(json as Record<string, unknown>);
  }

  /** `POST JUPYTERHUB_ACTIVITY_URL`. Throws HubApiError on any non-2xx answer. */
  async postActivity(
    activityUrl: string,
    serverName: string,
    lastActivity: Date,
    signal?: AbortSignal,
  ): Promise<void> {
    const timestamp = lastActivity.toISOString();
    const body = JSON.stringify({
      servers: { [serverName]: { last_activity: timestamp } },
      last_activity: timestamp,
    });
    const path = activityUrl.startsWith(this.apiUrl) ? activityUrl.slice(this.apiUrl.length) : null;
    if (path === null) {
      // The activity URL may point elsewhere than API_URL (it never does in practice); call it as given.
      const response = await request(activityUrl, {
        method: 'POST',
        headers: { authorization: `token ${this.apiToken}`, 'content-type': 'application/json' },
        body,
        dispatcher: this.dispatcher,
        headersTimeout: TIMEOUT_MS,
        ...(signal === undefined ? {} : { signal }),
      }).catch((error: unknown) => {
        throw new HubApiError(
          `JupyterHub did not answer POST ${activityUrl}: ${(error as Error).message}`,
          null,
          'ERROR',
        );
      });
      await response.body.dump();
      if (response.statusCode >= 300) {
        throw new HubApiError(
          `JupyterHub answered ${response.statusCode} to an activity report.`,
          response.statusCode,
          'ACTIVITY',
        );
      }
      return;
    }
    const { status, json } = await this.call('POST', path, {
      token: this.apiToken,
      body,
      contentType: 'application/json',
      ...(signal === undefined ? {} : { signal }),
    });
    if (status >= 300) {
      const message = (json as { message?: unknown } | null)?.message;
      throw new HubApiError(
        `JupyterHub answered ${status} to an activity report${typeof message === 'string' ? `: ${message}` : ''}.`,
        status,
        'ACTIVITY',
      );
    }
  }
}

function toIdentity(model: Record<string, unknown>): HubIdentity {
  const groups = Array.isArray(model.groups)
    ? model.groups.filter((g): g is string => typeof g === 'string')
    : [];
  const scopes = Array.isArray(model.scopes)
    ? model.scopes.filter((s): s is string => typeof s === 'string')
    : null;
  return {
    kind: model.kind === 'service' ? 'service' : 'user',
    name: typeof model.name === 'string' ? model.name : '',
    admin: model.admin === true,
    groups,
    scopes,
    sessionId: typeof model.session_id === 'string' ? model.session_id : null,
  };
}
