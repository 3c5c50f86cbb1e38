#!/usr/bin/env node
// The floor: the smallest correct node:http reverse proxy (keep-alive agent, streamed bodies, raw
// socket piping after an upgrade), with no authentication and no header rules. What any Node proxy
// costs before it does anything of its own.
//
//   node floor-proxy.mjs --port N --upstream PORT      (prints `listening PORT`)
import { Agent, createServer, request } from 'node:http';
import { connect } from 'node:net';
import process from 'node:process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } },
});
const host = '127.0.0.1';
const upstreamPort = Number(values.upstream);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const forward = request(
    { host, port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(forward);
});
server.keepAliveTimeout = 65_000;
server.on('upgrade', (req, client, head) => {
  const upstream = connect(upstreamPort, host, () => {
    let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      text += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    upstream.write(`${text}\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
});
server.listen({ host, port: Number(values.port) }, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
