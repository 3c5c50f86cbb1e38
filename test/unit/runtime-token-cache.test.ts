// Token lookup cache (proxy/auth/token-cache.ts): valid and invalid answers are remembered for the
// TTL, concurrent lookups of one token share one hub call, failures are not remembered, and the cache
// is bounded with the oldest entries evicted first.
import { describe, expect, it } from 'vitest';

import { TokenCache } from '../../proxy/auth/token-cache.ts';
import type { HubIdentity } from '../../proxy/hub-api.ts';

const ALICE: HubIdentity = {
  kind: 'user',
  name: 'alice',
  admin: false,
  groups: [],
  scopes: ['access:servers!user=alice'],
  sessionId: 's1',
};

/** A lookup that counts its calls and answers from a table (null = unknown token). */
function countingLookup(table: Record<string, HubIdentity | null> = { good: ALICE }) {
  const calls: string[] = [];
  const lookup = (token: string): Promise<HubIdentity | null> => {
    calls.push(token);
    return Promise.resolve(table[token] ?? null);
  };
  return { calls, lookup };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('TokenCache', () => {
  it('keys by SHA-256 of the token, never the token itself', () => {
    const key = TokenCache.key('secret-token');
    expect(key).not.toContain('secret');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(TokenCache.key('secret-token')).toBe(key);
    expect(TokenCache.key('secret-token2')).not.toBe(key);
  });

  it('caches a valid lookup', async () => {
    const cache = new TokenCache(300);
    const { calls, lookup } = countingLookup();
    expect(await cache.get('good', lookup)).toEqual(ALICE);
    expect(await cache.get('good', lookup)).toEqual(ALICE);
    expect(await cache.get('good', lookup)).toBe(await cache.get('good', lookup));
    expect(calls).toEqual(['good']);
    expect(cache.size).toBe(1);
  });

  it('caches an invalid lookup too (the hub is not asked again for a bad token)', async () => {
    const cache = new TokenCache(300);
    const { calls, lookup } = countingLookup();
    expect(await cache.get('bad', lookup)).toBeNull();
    expect(await cache.get('bad', lookup)).toBeNull();
    expect(calls).toEqual(['bad']);
    expect(cache.size).toBe(1);
  });

  it('keeps tokens apart', async () => {
    const bob: HubIdentity = { ...ALICE, name: 'bob' };
    const cache = new TokenCache(300);
    const { calls, lookup } = countingLookup({ a: ALICE, b: bob });
    expect((await cache.get('a', lookup))?.name).toBe('alice');
    expect((await cache.get('b', lookup))?.name).toBe('bob');
    expect((await cache.get('a', lookup))?.name).toBe('alice');
    expect(calls).toEqual(['a', 'b']);
  });

  it('asks again once the TTL has passed (clock injected as `now`)', async () => {
    const cache = new TokenCache(60);
    const { calls, lookup } = countingLookup();
    const t0 = Date.now();
    await cache.get('good', lookup, t0);
    await cache.get('good', lookup, t0 + 30_000);
    expect(calls).toHaveLength(1);
    // Well past the TTL, measured from when the entry was stored.
    await cache.get('good', lookup, t0 + 61_000 + 5_000);
    expect(calls).toHaveLength(2);
  });

  it('measures the TTL on the injected clock, not on the wall clock', async () => {
    // The `now` seam is honoured when reading an entry; it must also be the clock the entry's
    // expiry is computed from, or an injected clock earlier than the wall clock never expires anything.
    const cache = new TokenCache(60);
    const { calls, lookup } = countingLookup();
    await cache.get('good', lookup, 1_000);
    await cache.get('good', lookup, 1_000 + 59_000);
    expect(calls).toHaveLength(1);
    await cache.get('good', lookup, 1_000 + 61_000);
    expect(calls).toHaveLength(2);
    // And the new answer is cached for another TTL from then.
    await cache.get('good', lookup, 1_000 + 61_000 + 30_000);
    expect(calls).toHaveLength(2);
  });

  it('a revoked token stops working when its entry expires', async () => {
    const table: Record<string, HubIdentity | null> = { t: ALICE };
    const cache = new TokenCache(60);
    const { lookup } = countingLookup(table);
    const t0 = Date.now();
    expect(await cache.get('t', lookup, t0)).toEqual(ALICE);
    table.t = null; // revoked on the hub
    expect(await cache.get('t', lookup, t0 + 10_000)).toEqual(ALICE);
    expect(await cache.get('t', lookup, t0 + 70_000)).toBeNull();
  });

  it('forget drops an entry at once', async () => {
    const cache = new TokenCache(300);
    const { calls, lookup } = countingLookup();
    await cache.get('good', lookup);
    cache.forget('good');
    expect(cache.size).toBe(0);
    await cache.get('good', lookup);
    expect(calls).toHaveLength(2);
    cache.forget('never-seen');
  });

  it('concurrent lookups of one token share a single hub call', async () => {
    const cache = new TokenCache(300);
    const gate = deferred<HubIdentity | null>();
    let calls = 0;
    const lookup = () => {
      calls++;
      return gate.promise;
    };
    const pending = Array.from({ length: 20 }, () => cache.get('good', lookup));
    expect(calls).toBe(1);
    gate.resolve(ALICE);
    const results = await Promise.all(pending);
    expect(results.every((r) => r === ALICE)).toBe(true);
    expect(calls).toBe(1);
    // And later callers are served from the cache.
    expect(await cache.get('good', lookup)).toBe(ALICE);
    expect(calls).toBe(1);
  });

  it('concurrent lookups of different tokens run independently', async () => {
    const cache = new TokenCache(300);
    const gates = new Map<string, ReturnType<typeof deferred<HubIdentity | null>>>();
    const lookup = (token: string) => {
      const gate = deferred<HubIdentity | null>();
      gates.set(token, gate);
      return gate.promise;
    };
    const a = cache.get('a', lookup);
    const b = cache.get('b', lookup);
    expect([...gates.keys()]).toEqual(['a', 'b']);
    gates.get('b')?.resolve(null);
    gates.get('a')?.resolve(ALICE);
    expect(await a).toBe(ALICE);
    expect(await b).toBeNull();
  });

  it('does not cache a failed lookup (hub unreachable is not "invalid token"), and shares the failure', async () => {
    const cache = new TokenCache(300);
    const gate = deferred<HubIdentity | null>();
    let calls = 0;
    const failing = () => {
      calls++;
      return gate.promise;
    };
    const first = cache.get('good', failing);
    const second = cache.get('good', failing);
    gate.reject(new Error('hub down'));
    await expect(first).rejects.toThrow('hub down');
    await expect(second).rejects.toThrow('hub down');
    expect(calls).toBe(1);
    expect(cache.size).toBe(0);
    const { calls: later, lookup } = countingLookup();
    expect(await cache.get('good', lookup)).toEqual(ALICE);
    expect(later).toEqual(['good']);
  });

  it('while the hub cannot be asked, keeps a confirmed identity for the stale window, never an invalid one', async () => {
    const cache = new TokenCache(1, 100, 10);
    const { lookup } = countingLookup();
    await cache.get('good', lookup, 0);
    await cache.get('bad', () => Promise.resolve(null), 0);
    const down = () => Promise.reject(new Error('hub down'));
    // Expired at 1 s; 9 s later the hub is down: the confirmed identity still serves.
    expect(await cache.get('good', down, 10_000)).toEqual(ALICE);
    await expect(cache.get('bad', down, 10_000)).rejects.toThrow('hub down');
    // Past the stale window (expiry + 10 s) the failure is passed on.
    await expect(cache.get('good', down, 11_001)).rejects.toThrow('hub down');
    // A token the hub now says is invalid is invalid at once, stale window or not.
    expect(await cache.get('good', () => Promise.resolve(null), 5_000)).toBeNull();
  });

  it('is bounded: the oldest entries go first', async () => {
    const cache = new TokenCache(300, 3);
    const { calls, lookup } = countingLookup();
    for (const token of ['t1', 't2', 't3', 't4', 't5']) await cache.get(token, lookup);
    expect(cache.size).toBe(3);
    calls.length = 0;
    // t3..t5 are still cached, t1 and t2 were evicted.
    for (const token of ['t3', 't4', 't5']) await cache.get(token, lookup);
    expect(calls).toEqual([]);
    await cache.get('t1', lookup);
    expect(calls).toEqual(['t1']);
    expect(cache.size).toBe(3);
    // Adding t1 evicted t3, the oldest.
    await cache.get('t3', lookup);
    expect(calls).toEqual(['t1', 't3']);
  });

  it('stays bounded under many distinct tokens (default bound)', async () => {
    const cache = new TokenCache(300);
    const { lookup } = countingLookup();
    for (let i = 0; i < 2500; i++) await cache.get(`token-${i}`, lookup);
    expect(cache.size).toBe(2000);
  });
});
