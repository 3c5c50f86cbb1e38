// `hubify build` on every fixture image, then the result used as a person would: standalone with
// `docker run` (the printed URL with its token, the launcher's apps), and under a real JupyterHub 3.0
// whose spawner starts the container, once with the spawner's default `jupyterhub-singleuser` command
// and once with the image's own CMD (KubeSpawner's default): log in, OAuth, open every app that can
// run here through the proxy (HTTP 200, WebSocket where the app uses one), activity reaches the hub.
// RStudio Server cannot be installed here: the rocker-r fixture carries a layout model of it (a stub
// rserver that exits 1), so its check is that the runtime reports that failure on the app's page.
import { spawn } from 'node:child_process';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { containerSpawnerConfig, type UserImage } from '../helpers/container-spawner.ts';
import {
  connectDocker,
  newTestRunId,
  removeContainersByLabel,
  runContainer,
  TEST_RUN_LABEL,
} from '../helpers/docker.ts';
import { getFreePort } from '../helpers/free-port.ts';
import { REPO_ROOT, startHub, type HubSession, type StartedHub } from '../helpers/hub.ts';
import { POLL_MEDIUM, POLL_SLOW, WAIT_LONG, WAIT_MEDIUM, waitFor, withTimeout } from '../helpers/waits.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

interface Fixture {
  name: 'debian' | 'rocker-r' | 'conda-notebook' | 'docker-stacks' | 'desktop';
  /** Apps `hubify build` must detect. */
  apps: string[];
}

const FIXTURES: Fixture[] = [
  { name: 'debian', apps: [] },
  { name: 'rocker-r', apps: ['hello', 'rstudio'] },
  { name: 'conda-notebook', apps: ['notebook'] },
  { name: 'docker-stacks', apps: ['notebook'] },
  { name: 'desktop', apps: ['desktop'] },
];

const CLI = `${REPO_ROOT}/dist/hubify.mjs`;
const page = { accept: 'text/html', 'sec-fetch-mode': 'navigate' };
const runId = newTestRunId('hubified');
let docker: Docker;
let hub: StartedHub;
const built = new Map<string, string>();

function hubified(name: string): string {
  return `hubify-test/${name}:latest`;
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  docker = await connectDocker();
  await ensureFixtures(FIXTURES.map((fixture) => fixture.name));
  for (const fixture of FIXTURES) {
    const result = await runCli([
      'build',
      `hubify-fixture/${fixture.name}:latest`,
      '--tag',
      hubified(fixture.name),
      '--json',
    ]);
    if (result.code !== 0)
      throw new Error(
        `hubify build ${fixture.name} failed (${result.code}):\n${result.stdout}\n${result.stderr}`,
      );
    built.set(fixture.name, result.stdout);
  }
  const users: Record<string, UserImage> = {};
  for (const fixture of FIXTURES) {
    users[fixture.name] = { image: hubified(fixture.name) };
    users[`${fixture.name}-cmd`] = { image: hubified(fixture.name), useImageCmd: true };
  }
  hub = await startHub({
    name: 'hubified-images',
    users: Object.keys(users),
    environment: { JUPYTERHUB_ACTIVITY_INTERVAL: '1' },
    startTimeoutSeconds: 60,
    extraConfig: containerSpawnerConfig({ users, runId }),
  });
}, 900_000);

afterAll(async () => {
  await hub?.stop();
  if (docker !== undefined) await removeContainersByLabel(docker, TEST_RUN_LABEL, runId);
});

async function openServer(user: string): Promise<HubSession> {
  await hub.startServer(user);
  await hub.waitForServerReady(user, '', WAIT_LONG);
  const session = await hub.loginSession(user);
  // `?launcher`: images with RStudio open it by default, and here RStudio is only a layout model.
  const launcher = await session.get(`/user/${user}/?launcher`, { headers: page });
  expect(launcher.status).toBe(200);
  expect(launcher.body).toContain('hubify');
  return session;
}

/** GET through the proxy as a browser would: the "starting" page refreshes until the app is ready. */
async function openApp(session: HubSession, path: string): Promise<{ status: number; body: string }> {
  return waitFor(
    async () => {
      const response = await session.get(path, { headers: page });
      return response.status === 503 && response.body.includes('Starting') ? undefined : response;
    },
    { timeoutMs: WAIT_LONG, intervalMs: POLL_SLOW, what: `${path} to finish starting` },
  );
}

