#!/usr/bin/env node
// WebSocket load: N connections, each sending one 64-byte binary message and waiting for its echo
// before the next (round-trip), for a bounded time and message count. Prints one JSON line:
// {messages, seconds, msgsPerSecond, p50Ms, p99Ms}.
//
//   node ws-load.mjs --url ws://... [--connections 1] [--seconds 3] [--max-messages 5000000] [--header 'Name: value']
import process from 'node:process';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    connections: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '3' },
    'max-messages': { type: 'string', default: '5000000' },
    header: { type: 'string', multiple: true, default: [] },
  },
});
const connections = Number(values.connections);
const durationMs = Number(values.seconds) * 1000;
const maxMessages = Number(values['max-messages']);
const headers = Object.fromEntries(
  values.header.map((line) => [
    line.slice(0, line.indexOf(':')).trim(),
    line.slice(line.indexOf(':') + 1).trim(),
  ]),
);
const payload = Buffer.alloc(64, 'w');
// Round-trip times in microseconds, bucketed (1 µs .. 1 s): constant memory whatever the count.
const BUCKETS = 1_000_000;
const histogram = new Uint32Array(BUCKETS + 1);
let messages = 0;

function percentile(p) {
  const want = Math.ceil((p / 100) * messages);
  let seen = 0;
  for (let us = 0; us <= BUCKETS; us++) {
    seen += histogram[us];
    if (seen >= want) return us / 1000;
  }
  return BUCKETS / 1000;
}

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(values.url, { headers, perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error('WebSocket open timed out')), 10_000);
    ws.once('open', () => (clearTimeout(timer), resolve(ws)));
    ws.once('error', (error) => (clearTimeout(timer), reject(error)));
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`WebSocket refused with HTTP ${res.statusCode}`));
    });
  });
}

const sockets = await Promise.all(Array.from({ length: connections }, open));
const started = process.hrtime.bigint();
const deadline = started + BigInt(durationMs) * 1_000_000n;
await Promise.all(
  sockets.map(
    (ws) =>
      new Promise((resolve) => {
        let sentAt = 0n;
        const send = () => {
          sentAt = process.hrtime.bigint();
          ws.send(payload, { binary: true });
        };
        ws.on('message', () => {
          const now = process.hrtime.bigint();
          histogram[Math.min(BUCKETS, Number((now - sentAt) / 1000n))]++;
          messages++;
          if (now < deadline && messages < maxMessages) send();
          else resolve();
        });
        ws.once('close', resolve);
        send();
      }),
  ),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
for (const ws of sockets) ws.terminate();
process.stdout.write(
  `${JSON.stringify({ messages, seconds, msgsPerSecond: messages / seconds, p50Ms: percentile(50), p99Ms: percentile(99) })}\n`,
);
