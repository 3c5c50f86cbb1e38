// hubify-proxy as a real process without a hub: quick mode (`--app NAME=COMMAND`), the standalone
// token-to-cookie flow, jupyterhub-singleuser-style flags, hostile paths and headers sent straight to
// the runtime's port, an invalid manifest, and a clean stop on SIGTERM with no process left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../helpers/free-port.ts';
import { REPO_ROOT, RUNTIME_BUNDLE } from '../helpers/hub.ts';
import { POLL_FAST, WAIT_MEDIUM, waitFor } from '../helpers/waits.ts';

const ECHO_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs');
const TOKEN = 'standalone-test-token-0123456789';

interface Runtime {
  process: ChildProcess;
  url: string;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function startRuntime(args: string[], env: Record<string, string> = {}): Promise<Runtime> {
  const port = await getFreePort();
  const child = spawn(
    process.execPath,
    [RUNTIME_BUNDLE, '--ip', '127.0.0.1', '--port', String(port), ...args],
    {
      env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), HUBIFY_TOKEN: TOKEN, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => output.includes(' ready ') || child.exitCode !== null, {
    timeoutMs: WAIT_MEDIUM,
    intervalMs: POLL_FAST,
    what: 'hubify-proxy to log "ready"',
  });
  return { process: child, url: `http://127.0.0.1:${port}`, port, output: () => output, exited };
}

const auth = { authorization: `token ${TOKEN}` };
let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime(
    [
      '--app',
      `echo=${process.execPath} ${ECHO_APP} --port {port}`,
      '--SingleUserNotebookApp.default_url=/echo/',
      '--NotebookApp.allow_origin=*',
      '--allow-root',
    ],
    { HUBIFY_HEADERS_TIMEOUT_MS: '1000' },
  );
});

afterAll(async () => {
  if (runtime.process.exitCode === null) runtime.process.kill('SIGTERM');
  await runtime.exited;
});

describe('standalone mode', () => {
  it('accepts jupyterhub-singleuser flags, warning about the ones it ignores', () => {
    expect(runtime.output()).toContain('ignoring flag flag="--NotebookApp.allow_origin=*"');
    expect(runtime.output()).not.toContain('flag=--allow-root');
  });

  it('turns ?token= into a cookie and removes it from the address bar', async () => {
    const response = await request(`${runtime.url}/echo/headers?token=${TOKEN}&keep=1`, {
      headers: { accept: 'text/html' },
    });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/echo/headers?keep=1');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^hubify-${runtime.port}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const value = cookie.split(';')[0] ?? '';
    const followed = await request(`${runtime.url}/echo/headers?keep=1`, { headers: { cookie: value } });
    expect(followed.statusCode).toBe(200);
    const seen = (await followed.body.json()) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/headers?keep=1');
    expect(seen.headers.cookie).toBeUndefined();
  });

  it('marks the cookie Secure behind an https proxy', async () => {
    const response = await request(`${runtime.url}/echo/?token=${TOKEN}`, {
      headers: { accept: 'text/html', 'x-forwarded-proto': 'https' },
    });
    expect(String(response.headers['set-cookie'])).toMatch(/Secure/);
    await response.body.dump();
  });

  it('refuses a wrong token with a page that says how to get in', async () => {
    const response = await request(`${runtime.url}/echo/?token=wrong`, { headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(403);
    expect(await response.body.text()).toContain('access token');
  });

  it('redirects the root to the default URL given as a jupyterhub-singleuser flag', async () => {
    const response = await request(`${runtime.url}/`, { headers: auth });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/echo/');
    await response.body.dump();
  });

  it('collapses slash runs so `//host` never becomes a network-path reference', async () => {
    const response = await request(`${runtime.url}//echo//headers`, { headers: auth });
    expect(response.statusCode).toBe(200);
    expect(((await response.body.json()) as { url: string }).url).toBe('/headers');
  });

  it('serves health without credentials and metrics only with them', async () => {
    const health = await request(`${runtime.url}/_hubify/health`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const anonymous = await request(`${runtime.url}/_hubify/metrics`);
    expect(anonymous.statusCode).toBe(403);
    await anonymous.body.dump();
    const metrics = await request(`${runtime.url}/_hubify/metrics`, { headers: auth });
    expect(metrics.statusCode).toBe(200);
    const text = await metrics.body.text();
    expect(text).toContain('hubify_requests_total');
    expect(text).toContain('hubify_app_running{app="echo"} 1');
  });

  it('stops every app on SIGTERM and exits 0 with no process left', async () => {
    const own = await startRuntime(['--app', `echo=${process.execPath} ${ECHO_APP} --port {port}`]);
    const warm = await request(`${own.url}/echo/headers`, { headers: auth });
    expect(warm.statusCode).toBe(200);
    await warm.body.dump();
    const status = (await (await request(`${own.url}/api/status`, { headers: auth })).body.json()) as {
      apps: { name: string; state: string }[];
    };
    expect(status.apps[0]?.state).toBe('running');
    const pid = Number(/app spawn name=echo pid=(\d+)/.exec(own.output())?.[1]);
    expect(pid).toBeGreaterThan(0);
    own.process.kill('SIGTERM');
    expect(await own.exited).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('configuration errors', () => {
  it('prints every manifest problem at once and exits 2, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubify-bad-'));
    const file = join(dir, 'manifest.yaml');
    writeFileSync(
      file,
      'schemaVersion: 1\napps:\n  - name: Bad_Name\n    port: "88a"\n    colour: blue\n  - name: api\n    command: [x, "{nope}"]\n',
    );
    const child = spawn(process.execPath, [RUNTIME_BUNDLE, '--manifest', file], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('apps[0].name');
    expect(stderr).toContain('apps[0].port');
    expect(stderr).toContain('apps[0].colour');
    expect(stderr).toContain('apps[1].name');
    expect(stderr).toContain('{nope}');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('reports all configuration problems at once and exits 2', async () => {
    const child = spawn(process.execPath, [RUNTIME_BUNDLE, '--port', 'abc', '--app', 'Bad=x'], {
      env: { PATH: process.env.PATH ?? '', JUPYTERHUB_ACTIVITY_INTERVAL: '-1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('port');
    expect(stderr).toContain('JUPYTERHUB_ACTIVITY_INTERVAL');
    expect(stderr).toContain('--app');
    expect(stderr).toContain('HUBIFY_CONFIG_INVALID');
  });
});
