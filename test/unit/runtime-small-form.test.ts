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

/**
 * Posts `body` to a server answering 413 when readSmallForm gives null, else the form's `_xsrf`.
 * `declared` overrides Content-Length; `finish: false` never ends the body (the answer must not wait).
 */
async function post(
  body: Buffer,
  options: { declared?: number; finish?: boolean } = {},
): Promise<{ status: number; text: string }> {
  server = createServer((req, res) => {
    void readSmallForm(req).then((form) => {
      if (form === null) res.writeHead(413, { connection: 'close' }).end('too large');
      else res.writeHead(200).end(form.get('_xsrf') ?? '');
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
          'content-length': options.declared ?? body.length,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    if (options.finish === false) req.write(body);
    else req.end(body);
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
    const answer = await post(Buffer.from('_xsrf=a'), { declared: DRAIN_LIMIT_BYTES + 1, finish: false });
    expect(answer).toEqual({ status: 413, text: 'too large' });
  });
});
