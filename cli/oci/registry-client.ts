/**
 * A small client for the OCI distribution API (what `docker pull`/`push` speak), written on undici
 * because no npm package covers pushing: manifests and indexes (GET, PUT), blobs (GET into a file with
 * the digest checked, HEAD, cross-repository mount, monolithic upload). Authentication follows the
 * registry's `WWW-Authenticate` challenge: Bearer (a token from the realm, with `service` and `scope`;
 * with the user's credentials as Basic auth, or an identity token as an OAuth2 refresh token) or Basic.
 * Credentials come from docker's config.json (cli/engine/registry-auth.ts). `insecure` uses http.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { buildError } from '../build/error-codes.ts';
import { EXIT } from '../errors.ts';
import type { RegistryAuth } from '../engine/registry-auth.ts';
import type { ImageReference } from '../engine/image-reference.ts';
import { parseAuthChallenges, tokenUrl, type AuthChallenge } from './auth-challenge.ts';
import { MANIFEST_ACCEPT, sha256Digest } from './media-types.ts';

/** Docker Hub's registry API endpoint, for references that name no registry. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

/** Where a reference's repository lives: the API host and the repository path there. */
export function registryLocation(reference: ImageReference): { host: string; repository: string } {
  const hub =
    reference.registry === null ||
    reference.registry === 'docker.io' ||
    reference.registry === 'index.docker.io';
  if (!hub) return { host: reference.registry ?? '', repository: reference.repository };
  const repository = reference.repository.includes('/')
    ? reference.repository
    : `library/${reference.repository}`;
  return { host: DOCKER_HUB_API, repository };
}

export interface RegistryClientOptions {
  /** http instead of https (local registries). */
  insecure: boolean;
  credentials?: RegistryAuth | undefined;
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly status: number | null;
  constructor(message: string, status: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The response body, or its bytes when they had to be read already (a refused challenge). */
  body: Dispatcher.ResponseData['body'] | Buffer;
}

/** The whole body of a response. */
async function bodyBytes(sent: Sent): Promise<Buffer> {
  return Buffer.isBuffer(sent.body) ? sent.body : Buffer.from(await sent.body.arrayBuffer());
}

async function discard(sent: Sent): Promise<void> {
  if (!Buffer.isBuffer(sent.body)) await sent.body.dump();
}

function header(headers: Sent['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

const MAX_REDIRECTS = 5;

/** One registry (host), with the tokens it handed out. */
export class RegistryClient {
  readonly host: string;
  private readonly base: string;
  private readonly credentials: RegistryAuth | undefined;
  private readonly tokens = new Map<string, string>();
  private basic: string | null = null;
  /** Requests sent (for the bench and tests). */
  requests = 0;

  constructor(host: string, options: RegistryClientOptions) {
    this.host = host;
    this.base = `${options.insecure ? 'http' : 'https'}://${host}`;
    this.credentials = options.credentials;
  }

  private authorization(scopes: readonly string[]): string | undefined {
    const token = this.tokens.get(scopes.join(' '));
    if (token !== undefined) return `Bearer ${token}`;
    return this.basic ?? undefined;
  }

  private basicValue(): string | null {
    const { username, password } = this.credentials ?? {};
    if (username === undefined || password === undefined) return null;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  /** Answers a challenge: fetches a token (Bearer) or takes the credentials (Basic). False when it cannot. */
  private async authenticate(challenges: AuthChallenge[], scopes: readonly string[]): Promise<boolean> {
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    if (bearer !== undefined) {
      const url = tokenUrl(bearer, scopes);
      const identity = this.credentials?.identitytoken;
      let sent: Dispatcher.ResponseData;
      this.requests += 1;
      if (identity !== undefined) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: identity,
          service: bearer.params.service ?? '',
          scope: url.searchParams.getAll('scope').join(' '),
          client_id: 'hubify',
        });
        sent = await request(new URL(url.origin + url.pathname), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        });
      } else {
        const basic = this.basicValue();
        sent = await request(url, { method: 'GET', headers: basic === null ? {} : { authorization: basic } });
      }
      const text = await sent.body.text();
      if (sent.statusCode !== 200) return false;
      const answer = JSON.parse(text) as { token?: string; access_token?: string };
      const token = answer.token ?? answer.access_token;
      if (token === undefined || token === '') return false;
      this.tokens.set(scopes.join(' '), token);
      return true;
    }
    if (challenges.some((challenge) => challenge.scheme === 'basic')) {
      this.basic = this.basicValue();
      return this.basic !== null;
    }
    return false;
  }

