// Ephemeral loopback ports for test servers. The port is free when returned; another process could
// still take it before the caller binds, which on a test machine is rare enough to accept.
import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

async function listenOnEphemeralPort(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer();
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    server.close();
    throw new Error(`could not read the port of a listening socket on ${host}`);
  }
  return { server, port: address.port };
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** One free TCP port on `host` (default 127.0.0.1). */
export async function getFreePort(host: string = LOOPBACK): Promise<number> {
  const { server, port } = await listenOnEphemeralPort(host);
  await close(server);
  return port;
}

/** `count` distinct free TCP ports on `host`: all are held open until every one is known. */
export async function getFreePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  const held: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const { server, port } = await listenOnEphemeralPort(host);
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}
