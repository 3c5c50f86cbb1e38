// JupyterHub 3.0 (Debian) with internal_ssl on: the hub makes the CAs and hands the runtime a
// certificate, key and client-CA bundle (JUPYTERHUB_SSL_*). The runtime must serve TLS with exactly
// that certificate, accept only clients whose certificates chain to that bundle (the hub and its
// proxy), and present its certificate when it calls the hub (the hub's own TLS port requires one).
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, RUNTIME_BUNDLE, startHub, type StartedHub } from '../helpers/hub.ts';

const ECHO_APP = `${REPO_ROOT}/test/fixtures/apps/echo-app.mjs`;
let hub: StartedHub;
let runtimePort = 0;

/** Every file below `dir`, by base name (certipy writes `<name>/<name>.crt|.key` and CA bundles). */
function filesByName(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) found.set(entry.name, join(entry.parentPath, entry.name));
  }
  return found;
}

function certFile(name: string): string {
  const files = filesByName(hub.certsDir ?? '');
  const path = files.get(name);
  if (path === undefined)
    throw new Error(`no ${name} under ${hub.certsDir}: ${[...files.keys()].join(', ')}`);
  return path;
}

interface TlsOutcome {
  /** `answered:<status line>`, `error:<code>` or `closed`. */
  outcome: string;
  peer: PeerCertificate | null;
}

/** A TLS connection to `port` presenting `client` (or no certificate), sending one HTTP request. */
function tlsRequest(
  port: number,
  path: string,
  client: { cert: string; key: string } | null,
): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    let peer: PeerCertificate | null = null;
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ...(client === null ? {} : { cert: readFileSync(client.cert), key: readFileSync(client.key) }),
      },
      () => {
        peer = socket.getPeerCertificate();
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      },
    );
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ outcome: `error:${error.code ?? error.message}`, peer }),
    );
    socket.on('close', () =>
      resolve({ outcome: data === '' ? 'closed' : `answered:${data.split('\r\n')[0] ?? ''}`, peer }),
    );
  });
}

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
  runtimePort = Number(/hubify ready url=https:\/\/127\.0\.0\.1:(\d+)\//.exec(hub.logTail(500))?.[1]);
});

afterAll(async () => {
  const result = await hub?.stop();
  expect(result?.leftovers ?? []).toEqual([]);
});

describe('internal SSL with a real JupyterHub', () => {
  it('serves TLS with the certificate the hub issued for this server, signed by the notebooks CA', async () => {
    expect(runtimePort).toBeGreaterThan(0);
    const proxyClient = { cert: certFile('proxy-client.crt'), key: certFile('proxy-client.key') };
    const { outcome, peer } = await tlsRequest(runtimePort, '/user/alice/api', proxyClient);
    expect(outcome).toBe('answered:HTTP/1.1 200 OK');
    const issued = new X509Certificate(readFileSync(certFile('user-alice.crt')));
    expect(peer?.fingerprint256).toBe(issued.fingerprint256);
    const notebooksCa = new X509Certificate(readFileSync(certFile('notebooks-ca.crt')));
    expect(issued.verify(notebooksCa.publicKey)).toBe(true);
  });

  it('refuses clients without a certificate, or with one from a CA outside the client-CA bundle', async () => {
    const none = await tlsRequest(runtimePort, '/user/alice/api', null);
    expect(none.outcome).not.toMatch(/^answered/);
    // proxy-api's certificate is signed by proxy-api-ca, which the notebooks' client bundle does not hold.
    const foreign = await tlsRequest(runtimePort, '/user/alice/api', {
      cert: certFile('proxy-api.crt'),
      key: certFile('proxy-api.key'),
    });
    expect(foreign.outcome).not.toMatch(/^answered/);
  });

  it('calls the hub with its certificate: the hub’s TLS port refuses a client without one, and accepts the runtime’s', async () => {
    const hubPort = Number(new URL(hub.hubBindUrl).port);
    const anonymous = await tlsRequest(hubPort, '/hub/api/', null);
    expect(anonymous.outcome).not.toMatch(/^answered/);
    const asRuntime = await tlsRequest(hubPort, '/hub/api/', {
      cert: certFile('user-alice.crt'),
      key: certFile('user-alice.key'),
    });
    expect(asRuntime.outcome).toBe('answered:HTTP/1.1 200 OK');
  });

  it('completes OAuth with the hub over mutual TLS; the session cookie follows the browser’s http, not the TLS hop', async () => {
    expect(hub.logTail(500)).toMatch(/hubify ready url=https:\/\/127\.0\.0\.1:\d+\/user\/alice\//);
    const alice = await hub.loginSession('alice');
    const response = await alice.get('/user/alice/echo/headers', {
      headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' },
    });
    expect(response.status).toBe(200);
    const hops = response.redirects.map((hop) => new URL(hop.url).pathname);
    expect(hops).toContain('/user/alice/oauth_callback');
    const seen = JSON.parse(response.body) as { headers: Record<string, string> };
    expect(seen.headers['x-hubify-user']).toBe('alice');
    // The browser spoke http to the hub's proxy: a Secure cookie would be dropped by a real browser.
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    const session = alice.jar.all().find((cookie) => cookie.name === 'jupyterhub-user-alice');
    expect(session).toMatchObject({ path: '/user/alice/', httpOnly: true, secure: false });
  });
});
