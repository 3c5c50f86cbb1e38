#!/usr/bin/env node
// The app every benchmark contender forwards to: a small, fast HTTP + WebSocket server.
//
//   node upstream-app.mjs [--port N]      (0 or absent: any free port; prints `listening PORT`)
//
// Routes (the last path segment decides, so every proxy's path layout works):
//   GET .../1k          1,024 bytes, Content-Length
//   GET .../100k        102,400 bytes, Content-Length
//   GET .../stream?mb=N N MiB in 64 KiB chunks, chunked, with backpressure (default 100)
//   GET anything else   200 "ok"
//   WS  any path        echoes every message (text or binary) back
// Bodies are allocated once at start, so the app does as little per request as Node allows.
import { createServer } from 'node:http';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const KIB = 1024;
const BODIES = new Map([
  ['1k', Buffer.alloc(KIB, 'a')],
  ['100k', Buffer.alloc(100 * KIB, 'b')],
]);
const CHUNK = Buffer.alloc(64 * KIB, 'c');
const OK = Buffer.from('ok');

function lastSegment(url) {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  return path.slice(path.lastIndexOf('/') + 1);
}

function stream(res, mebibytes) {
  let left = mebibytes * 16; // 64 KiB chunks
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const more = () => {
    while (left > 0) {
      left--;
      if (!res.write(CHUNK)) return void res.once('drain', more);
    }
    res.end();
  };
  more();
}

const server = createServer((req, res) => {
  const name = lastSegment(req.url ?? '/');
  const body = BODIES.get(name);
  if (body !== undefined) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  } else if (name === 'stream') {
    const mb = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('mb') ?? 100);
    stream(res, Number.isFinite(mb) && mb > 0 ? Math.min(mb, 4096) : 100);
  } else {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': OK.length });
    res.end(OK);
  }
});
server.keepAliveTimeout = 65_000;
const sockets = new WebSocketServer({ server, perMessageDeflate: false });
sockets.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
server.listen({ host: '127.0.0.1', port: Number(values.port) }, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
