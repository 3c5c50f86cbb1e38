import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that is free right now. Another process can take it before the app binds;
 * asking right before each start keeps that window to the app's own start-up time.
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string')
    throw new Error('the kernel did not report a free port');
  return address.port;
}
