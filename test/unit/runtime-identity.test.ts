// Identity given to apps (proxy/identity.ts): the signed token verifies with jose against the public
// key (PEM and JWKS), carries iss/sub/aud/exp and the visitor's groups/scopes, is reused for half its
// lifetime per app; the plain headers are header-safe for any name.
import fc from 'fast-check';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  importSPKI,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { describe, expect, it } from 'vitest';

import type { HubIdentity } from '../../proxy/hub-api.ts';
import {
  IDENTITY_HEADERS,
  IDENTITY_TOKEN_LIFETIME_SECONDS,
  IdentitySigner,
  headerSafe,
  identityHeaderValues,
} from '../../proxy/identity.ts';

const BOB: HubIdentity = {
  kind: 'user',
  name: 'bob',
  admin: false,
  groups: ['staff', 'gpu users'],
  scopes: ['access:servers!server=alice/', 'custom:rstudio:admin'],
  sessionId: 's',
};

const signer = new IdentitySigner();

describe('IdentitySigner tokens', () => {
  it('verify with jose against the PEM public key, with iss, sub, aud, iat and a 60 s exp', async () => {
    const token = await signer.token(BOB, 'alice', 'rstudio');
    const key = await importSPKI(signer.publicKeyPem, 'EdDSA');
    const { payload, protectedHeader } = await jwtVerify(token, key, {
      issuer: 'hubify',
      audience: 'rstudio',
    });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: 'hubify', typ: 'JWT' });
    expect(payload.iss).toBe('hubify');
    expect(payload.sub).toBe('bob');
    expect(payload.aud).toBe('rstudio');
    expect(IDENTITY_TOKEN_LIFETIME_SECONDS).toBe(60);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
    expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('verify against the JWKS the runtime publishes', async () => {
    const jwks = JSON.parse(signer.jwks) as Parameters<typeof createLocalJWKSet>[0];
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      use: 'sig',
      kid: 'hubify',
    });
    expect(jwks.keys[0]).not.toHaveProperty('d'); // never the private part
    const token = await signer.token(BOB, 'alice', 'code');
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: 'hubify',
      audience: 'code',
    });
    expect(payload.sub).toBe('bob');
  });

  it('carry the visitor’s name, kind, admin flag, groups, scopes and the owner', async () => {
    const payload: JWTPayload = decodeJwt(await signer.token(BOB, 'alice', 'rstudio'));
    expect(payload).toMatchObject({
      name: 'bob',
      kind: 'user',
      admin: false,
      groups: ['staff', 'gpu users'],
      scopes: ['access:servers!server=alice/', 'custom:rstudio:admin'],
      owner: 'alice',
    });
    const hub1 = decodeJwt(
      await signer.token({ ...BOB, name: 'carol', scopes: null, admin: true }, 'alice', 'rstudio'),
    );
    expect(hub1).toMatchObject({ name: 'carol', scopes: [], admin: true });
    const service = decodeJwt(
      await signer.token({ ...BOB, kind: 'service', name: 'grader' }, 'alice', 'rstudio'),
    );
    expect(service).toMatchObject({ kind: 'service', sub: 'grader' });
  });

  it('fail verification for another app, another key, or after expiry', async () => {
    const token = await signer.token(BOB, 'alice', 'rstudio');
    const key = await importSPKI(signer.publicKeyPem, 'EdDSA');
    await expect(jwtVerify(token, key, { audience: 'code' })).rejects.toBeInstanceOf(
      joseErrors.JWTClaimValidationFailed,
    );
    const otherKey = await importSPKI(new IdentitySigner().publicKeyPem, 'EdDSA');
    await expect(jwtVerify(token, otherKey)).rejects.toBeInstanceOf(
      joseErrors.JWSSignatureVerificationFailed,
    );
    const payload = decodeJwt(token);
    await expect(
      jwtVerify(token, key, { currentDate: new Date(((payload.exp ?? 0) + 1) * 1000) }),
    ).rejects.toBeInstanceOf(joseErrors.JWTExpired);
    // A tampered payload does not verify.
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...payload, name: 'root', sub: 'root', admin: true }),
    ).toString('base64url');
    await expect(jwtVerify(`${header}.${forged}.${signature}`, key)).rejects.toBeInstanceOf(
      joseErrors.JWSSignatureVerificationFailed,
    );
  });

  it('is reused within 30 s for the same app and visitor, renewed after', async () => {
    const local = new IdentitySigner();
    const t0 = Date.now();
    const first = await local.token(BOB, 'alice', 'rstudio', t0);
    expect(await local.token(BOB, 'alice', 'rstudio', t0 + 1_000)).toBe(first);
    expect(await local.token(BOB, 'alice', 'rstudio', t0 + 29_999)).toBe(first);
    const renewed = await local.token(BOB, 'alice', 'rstudio', t0 + 30_000);
    expect(renewed).not.toBe(first);
    expect((decodeJwt(renewed).iat ?? 0) - (decodeJwt(first).iat ?? 0)).toBeGreaterThanOrEqual(29);
    // The renewed token is reused in turn, and it always has at least 30 s left when handed out.
    expect(await local.token(BOB, 'alice', 'rstudio', t0 + 45_000)).toBe(renewed);
  });

  it('gives a different token to a different app, visitor, group set or scope set', async () => {
    const local = new IdentitySigner();
    const now = Date.now();
    const base = await local.token(BOB, 'alice', 'rstudio', now);
    const others = [
      await local.token(BOB, 'alice', 'code', now),
      await local.token({ ...BOB, name: 'carol' }, 'alice', 'rstudio', now),
      await local.token({ ...BOB, groups: ['staff'] }, 'alice', 'rstudio', now),
      await local.token({ ...BOB, scopes: ['access:servers'] }, 'alice', 'rstudio', now),
      await local.token({ ...BOB, kind: 'service' }, 'alice', 'rstudio', now),
    ];
    for (const other of others) expect(other).not.toBe(base);
    expect(decodeJwt(others[0] ?? '').aud).toBe('code');
    expect(decodeProtectedHeader(others[0] ?? '').kid).toBe('hubify');
  });

  it('never hands out a cached token whose claims differ from the identity asked for', async () => {
    // The token carries `admin`; when the hub revokes (or grants) admin, the next lookup returns the
    // new flag and the app must not keep receiving the old claim for up to 30 s.
    const local = new IdentitySigner();
    const now = Date.now();
    await local.token({ ...BOB, admin: true }, 'alice', 'rstudio', now);
    const demoted = decodeJwt(await local.token({ ...BOB, admin: false }, 'alice', 'rstudio', now + 1_000));
    expect(demoted.admin).toBe(false);
  });
});

