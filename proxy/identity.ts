/**
 * The verified identity an app receives: plain headers for simple apps, and a short-lived signed token
 * (JWT, EdDSA/Ed25519) that an app can verify with the public key the runtime puts in its environment
 * (`HUBIFY_IDENTITY_PUBLIC_KEY`, PEM; also `HUBIFY_IDENTITY_JWKS`). Headers of the same names sent by a
 * client are always removed first (see forward/request-headers.ts).
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { HubIdentity } from './hub-api.ts';

export const IDENTITY_HEADERS = {
  user: 'x-hubify-user',
  groups: 'x-hubify-groups',
  scopes: 'x-hubify-scopes',
  admin: 'x-hubify-admin',
  kind: 'x-hubify-kind',
  owner: 'x-hubify-server-owner',
  token: 'x-hubify-identity',
  forwardedUser: 'x-forwarded-user',
  forwardedGroups: 'x-forwarded-groups',
} as const;

export const IDENTITY_TOKEN_LIFETIME_SECONDS = 60;
const CACHE_SECONDS = IDENTITY_TOKEN_LIFETIME_SECONDS / 2;

export class IdentitySigner {
  private readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  readonly jwks: string;
  private readonly cache = new Map<string, { token: string; renewAt: number }>();

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const jwk = publicKey.export({ format: 'jwk' });
    this.jwks = JSON.stringify({ keys: [{ ...jwk, alg: 'EdDSA', use: 'sig', kid: 'hubify' }] });
  }

  /** A token for `identity` addressed to `app`, reused for half its lifetime. */
  async token(identity: HubIdentity, owner: string, app: string, now = Date.now()): Promise<string> {
    // Every claim is part of the key: a changed claim (admin, groups) must never be served from cache.
    const key = JSON.stringify([
      app,
      owner,
      identity.kind,
      identity.name,
      identity.admin,
      identity.groups,
      identity.scopes,
    ]);
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.renewAt > now) return cached.token;
    const issuedAt = Math.floor(now / 1000);
    const token = await new SignJWT({
      name: identity.name,
      kind: identity.kind,
      admin: identity.admin,
      groups: identity.groups,
      scopes: identity.scopes ?? [],
      owner,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'hubify', typ: 'JWT' })
      .setIssuer('hubify')
      .setSubject(identity.name)
      .setAudience(app)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + IDENTITY_TOKEN_LIFETIME_SECONDS)
      .sign(this.privateKey);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(key, { token, renewAt: now + CACHE_SECONDS * 1000 });
    return token;
  }
}

/** Header-safe text: identity values are percent-encoded where they are not plain ASCII. */
export function headerSafe(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) && !text.includes('%') ? text : encodeURIComponent(text);
}

export function identityHeaderValues(identity: HubIdentity, owner: string): Record<string, string> {
  const groups = identity.groups.map((g) => encodeURIComponent(g)).join(',');
  return {
    [IDENTITY_HEADERS.user]: headerSafe(identity.name),
    [IDENTITY_HEADERS.groups]: groups,
    [IDENTITY_HEADERS.scopes]: (identity.scopes ?? []).join(' '),
    [IDENTITY_HEADERS.admin]: identity.admin ? 'true' : 'false',
    [IDENTITY_HEADERS.kind]: identity.kind,
    [IDENTITY_HEADERS.owner]: headerSafe(owner),
    [IDENTITY_HEADERS.forwardedUser]: headerSafe(identity.name),
    [IDENTITY_HEADERS.forwardedGroups]: groups,
  };
}
