/**
 * Remembers recent token lookups (valid and invalid) for a short time, so the hub is asked at most once
 * per token per TTL and a revoked token stops working when its entry expires. Keys are SHA-256 of the
 * token, never the token. Bounded: the oldest entries go first.
 */
import { createHash } from 'node:crypto';
import type { HubIdentity } from '../hub-api.ts';

interface Entry {
  identity: HubIdentity | null;
  expiresAt: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<HubIdentity | null>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(ttlSeconds: number, maxEntries = 2000) {
    this.ttlMs = ttlSeconds * 1000;
    this.maxEntries = maxEntries;
  }

  static key(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The cached identity, or the result of `lookup` (shared by concurrent callers). */
  async get(
    token: string,
    lookup: (token: string) => Promise<HubIdentity | null>,
    now = Date.now(),
  ): Promise<HubIdentity | null> {
    const key = TokenCache.key(token);
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.expiresAt > now) return cached.identity;
    const pending = this.inflight.get(key);
    if (pending !== undefined) return pending;
    const promise = lookup(token)
      .then((identity) => {
        this.set(key, identity, now);
        return identity;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
  }

  forget(token: string): void {
    this.entries.delete(TokenCache.key(token));
  }

  get size(): number {
    return this.entries.size;
  }

  private set(key: string, identity: HubIdentity | null, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { identity, expiresAt: now + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}