  /**
   * Sends a request to the registry (path below /v2/ or a full URL the registry gave), answering
   * one authentication challenge and following redirects (without the Authorization header to
   * another host). A body that is a stream cannot be sent twice: authenticate with a request before.
   */
  async send(
    method: Dispatcher.HttpMethod,
    path: string,
    options: {
      scopes: readonly string[];
      headers?: Record<string, string>;
      body?: Buffer | Readable;
    },
  ): Promise<Sent> {
    let url = new URL(path, this.base);
    let answeredChallenge = false;
    for (let hop = 0; hop <= MAX_REDIRECTS;) {
      const sameHost = url.host === this.host;
      const auth = sameHost ? this.authorization(options.scopes) : undefined;
      const headers = { ...options.headers, ...(auth === undefined ? {} : { authorization: auth }) };
      this.requests += 1;
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method,
          headers,
          ...(options.body === undefined ? {} : { body: options.body }),
        });
      } catch (error) {
        throw new RegistryError(
          `${method} ${url.href} failed: ${(error as Error).message}${this.base.startsWith('https') ? ' (a registry that speaks plain http needs --insecure)' : ''}`,
          null,
          { cause: error },
        );
      }
      const { statusCode: status } = response;
      if (
        status === 401 &&
        sameHost &&
        !answeredChallenge &&
        !(options.body !== undefined && !Buffer.isBuffer(options.body))
      ) {
        const refusal = Buffer.from(await response.body.arrayBuffer());
        answeredChallenge = true;
        const challenges = parseAuthChallenges(header(response.headers, 'www-authenticate') ?? '');
        if (await this.authenticate(challenges, options.scopes)) continue;
        return { status, headers: response.headers, body: refusal };
      }
      if ([301, 302, 303, 307, 308].includes(status) && method !== 'PUT' && method !== 'POST') {
        const location = header(response.headers, 'location');
        await response.body.dump();
        if (location === undefined)
          throw new RegistryError(`${method} ${url.href}: redirect without a Location`, status);
        url = new URL(location, url);
        hop += 1;
        continue;
      }
      return { status, headers: response.headers, body: response.body };
    }
    throw new RegistryError(`${method} ${path}: more than ${MAX_REDIRECTS} redirects`, null);
  }

  /** A manifest or index: its bytes, media type and digest (checked against the bytes). */
  async getManifest(
    repository: string,
    reference: string,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string } | { status: number; message: string }> {
    const sent = await this.send('GET', `/v2/${repository}/manifests/${reference}`, {
      scopes: [`repository:${repository}:pull`],
      headers: { accept: MANIFEST_ACCEPT },
    });
    const bytes = await bodyBytes(sent);
    if (sent.status !== 200) return { status: sent.status, message: errorText(bytes) };
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && reference !== digest)
      throw new RegistryError(
        `the manifest ${repository}@${reference} has the digest ${digest}`,
        sent.status,
      );
    const mediaType = (header(sent.headers, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
    return { bytes, mediaType, digest };
  }

  /** A blob into `file` (written next to it first, renamed when its sha256 matches `digest`). */
  async fetchBlob(repository: string, digest: string, file: string): Promise<void> {
    const sent = await this.send('GET', `/v2/${repository}/blobs/${digest}`, {
      scopes: [`repository:${repository}:pull`],
    });
    if (sent.status !== 200) {
      const text = errorText(await bodyBytes(sent));
      throw new RegistryError(`GET blob ${repository}@${digest}: ${sent.status} ${text}`, sent.status);
    }
    const partial = `${file}.${process.pid}.part`;
    const hash = createHash('sha256');
    try {
      if (Buffer.isBuffer(sent.body))
        throw new RegistryError(`GET blob ${repository}@${digest}: no body`, sent.status);
      await pipeline(
        sent.body,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            callback(null, chunk);
          },
        }),
        createWriteStream(partial),
      );
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest)
        throw new RegistryError(`the blob ${repository}@${digest} has the digest ${got}`, 200);
      await rename(partial, file);
    } finally {
      await rm(partial, { force: true });
    }
  }

  async blobExists(repository: string, digest: string, scopes: readonly string[]): Promise<boolean> {
    const sent = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`, { scopes });
    await discard(sent);
    if (sent.status === 200) return true;
    if (sent.status === 404) return false;
    throw new RegistryError(`HEAD blob ${repository}@${digest}: ${sent.status}`, sent.status);
  }

  /**
   * Puts a blob in `repository`: nothing when it is there; a cross-repository mount from `from` (same
   * registry) when possible; else a monolithic upload of `open()`. Says which.
   */
  async pushBlob(
    repository: string,
    blob: { digest: string; size: number; open: () => Readable },
    from: string | null,
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    const scopes = pushScopes(repository, from);
    if (await this.blobExists(repository, blob.digest, scopes)) return 'exists';
    const query =
      from === null || from === repository
        ? ''
        : `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`;
    const started = await this.send('POST', `/v2/${repository}/blobs/uploads/${query}`, {
      scopes,
      headers: { 'content-length': '0' },
      body: Buffer.alloc(0),
    });
    const startText = errorText(await bodyBytes(started));
    if (started.status === 201) return 'mounted';
    if (started.status !== 202)
      throw new RegistryError(
        `starting an upload to ${repository}: ${started.status} ${startText}`,
        started.status,
      );
    const location = header(started.headers, 'location');
    if (location === undefined)
      throw new RegistryError(`the upload to ${repository} has no Location`, started.status);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', blob.digest);
    const put = await this.send('PUT', url.href, {
      scopes,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: blob.open(),
    });
    const putText = errorText(await bodyBytes(put));
    if (put.status !== 201)
      throw new RegistryError(
        `uploading ${blob.digest} to ${repository}: ${put.status} ${putText}`,
        put.status,
      );
    return 'uploaded';
  }

  /** Puts a manifest or index under a tag (or its digest); returns the digest the registry reports. */
  async putManifest(
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const sent = await this.send('PUT', `/v2/${repository}/manifests/${reference}`, {
      scopes: pushScopes(repository, null),
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    const text = errorText(await bodyBytes(sent));
    if (sent.status !== 201)
      throw new RegistryError(`PUT manifest ${repository}:${reference}: ${sent.status} ${text}`, sent.status);
    return header(sent.headers, 'docker-content-digest') ?? sha256Digest(bytes);
  }
}

export function pushScopes(repository: string, from: string | null): string[] {
  const scopes = [`repository:${repository}:pull,push`];
  if (from !== null && from !== repository) scopes.push(`repository:${from}:pull`);
  return scopes;
}

/** The registry's error text: `errors[].code: message`, else the body itself (short). */
function errorText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(parsed.errors))
      return parsed.errors.map((error) => `${error.code ?? ''}: ${error.message ?? ''}`).join('; ');
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

/** A RegistryError as the build's error: denied (401/403) or otherwise failed, for a pull or a push. */
export function registryBuildError(error: unknown, what: 'pull' | 'push', name: string): Error {
  if (!(error instanceof RegistryError)) return error instanceof Error ? error : new Error(String(error));
  const denied = error.status === 401 || error.status === 403;
  if (what === 'pull')
    return buildError({
      code: denied ? 'HUBIFY_PULL_DENIED' : 'HUBIFY_IMAGE_NOT_FOUND',
      message: denied
        ? `the registry refused to let hubify read ${name}`
        : `cannot read ${name} from its registry`,
      detail: error.message,
      hint: denied
        ? 'Log in with "docker login REGISTRY" (hubify reads docker\'s config.json), then run again.'
        : 'Check the name and tag, that the registry is reachable, and --insecure for a plain-http registry.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  return buildError({
    code: denied ? 'HUBIFY_PUSH_DENIED' : 'HUBIFY_PUSH_FAILED',
    message: denied ? `the registry refused the push of ${name}` : `the push of ${name} failed`,
    detail: error.message,
    hint: denied
      ? 'Log in with "docker login REGISTRY" with a user allowed to push there, then run again.'
      : 'Check that the registry is reachable (and --insecure for a plain-http registry), then run again.',
    exitCode: EXIT.MISSING,
    cause: error,
  });
}
