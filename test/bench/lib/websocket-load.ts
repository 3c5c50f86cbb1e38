/** WebSocket round trips through a contender, measured by ../ws-load.mjs in its own process. */
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/hub.ts';
import { runToEnd } from './processes.ts';

const WS_LOAD = join(REPO_ROOT, 'test', 'bench', 'ws-load.mjs');

export interface WebSocketPoint {
  msgsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  messages: number;
}

export async function runWebSocketLoad(options: {
  node: string;
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
}): Promise<WebSocketPoint> {
  const args = [
    WS_LOAD,
    '--url',
    options.url,
    '--connections',
    String(options.connections),
    '--seconds',
    String(options.seconds),
  ];
  for (const [name, value] of Object.entries(options.headers)) args.push('--header', `${name}: ${value}`);
  const result = await runToEnd(options.node, args, { timeoutMs: (options.seconds + 30) * 1000 });
  if (result.code !== 0) throw new Error(`ws-load exited ${result.code}: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout.trim()) as WebSocketPoint;
  return {
    msgsPerSecond: parsed.msgsPerSecond,
    p50Ms: parsed.p50Ms,
    p99Ms: parsed.p99Ms,
    messages: parsed.messages,
  };
}
