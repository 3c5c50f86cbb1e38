/**
 * One undici connection pool per app address, so requests to an app reuse keep-alive connections.
 * A restarted app may come back on another port: pools for addresses no longer in use are closed.
 */
import { Pool } from './undici-core.ts';

export type UpstreamTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function targetKey(target: UpstreamTarget): string {
  return target.kind === 'tcp' ? `tcp:${target.host}:${target.port}` : `unix:${target.path}`;
}

/** Origins an app may use to name itself in absolute redirects. */
export function targetOrigins(target: UpstreamTarget): string[] {
  if (target.kind === 'unix') return ['http://localhost'];
  return [`http://${target.host}:${target.port}`, `http://localhost:${target.port}`];
}

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  get(target: UpstreamTarget): Pool {
    const key = targetKey(target);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool =
        target.kind === 'tcp'
          ? new Pool(`http://${target.host}:${target.port}`, {
              connections: 128,
              pipelining: 1,
              keepAliveTimeout: 30_000,
            })
          : new Pool('http://localhost', {
              socketPath: target.path,
              connections: 128,
              pipelining: 1,
              keepAliveTimeout: 30_000,
            });
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** Close pools whose address is not `keep` (called when an app moved). */
  retire(keepKeys: Set<string>): void {
    for (const [key, pool] of this.pools) {
      if (keepKeys.has(key)) continue;
      this.pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.destroy()));
  }
}
