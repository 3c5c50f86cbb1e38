// JupyterHub with internal_ssl on: the hub hands the runtime a certificate, key and client-CA bundle.
// The runtime must serve TLS with them, accept only clients with certificates from that bundle (the hub
// and its proxy), and present its own certificate when it calls the hub (token exchange, lookups).
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, RUNTIME_BUNDLE, startHub, type StartedHub } from '../helpers/hub.ts';

const ECHO_APP = `${REPO_ROOT}/test/fixtures/apps/echo-app.mjs`;
let hub: StartedHub;

beforeAll(async () => {
  hub = await startHub({
    name: 'internal-ssl',
    users: ['alice'],
    internalSsl: true,
    cmd: [process.execPath, RUNTIME_BUNDLE],
    args: ['--app', `echo=${process.execPath} ${ECHO_APP} --port {port}`],
  });
  await hub.startServer('alice');
  await hub.waitForServerReady('alice');
});

afterAll(async () => {
  const result = await hub?.stop();
  expect(result?.leftovers ?? []).toEqual([]);
});

describe('internal SSL', () => {
  it('serves over TLS that the hub and its proxy verify, and completes OAuth with the hub over mTLS', async () => {
    expect(hub.logTail(200)).toMatch(/hubify ready url=https:\/\/127\.0\.0\.1:\d+\/user\/alice\//);
    const alice = await hub.loginSession('alice');
    const response = await alice.get('/user/alice/echo/headers', {
      headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' },
    });
    expect(response.status).toBe(200);
    const seen = JSON.parse(response.body) as { headers: Record<string, string> };
    expect(seen.headers['x-hubify-user']).toBe('alice');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
  });

  it('refuses a client that presents no certificate from the hub’s CA bundle', async () => {
    const port = Number(/hubify ready url=https:\/\/127\.0\.0\.1:(\d+)\//.exec(hub.logTail(500))?.[1]);
    expect(port).toBeGreaterThan(0);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.write('GET /user/alice/api HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error:${error.code ?? error.message}`));
      socket.on('close', () => resolve(data === '' ? 'closed' : `answered:${data.slice(0, 12)}`));
    });
    expect(outcome).not.toMatch(/^answered/);
  });
});
