/**
 * WebSocket (and any other `Upgrade`) forwarding: after authentication the client's upgrade request is
 * replayed to the app over a fresh socket, and from then on bytes are piped both ways untouched. The
 * app answers the handshake itself, so subprotocols, extensions, binary and large frames just work;
 * activity is counted from bytes moved, not by parsing frames.
 */
import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { UpstreamTarget } from './upstream-pools.ts';

export interface UpgradeForwardOptions {
  target: UpstreamTarget;
  path: string;
  headers: Record<string, string | string[]>;
  /** Called (at most once per chunk) whenever bytes move in either direction. */
  onTraffic: () => void;
  /** Called when the tunnel closes. */
  onClose?: () => void;
  connectTimeoutMs: number;
}

function headerBlock(method: string, path: string, headers: Record<string, string | string[]>): string {
  let text = `${method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (/[\r\n]/.test(item)) continue; // never let a configured value split the header block
      text += `${name}: ${item}\r\n`;
    }
  }
  return `${text}\r\n`;
}

export function writeRawResponse(
  socket: Duplex,
  status: number,
  reason: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) return;
  let head = `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  socket.end(`${head}\r\n${body}`);
}

export function forwardUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  options: UpgradeForwardOptions,
): void {
  const upstream: Socket =
    options.target.kind === 'tcp'
      ? connect({ host: options.target.host, port: options.target.port })
      : connect({ path: options.target.path });
  let connected = false;
  const timer = setTimeout(() => {
    if (!connected) upstream.destroy(new Error('connect timeout'));
  }, options.connectTimeoutMs);

  const close = (): void => {
    clearTimeout(timer);
    client.destroy();
    upstream.destroy();
  };
  let closed = false;
  const onceClosed = (): void => {
    if (closed) return;
    closed = true;
    options.onClose?.();
  };
  upstream.once('close', onceClosed);
  client.once('close', onceClosed);

  upstream.once('connect', () => {
    connected = true;
    clearTimeout(timer);
    upstream.setNoDelay(true);
    (client as Socket).setNoDelay?.(true);
    upstream.write(headerBlock(req.method ?? 'GET', options.path, options.headers));
    if (head.length > 0) upstream.write(head);
    upstream.on('data', options.onTraffic);
    client.on('data', options.onTraffic);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => {
    if (connected) return close();
    clearTimeout(timer);
    upstream.destroy();
    writeRawResponse(client, 502, 'Bad Gateway', 'hubify: the app did not accept the connection.\n');
  });
  client.on('error', close);
  upstream.on('end', () => client.end());
  client.on('end', () => upstream.end());
}