describe('identityHeaderValues', () => {
  it('gives plain names as they are', () => {
    expect(identityHeaderValues(BOB, 'alice')).toEqual({
      [IDENTITY_HEADERS.user]: 'bob',
      [IDENTITY_HEADERS.groups]: 'staff,gpu%20users',
      [IDENTITY_HEADERS.scopes]: 'access:servers!server=alice/ custom:rstudio:admin',
      [IDENTITY_HEADERS.admin]: 'false',
      [IDENTITY_HEADERS.kind]: 'user',
      [IDENTITY_HEADERS.owner]: 'alice',
      [IDENTITY_HEADERS.forwardedUser]: 'bob',
      [IDENTITY_HEADERS.forwardedGroups]: 'staff,gpu%20users',
    });
  });

  it('percent-encodes non-ASCII and control characters, and % itself', () => {
    const values = identityHeaderValues(
      { ...BOB, name: 'zoë', groups: ['é,quipe', 'a%b'], scopes: null, admin: true, kind: 'service' },
      'jürgen',
    );
    expect(values['x-hubify-user']).toBe('zo%C3%AB');
    expect(values['x-forwarded-user']).toBe('zo%C3%AB');
    expect(values['x-hubify-server-owner']).toBe('j%C3%BCrgen');
    expect(values['x-hubify-groups']).toBe('%C3%A9%2Cquipe,a%25b');
    expect(values['x-hubify-scopes']).toBe('');
    expect(values['x-hubify-admin']).toBe('true');
    expect(values['x-hubify-kind']).toBe('service');
    expect(headerSafe('a\r\nX-Injected: 1')).toBe('a%0D%0AX-Injected%3A%201');
    expect(headerSafe('100%')).toBe('100%25');
    expect(headerSafe('tab\there')).toBe('tab%09here');
    expect(headerSafe('plain name@example.org')).toBe('plain name@example.org');
  });

  it('every value is a valid header value and decodes back to the name (property)', () => {
    const valid = /^[\x20-\x7e]*$/;
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 8 }), { maxLength: 4 }),
        (name, groups) => {
          const values = identityHeaderValues({ ...BOB, name, groups }, name);
          for (const value of Object.values(values)) expect(value).toMatch(valid);
          expect(decodeURIComponent(values['x-hubify-user'] ?? '')).toBe(name);
          const decodedGroups = (values['x-hubify-groups'] ?? '').split(',').map(decodeURIComponent);
          expect(decodedGroups).toEqual(groups.length === 0 ? [''] : groups);
        },
      ),
      { numRuns: 500 },
    );
  });
});