function openSocket(session: HubSession, path: string): Promise<WebSocket> {
  const cookie = session.jar.header(new URL(`${hub.url}${path}`)) ?? '';
  const ws = new WebSocket(`${hub.url.replace('http', 'ws')}${path}`, {
    headers: { cookie, origin: hub.url },
  });
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    }),
    WAIT_MEDIUM,
    `the WebSocket at ${path} to open`,
  );
}

describe.each(FIXTURES)('hubified $name', (fixture) => {
  it('is built with the detected apps in its manifest and labels', () => {
    const result = JSON.parse(built.get(fixture.name) ?? '{}') as {
      ok: boolean;
      manifest?: { apps: { name: string }[] };
    };
    expect(result.ok).toBe(true);
    expect(JSON.stringify(result)).toContain('"diffId"');
  });

  it('runs standalone with docker run: prints a URL with a token, and the launcher lists the apps', async () => {
    const port = await getFreePort();
    const container = await docker.createContainer({
      Image: hubified(fixture.name),
      Env: [`HUBIFY_PORT=${port}`, 'HUBIFY_IP=127.0.0.1'],
      Labels: { [TEST_RUN_LABEL]: runId },
      HostConfig: { NetworkMode: 'host', AutoRemove: false },
    });
    await container.start();
    try {
      const logs = await waitFor(
        async () => {
          const text = (await container.logs({ stdout: true, stderr: true })).toString('utf8');
          return /\?token=([0-9a-f]{16,})/.test(text) ? text : undefined;
        },
        { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'the standalone URL with its token' },
      );
      const token = /\?token=([0-9a-f]{16,})/.exec(logs)?.[1] ?? '';
      const response = await fetch(`http://127.0.0.1:${port}/api/status`, {
        headers: { authorization: `token ${token}` },
      });
      expect(response.status).toBe(200);
      const status = (await response.json()) as { apps: { name: string }[] };
      expect(status.apps.map((app) => app.name).sort()).toEqual([...fixture.apps].sort());
      const anonymous = await fetch(`http://127.0.0.1:${port}/api/status`);
      expect(anonymous.status).toBe(403);
    } finally {
      await container.remove({ force: true });
    }
  });

  it('works under JupyterHub with the spawner’s default jupyterhub-singleuser command', async () => {
    const session = await openServer(fixture.name);
    const status = JSON.parse((await session.get(`/user/${fixture.name}/api/status`)).body) as {
      apps: { name: string }[];
    };
    expect(status.apps.map((app) => app.name).sort()).toEqual([...fixture.apps].sort());
    const before = Date.now();
    await session.get(`/user/${fixture.name}/?launcher`, { headers: page });
    await waitFor(
      async () => {
        const server = await hub.getServer(fixture.name);
        return server?.last_activity != null && new Date(server.last_activity).getTime() >= before - 1000;
      },
      { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'last_activity to reach the hub' },
    );
    await checkApps(fixture, session);
    await hub.stopServer(fixture.name);
  });

  it('works under JupyterHub with the image’s own CMD (KubeSpawner’s default)', async () => {
    const user = `${fixture.name}-cmd`;
    const session = await openServer(user);
    const status = JSON.parse((await session.get(`/user/${user}/api/status`)).body) as {
      apps: { name: string }[];
    };
    expect(status.apps.map((app) => app.name).sort()).toEqual([...fixture.apps].sort());
    await hub.stopServer(user);
  });
});

