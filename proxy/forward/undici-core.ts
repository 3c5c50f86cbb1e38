/**
 * The parts of undici the runtime uses: connection pools and agents with the `request`/`stream` API,
 * loaded from undici's own modules instead of its index, which would also load and evaluate fetch,
 * WebSocket, the HTTP cache and the mocks at every start (about 230 KiB of the 890 KiB bundle).
 * The same classes and methods, so behaviour and types are undici's.
 */
import type * as Undici from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import PoolClass from 'undici/lib/dispatcher/pool.js';
import api from 'undici/lib/api/index.js';

// What undici's index does: give every dispatcher request(), stream(), pipeline(), upgrade(), connect().
Object.assign((DispatcherClass as { prototype: object }).prototype, api);

export const Pool = PoolClass as typeof Undici.Pool;
export type Pool = Undici.Pool;
export const Agent = AgentClass as typeof Undici.Agent;
export type Agent = Undici.Agent;

export type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & {
  dispatcher: Undici.Dispatcher;
};

/** undici's `request(url, options)` for a given dispatcher: the URL gives origin and path. */
export function request(url: string, options: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  const target = new URL(url);
  const { dispatcher, ...rest } = options;
  return dispatcher.request({ ...rest, origin: target.origin, path: `${target.pathname}${target.search}` });
}
