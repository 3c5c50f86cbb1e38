// readSmallForm: the runtime's own form reader (app restart). Small forms are parsed; an oversized one
// is read and dropped before the 413, so a proxy still sending the body receives the answer rather than
// a reset connection; one declared beyond the drain limit is refused without reading.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DRAIN_LIMIT_BYTES, readSmallForm } from '../../proxy/handlers/xsrf.ts';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** Posts `body` to a server answering what readSmallForm gave; returns status, answer and bytes read. */
async function post(
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  server = createServer((req, res) => {
    void readSmallForm(req).then((form) => {
      if (form === null) {
        res.writeHead(413, { connection: 'close' }).end('too large');
      } else {
        res.writeHead(200).end(form.get('_xsrf') ?? '');
      }
    });
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': body.length,
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('readSmallForm', () => {
  it('parses a small form', async () => {
    expect(await post(Buffer.from('_xsrf=abc&x=1'))).toEqual({ status: 200, text: 'abc' });
  });

  it('reads and drops a 1 MiB form, then the client gets the 413 (no reset while it is still sending)', async () => {
    const body = Buffer.from(`_xsrf=${'a'.repeat(1024 * 1024)}`);
    expect(await post(body)).toEqual({ status: 413, text: 'too large' });
  });

  it('refuses at once a form declared beyond the drain limit', async () => {
    server = createServer((req, res) => {
      void readSmallForm(req).then((form) => res.writeHead(form === null ? 413 : 200).end());
    });
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', () => done()));
    const { port } = server.address() as AddressInfo;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': DRAIN_LIMIT_BYTES + 1,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('_xsrf=a'); // never finished: the answer must not wait for the body
    });
    expect(status).toBe(413);
  });
});
