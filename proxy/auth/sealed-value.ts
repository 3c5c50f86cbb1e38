/**
 * Seals small values (an access token, a state id) for cookies: AES-256-GCM with a key that is random
 * per process, so a restart forces a transparent re-login exactly like `jupyterhub-singleuser`, and
 * the hub token inside a session cookie is neither readable nor forgeable by the browser. The
 * "purpose" (cookie name) is authenticated data: a value sealed for one cookie fails in another.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/** Recently unsealed values, so a browser's every request does not decrypt its cookie again. */
const RECENT_LIMIT = 256;

export class Sealer {
  // A KeyObject, not a Buffer: Node checks and converts a Buffer key on every cipher it makes.
  private readonly key: KeyObject;
  /** Sealed text -> what it holds, for intact seals only (the age is still checked on every use). */
  private readonly recent = new Map<string, { purpose: string; issuedAt: number; value: string }>();

  constructor(key: Buffer = randomBytes(32)) {
    this.key = createSecretKey(key);
  }

  seal(purpose: string, value: string, issuedAtSeconds = Math.floor(Date.now() / 1000)): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(purpose));
    const plain = Buffer.from(`${issuedAtSeconds}|${value}`);
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return sealed.toString('base64url');
  }

  /** The value if the seal is intact, made for `purpose`, and younger than `maxAgeSeconds`; else null. */
  unseal(
    purpose: string,
    sealed: string,
    maxAgeSeconds: number,
    nowSeconds = Date.now() / 1000,
  ): string | null {
    const known = this.recent.get(sealed);
    if (known !== undefined && known.purpose === purpose)
      return this.fresh(known.issuedAt, maxAgeSeconds, nowSeconds) ? known.value : null;
    let raw: Buffer;
    try {
      raw = Buffer.from(sealed, 'base64url');
    } catch {
      return null;
    }
    if (raw.length < 12 + 16 + 2) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([
        decipher.update(raw.subarray(12, raw.length - 16)),
        decipher.final(),
      ]).toString();
      const bar = plain.indexOf('|');
      const issuedAt = Number(plain.slice(0, bar));
      if (bar < 1 || !Number.isFinite(issuedAt)) return null;
      const value = plain.slice(bar + 1);
      if (this.recent.size >= RECENT_LIMIT) this.recent.clear();
      this.recent.set(sealed, { purpose, issuedAt, value });
      return this.fresh(issuedAt, maxAgeSeconds, nowSeconds) ? value : null;
    } catch {
      return null;
    }
  }

  private fresh(issuedAt: number, maxAgeSeconds: number, nowSeconds: number): boolean {
    return nowSeconds - issuedAt <= maxAgeSeconds && issuedAt - nowSeconds <= 60;
  }
}
