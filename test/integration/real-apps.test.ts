// Real apps from Debian behind hubify-proxy under a real JupyterHub 3.0: R Shiny (r-cran-shiny) and
// Jupyter Notebook 6 (jupyter-notebook) with a live Python kernel over its WebSocket channels.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RUNTIME_BUNDLE, startHub, type HubSession, type StartedHub } from '../helpers/hub.ts';
import { realAppsManifest } from '../helpers/real-apps.ts';
import { POLL_SLOW, WAIT_LONG, WAIT_MEDIUM, waitFor, withTimeout } from '../helpers/waits.ts';

let hub: StartedHub;
let alice: HubSession;
const page = { accept: 'text/html', 'sec-fetch-mode': 'navigate' };

beforeAll(async () => {
  const manifest = join(mkdtempSync(join(tmpdir(), 'hubify-real-apps-')), 'manifest.json');
  writeFileSync(manifest, JSON.stringify(realAppsManifest()));
  hub = await startHub({
    name: 'real-apps',
    users: ['alice'],
    cmd: [process.execPath, RUNTIME_BUNDLE],
    args: ['--manifest', manifest],
  });
  await hub.startServer('alice');
  await hub.waitForServerReady('alice');
  alice = await hub.loginSession('alice');
  expect((await alice.get('/user/alice/', { headers: page })).status).toBe(200);
});

afterAll(async () => {
  const result = await hub?.stop();
  expect(result?.leftovers ?? []).toEqual([]);
});

function openSocket(url: string, cookie: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { cookie, origin: hub.url } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('R Shiny', () => {
  it(
    'starts lazily, serves its page through the proxy and accepts its WebSocket',
    { timeout: WAIT_LONG * 2 },
    async () => {
      const response = await alice.get('/user/alice/shiny/', { timeoutMs: WAIT_LONG * 2 });
      expect(response.status).toBe(200);
      expect(response.body).toContain('hubify Shiny test');
      expect(response.body).toContain('shiny');
      const cookie = alice.jar.header(new URL(`${hub.url}/user/alice/shiny/websocket/`)) ?? '';
      const ws = await openSocket(`${hub.url.replace('http', 'ws')}/user/alice/shiny/websocket/`, cookie);
      const values = new Promise<string>((resolve) => {
        ws.on('message', (data) => {
          const text = (data as Buffer).toString();
          if (text.includes('Doubled')) resolve(text);
        });
      });
      // What shiny.js sends first: input values, and which outputs are visible (hidden ones are not rendered).
      ws.send(
        JSON.stringify({
          method: 'init',
          data: {
            n: 21,
            '.clientdata_url_search': '',
            '.clientdata_output_doubled_hidden': false,
            '.clientdata_output_who_hidden': false,
          },
        }),
      );
      const message = await withTimeout(values, WAIT_MEDIUM, 'Shiny to send the rendered outputs');
      expect(message).toContain('Doubled: 42');
      expect(message).toContain('User: alice');
      ws.close();
    },
  );
});

describe('Jupyter Notebook', () => {
  it(
    'serves the tree under its kept prefix and runs Python code in a kernel over WebSocket',
    { timeout: WAIT_LONG * 2 },
    async () => {
      // A browser sees the "starting" page (503, refresh) until the notebook is ready, then the tree.
      const first = await alice.get('/user/alice/notebook/tree', { headers: page });
      expect([200, 503]).toContain(first.status);
      if (first.status === 503) expect(first.body).toContain('Jupyter Notebook');
      const tree = await waitFor(
        async () => {
          const response = await alice.get('/user/alice/notebook/tree', { headers: page });
          return response.status === 200 ? response : undefined;
        },
        { timeoutMs: WAIT_LONG, intervalMs: POLL_SLOW, what: 'the notebook tree page' },
      );
      expect(tree.body).toContain('/user/alice/notebook/');
      const xsrf = alice.jar.all().find((cookie) => cookie.name === '_xsrf')?.value ?? '';
      expect(xsrf).not.toBe('');
      const created = await alice.request('/user/alice/notebook/api/kernels', {
        method: 'POST',
        body: JSON.stringify({ name: 'python3' }),
        headers: { 'content-type': 'application/json', 'x-xsrftoken': xsrf },
      });
      expect(created.status).toBe(201);
      const kernel = JSON.parse(created.body) as { id: string };
      const cookie =
        alice.jar.header(new URL(`${hub.url}/user/alice/notebook/api/kernels/${kernel.id}/channels`)) ?? '';
      const ws = await openSocket(
        `${hub.url.replace('http', 'ws')}/user/alice/notebook/api/kernels/${kernel.id}/channels`,
        cookie,
      );
      const msgId = 'hubify-test-1';
      const result = new Promise<string>((resolve) => {
        // Bounded below by withTimeout.
        ws.on('message', (data) => {
          const message = JSON.parse((data as Buffer).toString()) as {
            msg_type: string;
            parent_header: { msg_id?: string };
            content: { data?: Record<string, string> };
          };
          if (message.msg_type === 'execute_result' && message.parent_header.msg_id === msgId)
            resolve(message.content.data?.['text/plain'] ?? '');
        });
      });
      ws.send(
        JSON.stringify({
          header: {
            msg_id: msgId,
            username: 'alice',
            session: 'hubify',
            msg_type: 'execute_request',
            version: '5.3',
            date: new Date().toISOString(),
          },
          parent_header: {},
          metadata: {},
          content: {
            code: '6 * 7',
            silent: false,
            store_history: false,
            user_expressions: {},
            allow_stdin: false,
          },
          buffers: [],
          channel: 'shell',
        }),
      );
      expect(await withTimeout(result, WAIT_MEDIUM, 'the kernel to answer')).toBe('42');
      ws.close();
      const deleted = await alice.request(`/user/alice/notebook/api/kernels/${kernel.id}`, {
        method: 'DELETE',
        headers: { 'x-xsrftoken': xsrf },
      });
      expect(deleted.status).toBe(204);
    },
  );
});
