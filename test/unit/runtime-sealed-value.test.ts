// Sealed cookie values (proxy/auth/sealed-value.ts): AES-256-GCM with the cookie name as authenticated
// data and an issue time inside. Tampering, a foreign purpose, age, another key and garbage all fail.
import { randomBytes } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { Sealer } from '../../proxy/auth/sealed-value.ts';

const NOW = 1_800_000_000; // seconds
const PURPOSE = 'jupyterhub-user-alice';

describe('Sealer', () => {
  it('round-trips values, including empty, unicode, separators and long ones', () => {
    const sealer = new Sealer();
    for (const value of ['hub-token-abc', '', '|', 'a|b|c', '1700000000|x', 'ünïcødé 🍪', 'x'.repeat(4000)]) {
      const sealed = sealer.seal(PURPOSE, value, NOW);
      expect(sealer.unseal(PURPOSE, sealed, 600, NOW), JSON.stringify(value)).toBe(value);
    }
  });

  it('produces cookie-safe text that does not reveal the value', () => {
    const sealer = new Sealer();
    const sealed = sealer.seal(PURPOSE, 'secret-hub-token', NOW);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('secret');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('secret-hub-token');
  });

  it('uses a fresh IV each time: the same value seals differently', () => {
    const sealer = new Sealer();
    const a = sealer.seal(PURPOSE, 'v', NOW);
    const b = sealer.seal(PURPOSE, 'v', NOW);
    expect(a).not.toBe(b);
    expect(sealer.unseal(PURPOSE, a, 60, NOW)).toBe('v');
    expect(sealer.unseal(PURPOSE, b, 60, NOW)).toBe('v');
  });

  it('defaults the issue time to now', () => {
    const sealer = new Sealer();
    const sealed = sealer.seal(PURPOSE, 'v');
    expect(sealer.unseal(PURPOSE, sealed, 5)).toBe('v');
  });

  it('refuses any flipped byte (IV, ciphertext or tag)', () => {
    const sealer = new Sealer();
    const sealed = sealer.seal(PURPOSE, 'token-value', NOW);
    const raw = Buffer.from(sealed, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const copy = Buffer.from(raw);
        copy[i] = (copy[i] ?? 0) ^ mask;
        expect(
          sealer.unseal(PURPOSE, copy.toString('base64url'), 600, NOW),
          `byte ${i} mask ${mask}`,
        ).toBeNull();
      }
    }
  });

  it('refuses truncated and extended values', () => {
    const sealer = new Sealer();
    const raw = Buffer.from(sealer.seal(PURPOSE, 'token-value', NOW), 'base64url');
    for (let length = 0; length < raw.length; length++) {
      expect(sealer.unseal(PURPOSE, raw.subarray(0, length).toString('base64url'), 600, NOW)).toBeNull();
    }
    expect(
      sealer.unseal(PURPOSE, Buffer.concat([raw, Buffer.from([0])]).toString('base64url'), 600, NOW),
    ).toBeNull();
  });

  it('refuses a value sealed for another purpose (a cookie from another server or another cookie)', () => {
    const sealer = new Sealer();
    const sealed = sealer.seal('jupyterhub-user-alice-gpu', 'token', NOW);
    expect(sealer.unseal('jupyterhub-user-alice', sealed, 600, NOW)).toBeNull();
    expect(sealer.unseal('jupyterhub-user-alice-gpu-oauth-state', sealed, 600, NOW)).toBeNull();
    expect(sealer.unseal('', sealed, 600, NOW)).toBeNull();
    expect(sealer.unseal('jupyterhub-user-alice-gpu', sealed, 600, NOW)).toBe('token');
  });

  it('expires after maxAge, and refuses values issued more than a minute in the future', () => {
    const sealer = new Sealer();
    const sealed = sealer.seal(PURPOSE, 'v', NOW);
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW + 599)).toBe('v');
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW + 600)).toBe('v');
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW + 600.5)).toBeNull();
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW + 86_400)).toBeNull();
    expect(sealer.unseal(PURPOSE, sealed, 0, NOW + 1)).toBeNull();
    // Small clock skew is tolerated, a value "from the future" is not.
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW - 60)).toBe('v');
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW - 61)).toBeNull();
  });

  it('refuses values sealed with another key (after a restart)', () => {
    const before = new Sealer();
    const after = new Sealer();
    const sealed = before.seal(PURPOSE, 'token', NOW);
    expect(after.unseal(PURPOSE, sealed, 600, NOW)).toBeNull();
    const key = randomBytes(32);
    expect(
      new Sealer(key).unseal(PURPOSE, new Sealer(Buffer.from(key)).seal(PURPOSE, 'same key', NOW), 600, NOW),
    ).toBe('same key');
  });

  it('returns null for garbage, never throws', () => {
    const sealer = new Sealer();
    for (const garbage of [
      '',
      'a',
      '!!!!',
      '%%%',
      'null',
      '....',
      ' '.repeat(100),
      'A'.repeat(40),
      '\u0000'.repeat(50),
      '🍪'.repeat(30),
    ]) {
      expect(sealer.unseal(PURPOSE, garbage, 600, NOW), JSON.stringify(garbage)).toBeNull();
    }
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ maxLength: 20 }),
        (text, purpose) => {
          expect(sealer.unseal(purpose, text, 600, NOW)).toBeNull();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a well-formed seal whose plaintext has no issue time', () => {
    // Forge with the same key: a payload without "time|" must not be accepted.
    const key = randomBytes(32);
    const sealer = new Sealer(key);
    const forged = new Sealer(key);
    // "v" sealed with issuedAt NaN produces "NaN|v".
    const nan = forged.seal(PURPOSE, 'v', Number.NaN);
    expect(sealer.unseal(PURPOSE, nan, 600, NOW)).toBeNull();
  });

  it('round-trips arbitrary values and purposes (property)', () => {
    const sealer = new Sealer();
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 100 }),
        fc.string({ maxLength: 30 }),
        (value, purpose) => {
          expect(sealer.unseal(purpose, sealer.seal(purpose, value, NOW), 10, NOW)).toBe(value);
          expect(sealer.unseal(`${purpose}x`, sealer.seal(purpose, value, NOW), 10, NOW)).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Sealer, values it has already opened', () => {
  it('still checks the age and the purpose of a value it has seen', () => {
    const sealer = new Sealer();
    const sealed = sealer.seal(PURPOSE, 'token', NOW);
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW)).toBe('token');
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW + 601)).toBeNull();
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW - 61)).toBeNull();
    expect(sealer.unseal('jupyterhub-user-bob', sealed, 600, NOW)).toBeNull();
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW + 1)).toBe('token');
  });

  it('refuses a tampered copy of a value it has seen', () => {
    const sealer = new Sealer();
    const sealed = sealer.seal(PURPOSE, 'token', NOW);
    expect(sealer.unseal(PURPOSE, sealed, 600, NOW)).toBe('token');
    const raw = Buffer.from(sealed, 'base64url');
    raw[14] = (raw[14] as number) ^ 1;
    expect(sealer.unseal(PURPOSE, raw.toString('base64url'), 600, NOW)).toBeNull();
  });

  it('stays correct past the size of its memory', () => {
    const sealer = new Sealer();
    const sealed = Array.from({ length: 600 }, (_, i) => sealer.seal(PURPOSE, `token-${i}`, NOW));
    for (const [i, value] of sealed.entries())
      expect(sealer.unseal(PURPOSE, value, 600, NOW)).toBe(`token-${i}`);
    for (const [i, value] of sealed.entries())
      expect(sealer.unseal(PURPOSE, value, 600, NOW)).toBe(`token-${i}`);
  });
});
