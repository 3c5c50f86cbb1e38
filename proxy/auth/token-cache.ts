/**
 * Remembers recent token lookups (valid and invalid) for a short time, so the hub is asked at most once
 * per token per TTL and a revoked token stops working when its entry expires. Keys are SHA-256 of the
 * token, never the token. Bounded: the oldest entries go first.
 *
 * When the hub cannot be asked (restarting, overloaded), a token it confirmed valid less than
 * `staleSeconds` after its entry expired keeps working: a hub restart does not log everyone out. A
 * token that was invalid stays invalid, and a failure with nothing to fall back on is passed on.
 */
import { createHash } from 'node:crypto';
import type { HubIdentity } from '../hub-api.ts';

/** How long after its expiry a confirmed identity still serves while the hub cannot be reached. */
export const DEFAULT_STALE_SECONDS = 300;

interface Entry {
  identity: HubIdentity | null;
  expiresAt: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<HubIdentity | null>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly staleMs: number;

  constructor(ttlSeconds: number, maxEntries = 2000, staleSeconds = DEFAULT_STALE_SECONDS) {
    this.ttlMs = ttlSeconds * 1000;
    this.maxEntries = maxEntries;
    this.staleMs = staleSeconds * 1000;
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
      .then(
        (identity) => {
          this.set(key, identity, now);
          return identity;
        },
        (error: unknown) => {
          const stale = cached?.identity ?? null;
          if (stale !== null && cached !== undefined && now - cached.expiresAt < this.staleMs) return stale;
          throw error;
        },
      )
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
