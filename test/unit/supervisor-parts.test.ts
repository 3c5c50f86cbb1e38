// The supervisor's small pieces on their own: placeholder expansion, the output ring, line splitting,
// free ports, and readiness against tiny loopback servers.
import { createServer as createNetServer } from 'node:net';
import { createServer, type Server } from 'node:http';
import { PassThrough } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import type { PlaceholderValues } from '../../proxy/app-spec.ts';
import { LOG_LINE_MAX_CHARS, LogRing } from '../../proxy/supervisor/log-ring.ts';
import { forEachLine } from '../../proxy/supervisor/output-lines.ts';
import { expandPlaceholders, findFreePort } from '../../proxy/supervisor/index.ts';
import { waitUntilReady } from '../../proxy/supervisor/readiness.ts';

const values: PlaceholderValues = {
  port: '8787',
  unix_socket: '/tmp/s/rstudio.sock',
  base_url: '/user/alice/',
  app_url: '/user/alice/rstudio/',
  user: 'alice',
  home: '/home/alice',
};

describe('expandPlaceholders', () => {
  it('replaces every known placeholder, repeatedly', () => {
    expect(expandPlaceholders('--www-port={port} --www-root-path={app_url} {port}', values)).toBe(
      '--www-port=8787 --www-root-path=/user/alice/rstudio/ 8787',
    );
    expect(expandPlaceholders('{unix_socket}|{base_url}|{user}|{home}', values)).toBe(
      '/tmp/s/rstudio.sock|/user/alice/|alice|/home/alice',
    );
  });

  it('leaves unknown names, braces in code and unclosed braces as written', () => {
    for (const text of ['{unknown}', 'function() { return {port}; }', '{"a": 1}', '{port', '{PORT}']) {
      const expected = text.replace(/\{port\}/g, '8787');
      expect(expandPlaceholders(text, values)).toBe(expected);
    }
  });

  it('reads {{ and }} as literal braces, as the manifest loader documents', () => {
    expect(expandPlaceholders('{{port}}', values)).toBe('{port}');
    expect(expandPlaceholders('a {{ b }} {port}', values)).toBe('a { b } 8787');
  });
});

describe('LogRing', () => {
  it('keeps the last lines up to the line limit', () => {
    const ring = new LogRing(3, 1024);
    for (let i = 0; i < 10; i += 1) ring.push(`line ${i}`);
    expect(ring.tail()).toEqual(['line 7', 'line 8', 'line 9']);
    expect(ring.tail(2)).toEqual(['line 8', 'line 9']);
    expect(ring.tail(0)).toEqual([]);
    expect(ring.total).toBe(10);
  });

  it('keeps the byte total bounded and cuts overlong lines', () => {
    const ring = new LogRing(500, 10_000);
    for (let i = 0; i < 100; i += 1) ring.push('x'.repeat(1000));
    const bytes = ring.tail().reduce((sum, line) => sum + Buffer.byteLength(line), 0);
    expect(bytes).toBeLessThanOrEqual(10_000);
    expect(ring.tail()).toHaveLength(10);
    ring.push('y'.repeat(LOG_LINE_MAX_CHARS * 3));
    expect(ring.tail(1)[0]).toBe(`${'y'.repeat(LOG_LINE_MAX_CHARS)}…`);
  });

  it('returns only the lines pushed after a mark', () => {
    const ring = new LogRing(5, 1024);
    ring.push('old');
    const mark = ring.total;
    ring.push('new 1');
    ring.push('new 2');
    expect(ring.since(mark, 50)).toEqual(['new 1', 'new 2']);
    expect(ring.since(mark, 1)).toEqual(['new 2']);
    expect(ring.since(ring.total, 50)).toEqual([]);
  });
});

describe('forEachLine', () => {
  it('splits chunks into lines, strips CR, and flushes the last partial line at the end', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const done = forEachLine(stream, (line) => lines.push(line));
    stream.write('first\r\nsec');
    stream.write('ond\n\nthi');
    stream.write(Buffer.from([0xc3])); // a UTF-8 character split across chunks
    stream.end(Buffer.from([0xa9, 0x72, 0x64]));
    await done;
    expect(lines).toEqual(['first', 'second', '', 'thiérd']);
  });

  it('flushes a partial line that grows far past the line limit', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const done = forEachLine(stream, (line) => lines.push(line));
    stream.write('z'.repeat(LOG_LINE_MAX_CHARS * 5));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    stream.end();
    await done;
  });
});

describe('findFreePort', () => {
  it('returns a loopback port that can be bound right away', async () => {
    const port = await findFreePort();
    const server = createNetServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('waitUntilReady', () => {
  let server: Server | null = null;
  afterEach(() => {
    server?.close();
    server = null;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
    const started = createServer(handler);
    server = started;
    await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
    const address = started.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  it('waits through 503 answers until the app answers below 500', async () => {
    let calls = 0;
    const port = await serve((_req, res) => {
      calls += 1;
      res.statusCode = calls < 3 ? 503 : 404;
      res.end();
    });
    const outcome = await waitUntilReady(
      { kind: 'tcp', host: '127.0.0.1', port },
      { path: '/', status: [], timeoutSeconds: 5 },
      new AbortController().signal,
    );
    expect(outcome).toEqual({ kind: 'ready', status: 404 });
    expect(calls).toBe(3);
  });

  it('gives up after the timeout when a probe hangs, and stops at once when aborted', async () => {
    const port = await serve(() => undefined); // never answers
    const target = { kind: 'tcp' as const, host: '127.0.0.1' as const, port };
    const started = Date.now();
    const outcome = await waitUntilReady(
      target,
      { path: '/', status: [], timeoutSeconds: 0.4 },
      new AbortController().signal,
    );
    expect(outcome).toEqual({
      kind: 'timeout',
      lastTry: expect.stringMatching(/^no answer within \d+ ms$/) as string,
    });
    expect(Date.now() - started).toBeLessThan(1500);

    const aborting = new AbortController();
    const pending = waitUntilReady(target, { path: '/', status: [], timeoutSeconds: 30 }, aborting.signal);
    setTimeout(() => aborting.abort(), 50);
    expect(await pending).toEqual({ kind: 'aborted' });
    server?.closeAllConnections();
  });
});