async function checkApps(fixture: Fixture, session: HubSession): Promise<void> {
  const base = `/user/${fixture.name}`;
  switch (fixture.name) {
    case 'rocker-r': {
      const shiny = await openApp(session, `${base}/hello/`);
      expect(shiny.status).toBe(200);
      expect(shiny.body).toContain('shiny');
      (await openSocket(session, `${base}/hello/websocket/`)).close();
      // The RStudio layout model exits at once; the runtime must say so on the app's page.
      const rstudio = await openApp(session, `${base}/rstudio/`);
      expect(rstudio.status).toBe(503);
      expect(rstudio.body).toMatch(/exited with code 1/);
      break;
    }
    case 'conda-notebook':
    case 'docker-stacks': {
      const tree = await openApp(session, `${base}/notebook/tree`);
      expect(tree.status).toBe(200);
      expect(tree.body).toContain(`${base}/notebook/`);
      const xsrf = session.jar.all().find((cookie) => cookie.name === '_xsrf')?.value ?? '';
      const created = await session.request(`${base}/notebook/api/kernels`, {
        method: 'POST',
        body: JSON.stringify({ name: 'python3' }),
        headers: { 'content-type': 'application/json', 'x-xsrftoken': xsrf },
      });
      expect(created.status).toBe(201);
      const kernel = JSON.parse(created.body) as { id: string };
      (await openSocket(session, `${base}/notebook/api/kernels/${kernel.id}/channels`)).close();
      break;
    }
    case 'desktop': {
      const desktop = await openApp(session, `${base}/desktop/`);
      expect(desktop.status).toBe(200);
      const ws = await openSocket(session, `${base}/desktop/websockify`);
      const banner = await withTimeout(
        new Promise<string>((resolve) =>
          ws.once('message', (data) => resolve((data as Buffer).toString('latin1'))),
        ),
        WAIT_MEDIUM,
        'the VNC banner',
      );
      expect(banner).toMatch(/^RFB 003\.00\d/);
      ws.close();
      break;
    }
    case 'debian':
      break;
  }
}

describe('Zero-to-JupyterHub home mount', () => {
  it('runs apps with HOME and working directory on the volume mounted at /home/jovyan, whatever the image user', async () => {
    const port = await getFreePort();
    const volume = `hubify-test-home-${runId}`;
    await docker.createVolume({ Name: volume, Labels: { [TEST_RUN_LABEL]: runId } });
    // A tiny app run by the image's own runtime Node: it reports the HOME and cwd it was given.
    const app = `where=/opt/hubify/bin/node -e "require('http').createServer((q, s) => s.end(JSON.stringify([process.env.HOME, process.cwd()]))).listen({port}, '127.0.0.1')"`;
    const container = await docker.createContainer({
      Image: hubified('rocker-r'),
      Cmd: [
        '/opt/hubify/bin/node',
        '--max-semi-space-size=4',
        '/opt/hubify/lib/hubify-proxy.mjs',
        '--app',
        app,
      ],
      Env: [`HUBIFY_PORT=${port}`, 'HUBIFY_IP=127.0.0.1', 'HUBIFY_TOKEN=home-test-token'],
      Labels: { [TEST_RUN_LABEL]: runId },
      // Like a fresh PVC: an empty volume the user can write (the image user is rstudio, uid 1000).
      HostConfig: {
        NetworkMode: 'host',
        Mounts: [{ Type: 'volume', Source: volume, Target: '/home/jovyan' }],
      },
      User: '1000:1000',
    });
    try {
      // Fresh named volumes are root-owned; make it the user's, as fsGroup does on Kubernetes.
      const prepare = await runContainer(docker, {
        image: hubified('rocker-r'),
        entrypoint: ['/bin/sh', '-c'],
        cmd: ['chown 1000:1000 /home/jovyan'],
        user: '0',
        testRunId: runId,
        mounts: [{ Type: 'volume', Source: volume, Target: '/home/jovyan' }],
      });
      expect(prepare.exitCode).toBe(0);
      await container.start();
      const answer = await waitFor(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/where/`, {
            headers: { authorization: 'token home-test-token' },
          }).catch(() => undefined);
          return response?.status === 200 ? ((await response.json()) as string[]) : undefined;
        },
        { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: 'the app reporting its HOME' },
      );
      expect(answer).toEqual(['/home/jovyan', '/home/jovyan']);
    } finally {
      await container.remove({ force: true });
      await docker.getVolume(volume).remove({ force: true });
    }
  });
});

describe('the R image stays free of Python', () => {
  it('has no python in the hubified rocker-r image and nothing Python in /opt/hubify', async () => {
    const result = await runContainer(docker, {
      image: hubified('rocker-r'),
      entrypoint: ['/bin/sh', '-c'],
      cmd: [
        'for p in python python3; do if command -v "$p"; then exit 1; fi; done; find /opt/hubify -name "*.py" -o -name "python*" | grep . && exit 1; exit 0',
      ],
      testRunId: runId,
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });
});
