// `hubify build` against a real Docker engine: builds the debian fixture (root only, CMD bash) into a
// hub-ready image and checks the image config, the one added layer (entry by entry), the files inside,
// the runtime started the three ways a spawner or a person starts it, a clean stop, that a second
// build without cache stores the same layer, and an image without any shell. Also the failures that
// need an engine (an image that cannot be pulled, a push that cannot reach its registry).
// Needs a Docker engine (bash test/setup/docker-engine.sh); without one these tests FAIL.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import type { HubifyBuildResult } from '../../cli/build/hubify-build.ts';
import { DEFAULT_SOURCE_DATE_EPOCH } from '../../cli/build/image-config.ts';
import { runBuild, type BuildOptions } from '../../cli/commands/build.ts';
import { ImageFiles } from '../../cli/engine/image-files.ts';
import { listTar, type TarListing } from '../../cli/layer/layer-tar.ts';
import { NODE_VERSION } from '../../cli/layer/node-binary.ts';
import type { CliIo } from '../../cli/output.ts';
import {
  buildImage,
  connectDocker,
  importRootfs,
  newTestRunId,
  removeContainersByLabel,
  runContainer,
  TEST_RUN_LABEL,
  type RunOptions,
  type RunResult,
} from '../helpers/docker.ts';
import { getFreePort } from '../helpers/free-port.ts';
import { WAIT_LONG, WAIT_MEDIUM, POLL_MEDIUM, waitFor } from '../helpers/waits.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const BUILD_TIMEOUT_MS = 30 * 60_000;
const RUN_TIMEOUT_MS = 60_000;
const TOKEN = 'hubify-build-test-token';

const testRunId = newTestRunId('build');
const runLabels = { [TEST_RUN_LABEL]: testRunId };
const tags = {
  hub: `hubify-test/debian-hub:${testRunId}`,
  again: `hubify-test/debian-hub:${testRunId}-again`,
  noShell: `hubify-test/no-shell:${testRunId}`,
  noShellHub: `hubify-test/no-shell-hub:${testRunId}`,
  unpushable: `127.0.0.1:1/hubify-test/unpushable:${testRunId}`,
  conda: `hubify-test/conda-path:${testRunId}`,
  condaHub: `hubify-test/conda-path-hub:${testRunId}`,
};
const CONDA_PATH = '/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The app the build adds with --app: a tiny server run by the image's node, as the runtime user. */
const HELLO_APP =
  `hello=/opt/hubify/bin/node -e "require('http').createServer((q, s) => s.end('hello from uid ' + process.getuid()))` +
  `.listen(+process.argv[1], '127.0.0.1')" {port}`;

let docker: Docker;
let debian: string;
let built: HubifyBuildResult;
let buildOutput: { code: number; stdout: string; stderr: string };

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  result: HubifyBuildResult | undefined;
}

/** `hubify build` in-process, as a person would run it, with the build's containers labelled. */
async function hubifyBuild(image: string, tag: string, more: Partial<BuildOptions> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let result: HubifyBuildResult | undefined;
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: process.cwd(),
    env: process.env,
  };
  const options: BuildOptions = {
    image,
    tag,
    push: false,
    platform: null,
    apps: [],
    manifest: null,
    json: false,
    noCache: false,
    debug: false,
    ...more,
  };
  let code: number;
  try {
    code = await runBuild(options, io, { containerLabels: runLabels, onResult: (value) => (result = value) });
  } catch (error) {
    // What main() does with a HubifyError: print it and exit with its code.
    const hubify = error as { toText?: () => string; exitCode?: number };
    if (typeof hubify.toText !== 'function' || typeof hubify.exitCode !== 'number') throw error;
    stderr += hubify.toText();
    code = hubify.exitCode;
  }
  return { code, stdout, stderr, result };
}

async function run(
  image: string,
  cmd: string[] | undefined,
  options: Partial<RunOptions> = {},
): Promise<RunResult> {
  const result = await runContainer(docker, {
    image,
    ...(cmd === undefined ? {} : { cmd }),
    testRunId,
    timeoutMs: RUN_TIMEOUT_MS,
    ...options,
  });
  expect(result.timedOut, `${image} ${cmd?.join(' ') ?? ''} timed out`).toBe(false);
  return result;
}

/** The text of a container's logs (stdout and stderr frames of a non-TTY container, in order). */
async function logsOf(container: Docker.Container): Promise<string> {
  const raw = await container.logs({ stdout: true, stderr: true, follow: false });
  const parts: Buffer[] = [];
  for (let offset = 0; offset + 8 <= raw.length;) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Starts a labelled container in the background (host network: the engine here has no bridge). */
async function start(
  image: string,
  cmd: string[] | undefined,
  env: Record<string, string>,
): Promise<Docker.Container> {
  const container = await docker.createContainer({
    Image: image,
    ...(cmd === undefined ? {} : { Cmd: cmd }),
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    Labels: runLabels,
    HostConfig: { NetworkMode: 'host' },
  });
  await container.start();
  return container;
}

async function waitForLog(container: Docker.Container, text: string): Promise<string> {
  return waitFor(
    async () => {
      const logs = await logsOf(container);
      if (logs.includes(text)) return logs;
      const state = (await container.inspect()).State;
      if (!state.Running) throw new Error(`the container exited (${state.ExitCode}):\n${logs}`);
      return undefined;
    },
    { timeoutMs: WAIT_MEDIUM, intervalMs: POLL_MEDIUM, what: `"${text}" in the container's log` },
  );
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { Authorization: `token ${TOKEN}` } });
  expect(response.status, url).toBe(200);
  return response.json();
}

/** The entries of the last layer of an image, from `docker save`. */
async function lastLayerEntries(image: string): Promise<TarListing[]> {
  const saved = (await docker.getImage(image).get()) as unknown as Readable;
  const extract = tar.extract();
  const layers = new Map<string, TarListing[]>();
  let manifest: { Layers: string[] }[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (name.endsWith('.tar')) layers.set(name, await listTar(entry as unknown as NodeJS.ReadableStream));
      else if (name === 'manifest.json') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof manifest;
      } else entry.resume();
    }
  })();
  saved.pipe(extract);
  await reading;
  const last = manifest[0]?.Layers.at(-1);
  const listing = last === undefined ? undefined : layers.get(last);
  if (listing === undefined) throw new Error(`docker save of ${image} has no last layer`);
  return listing;
}

/** An image with no shell at all: glibc and libstdc++ from the debian fixture, /etc/passwd, nothing else. */
async function makeNoShellImage(): Promise<void> {
  const files = await ImageFiles.open(docker, debian, runLabels);
  const libs = ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'libgcc_s.so.1', 'libstdc++.so.6'];
  const pack = tar.pack();
  const file = (name: string, content: Buffer | string, mode = 0o644): void => {
    pack.entry({ name, mode, uid: 0, gid: 0, mtime: new Date(0) }, content);
  };
  const dir = (name: string): void => {
    pack.entry({ name, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });
  };
  try {
    const read = async (path: string): Promise<Buffer> => {
      const info = await files.stat(path);
      const real =
        info?.type === 'symlink' && info.linkname !== null
          ? new URL(info.linkname, `file://${path}`).pathname
          : path;
      const found = await files.readFile(real);
      if (found === null) throw new Error(`${debian} has no ${real}`);
      return found.content;
    };
    for (const name of ['etc/', 'lib/', 'lib/x86_64-linux-gnu/', 'lib64/', 'tmp/']) dir(name);
    file(
      'etc/passwd',
      'root:x:0:0:root:/root:/nonexistent\nnobody:x:65534:65534:nobody:/nonexistent:/nonexistent\n',
    );
    file('etc/group', 'root:x:0:\nnogroup:x:65534:\n');
    file('etc/os-release', await read('/usr/lib/os-release'));
    file('lib64/ld-linux-x86-64.so.2', await read('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'), 0o755);
    for (const lib of libs)
      file(`lib/x86_64-linux-gnu/${lib}`, await read(`/usr/lib/x86_64-linux-gnu/${lib}`), 0o755);
  } finally {
    await files.close();
  }
  pack.finalize();
  const [repo, tag] = tags.noShell.split(':') as [string, string];
  await importRootfs(docker, pack as unknown as NodeJS.ReadableStream, {
    repo,
    tag,
    changes: ['ENV PATH=/usr/local/bin:/usr/bin:/bin'],
  });
}

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  const { fixtures } = await ensureFixtures(['debian'], { docker, log: () => {} });
  const fixture = fixtures.get('debian');
  if (fixture === undefined) throw new Error('the debian fixture was not built');
  debian = fixture.ref;
  const first = await hubifyBuild(debian, tags.hub, { apps: [HELLO_APP] });
  buildOutput = first;
  if (first.code !== 0 || first.result === undefined)
    throw new Error(`hubify build failed (${first.code}):\n${first.stderr}`);
  built = first.result;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (!docker) return;
  await removeContainersByLabel(docker, TEST_RUN_LABEL, testRunId);
  for (const tag of Object.values(tags))
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => {});
});

describe('hubify build of the debian fixture', () => {
  it('prints the image, the layer digest, the added size and how to run it', () => {
    const { stdout, stderr } = buildOutput;
    expect(stdout).toContain(`hubify: built ${tags.hub} (`);
    expect(stdout).toContain(`  layer      ${built.layer.diffId}`);
    expect(stdout).toMatch(/ {2}added {6}\d+\.\d MB raw, \d+\.\d MB gzip: node 24\.\d+\.\d+ /);
    expect(stdout).toContain('  runs as    jovyan (1000:100), home /home/jovyan, added by hubify');
    expect(stdout).toContain('  apps       hello; / opens hello');
    expect(stdout).toContain(`docker run -p 8888:8888 ${tags.hub}`);
    expect(stdout).toContain(`c.DockerSpawner.image = "${tags.hub}"`);
    expect(stdout).toContain(`c.KubeSpawner.image = "${tags.hub}"`);
    expect(stderr).toContain(`hubify: building ${tags.hub}`);
    // The size targets of the issue are 40 MB gzip and 110 MB raw; Node 24 alone is close to both.
    expect(built.layer.rawSize).toBeLessThan(115 * 1024 * 1024);
    expect(built.layer.gzipSize).toBeLessThan(45 * 1000 * 1000);
    expect(built.parts.node).toMatchObject({ version: NODE_VERSION, arch: 'x64', stripped: true });
  });

  it('sets ENTRYPOINT tini, CMD the runtime, USER 1000:100, WORKDIR its home, the labels, and adds one layer', async () => {
    const info = await docker.getImage(tags.hub).inspect();
    const base = await docker.getImage(debian).inspect();
    expect(info.Config.Entrypoint).toEqual(['/opt/hubify/bin/tini', '-g', '--']);
    expect(info.Config.Cmd).toEqual([
      '/opt/hubify/bin/node',
      '--max-semi-space-size=4',
      '/opt/hubify/lib/hubify-proxy.mjs',
    ]);
    expect(info.Config.User).toBe('1000:100');
    expect(info.Config.WorkingDir).toBe('/home/jovyan');
    expect(Object.keys(info.Config.ExposedPorts ?? {})).toEqual(['8888/tcp']);
    expect((info.Config as { StopSignal?: string }).StopSignal).toBe('SIGTERM');
    expect(info.Config.Env).toEqual(base.Config.Env);
    const labels = info.Config.Labels ?? {};
    expect(labels).toMatchObject({
      'org.hubify.version': expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
      'org.hubify.base.name': debian,
      'org.hubify.base.id': base.Id,
      'org.hubify.base.digest': base.Id,
      'org.hubify.original.entrypoint': '[]',
      'org.hubify.original.cmd': '["bash"]',
      'org.hubify.original.user': '',
      'org.hubify.apps': '["hello"]',
      'org.hubify.layer.digest': built.layer.tarDigest,
      'org.hubify.node.version': NODE_VERSION,
      'org.opencontainers.image.base.name': debian,
      'org.opencontainers.image.base.digest': base.Id,
      'org.opencontainers.image.created': '2024-01-01T00:00:00Z',
    });
    expect(info.RootFS.Layers?.slice(0, -1)).toEqual(base.RootFS.Layers);
    expect(info.RootFS.Layers?.at(-1)).toBe(built.layer.diffId);
  });

  it('adds /opt/hubify, the shim, /etc/passwd and /home/jovyan, and nothing else', async () => {
    const entries = await lastLayerEntries(tags.hub);
    expect(entries.map((entry) => entry.name)).toEqual([
      'etc/',
      'etc/passwd',
      'home/',
      'home/jovyan/',
      'opt/',
      'opt/hubify/',
      'opt/hubify/bin/',
      'opt/hubify/bin/hubify-proxy',
      'opt/hubify/bin/node',
      'opt/hubify/bin/tini',
      'opt/hubify/lib/',
      'opt/hubify/lib/hubify-proxy.mjs',
      'opt/hubify/manifest.json',
      'opt/hubify/share/',
      'opt/hubify/share/licenses/',
      'opt/hubify/share/licenses/node-LICENSE',
      'opt/hubify/share/licenses/tini-copyright',
      'usr/',
      'usr/local/',
      'usr/local/bin/',
      'usr/local/bin/jupyterhub-singleuser',
    ]);
    for (const entry of entries) {
      expect(entry.mtime, entry.name).toBe(DEFAULT_SOURCE_DATE_EPOCH);
      expect([entry.uid, entry.gid], entry.name).toEqual(
        entry.name === 'home/jovyan/' ? [1000, 100] : [0, 0],
      );
    }
    const shim = entries.find((entry) => entry.name === 'usr/local/bin/jupyterhub-singleuser');
    expect(shim).toMatchObject({ type: 'symlink', linkname: '/opt/hubify/lib/hubify-proxy.mjs' });
  });

  it('holds node, tini, the runtime and the manifest; user 1000 exists; the shim is on PATH', async () => {
    const script = [
      'id',
      'echo "HOME=$HOME"',
      'command -v jupyterhub-singleuser',
      '/opt/hubify/bin/node --version',
      '/opt/hubify/bin/tini --version',
      'head -1 /opt/hubify/lib/hubify-proxy.mjs',
      'getent passwd 1000',
      'stat -c "%U:%G %a" /home/jovyan',
      'pwd',
    ].join('; ');
    const result = await run(tags.hub, ['sh', '-c', script]);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('uid=1000(jovyan) gid=100(users) groups=100(users)');
    expect(lines.slice(1, 4)).toEqual([
      'HOME=/home/jovyan',
      '/usr/local/bin/jupyterhub-singleuser',
      `v${NODE_VERSION}`,
    ]);
    expect(lines[4]).toMatch(/^tini version 0\.19\.0/);
    expect(lines.slice(5)).toEqual([
      '#!/opt/hubify/bin/node --max-semi-space-size=4',
      'jovyan:x:1000:100::/home/jovyan:/bin/bash',
      'jovyan:users 755',
      '/home/jovyan',
    ]);
    const manifest = await run(tags.hub, ['cat', '/opt/hubify/manifest.json']);
    expect(JSON.parse(manifest.stdout)).toMatchObject({
      schemaVersion: 1,
      defaultApp: 'hello',
      image: { cmd: ['bash'], entrypoint: [] },
      apps: [{ name: 'hello' }],
    });
  });

  it('runs the runtime for `docker run IMAGE jupyterhub-singleuser --help`', async () => {
    const result = await run(tags.hub, ['jupyterhub-singleuser', '--help']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('hubify-proxy');
    expect(result.stdout).toContain('Usage:');
    expect(result.stdout).toContain('jupyterhub-singleuser flags');
  });

  it('listens on 8888 with the default command and no arguments (as under KubeSpawner)', async () => {
    // Network "none": the container has its own loopback, so 8888 is free whatever the host runs.
    const container = await docker.createContainer({
      Image: tags.hub,
      Env: [`HUBIFY_TOKEN=${TOKEN}`],
      Labels: runLabels,
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await waitForLog(container, 'Open this URL');
    const exec = await container.exec({
      Cmd: [
        '/opt/hubify/bin/node',
        '-e',
        `fetch('http://127.0.0.1:8888/api/status', { headers: { Authorization: 'token ${TOKEN}' } }).then((r) => r.text()).then((t) => console.log(t))`,
      ],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toContain('"apps":[{');
    expect(text).toContain('"name":"hello"');
    await container.stop({ t: 10 });
  });

  it('standalone: prints the URL with the token, lists the apps, serves them as uid 1000, stops on SIGTERM', async () => {
    const port = await getFreePort();
    const container = await start(tags.hub, undefined, {
      HUBIFY_TOKEN: TOKEN,
      HUBIFY_PORT: String(port),
      HUBIFY_IP: '127.0.0.1',
    });
    const logs = await waitForLog(container, 'Open this URL');
    expect(logs).toContain(`http://127.0.0.1:${port}/?token=<HUBIFY_TOKEN>`);
    const status = (await getJson(`http://127.0.0.1:${port}/api/status`)) as { apps: { name: string }[] };
    expect(status.apps.map((app) => app.name)).toEqual(['hello']);
    const page = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/hello/`, {
          headers: { Authorization: `token ${TOKEN}` },
        });
        const body = await response.text();
        return response.status === 200 && body.startsWith('hello') ? body : undefined;
      },
      { timeoutMs: WAIT_LONG, intervalMs: POLL_MEDIUM, what: 'the hello app through the runtime' },
    );
    expect(page).toBe('hello from uid 1000');
    const stopped = Date.now();
    await container.stop({ t: 10 });
    expect(Date.now() - stopped).toBeLessThan(8_000);
    const state = (await container.inspect()).State;
    expect(state.ExitCode).toBe(0);
    expect(await logsOf(container)).toContain('stopped');
  });

  it('serves for a spawner that runs `jupyterhub-singleuser --ip=... --port=...`', async () => {
    const port = await getFreePort();
    const container = await start(tags.hub, ['jupyterhub-singleuser', '--ip=127.0.0.1', `--port=${port}`], {
      HUBIFY_TOKEN: TOKEN,
    });
    await waitForLog(container, 'Open this URL');
    const status = (await getJson(`http://127.0.0.1:${port}/api/status`)) as { apps: { name: string }[] };
    expect(status.apps.map((app) => app.name)).toEqual(['hello']);
    await container.stop({ t: 10 });
  });

  it('stores the same layer when built again without the engine cache', async () => {
    const again = await hubifyBuild(debian, tags.again, { apps: [HELLO_APP], noCache: true, json: true });
    expect(again.code, again.stderr).toBe(0);
    const json = JSON.parse(again.stdout) as { ok: boolean; layer: HubifyBuildResult['layer'] };
    expect(json.ok).toBe(true);
    expect(json.layer.tarDigest).toBe(built.layer.tarDigest);
    expect(json.layer.diffId).toBe(built.layer.diffId);
    const info = await docker.getImage(tags.again).inspect();
    expect(info.RootFS.Layers?.at(-1)).toBe(built.layer.diffId);
  });
});

describe('hubify build of an image without a shell', () => {
  it('adds a user and runs the runtime and the shim with no /bin/sh in the image', async () => {
    await makeNoShellImage();
    const build = await hubifyBuild(tags.noShell, tags.noShellHub);
    expect(build.code, build.stderr).toBe(0);
    expect(build.result?.user).toEqual({
      name: 'jovyan',
      uid: 1000,
      gid: 100,
      home: '/home/jovyan',
      added: true,
      homeFromPasswd: true,
    });
    const noSh = await run(tags.noShellHub, ['/bin/sh', '-c', 'true']);
    expect(noSh.exitCode).not.toBe(0);
    const version = await run(tags.noShellHub, ['jupyterhub-singleuser', '--version']);
    expect(version.exitCode, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const port = await getFreePort();
    const container = await start(tags.noShellHub, undefined, {
      HUBIFY_TOKEN: TOKEN,
      HUBIFY_PORT: String(port),
      HUBIFY_IP: '127.0.0.1',
    });
    await waitForLog(container, 'Open this URL');
    expect(await getJson(`http://127.0.0.1:${port}/api/status`)).toMatchObject({ apps: [] });
    await container.stop({ t: 10 });
    const entries = await lastLayerEntries(tags.noShellHub);
    expect(entries.find((entry) => entry.name === 'etc/passwd')).toBeDefined();
    expect(entries.find((entry) => entry.name === 'etc/group')?.size).toBeGreaterThan(0);
  });
});

describe('hubify build of an image with its own jupyterhub-singleuser first on PATH (docker-stacks style)', () => {
  it("puts the shim in /opt/hubify/shims, first on PATH, and leaves the image's own untouched", async () => {
    await buildImage(docker, {
      context: [
        {
          path: 'Dockerfile',
          content: Buffer.from(
            [
              `FROM ${debian}`,
              'COPY jupyterhub-singleuser /opt/conda/bin/jupyterhub-singleuser',
              `ENV PATH=${CONDA_PATH}`,
              '',
            ].join('\n'),
          ),
          mode: 0o644,
        },
        {
          path: 'jupyterhub-singleuser',
          content: Buffer.from(`#!/bin/sh\necho "the image's own"\n`),
          mode: 0o755,
        },
      ],
      tags: [tags.conda],
      labels: runLabels,
    });
    const build = await hubifyBuild(tags.conda, tags.condaHub);
    expect(build.code, build.stderr).toBe(0);
    expect(build.result?.shim.path).toBe('/opt/hubify/shims/jupyterhub-singleuser');
    expect(build.result?.env).toEqual({ PATH: `/opt/hubify/shims:${CONDA_PATH}` });
    const result = await run(tags.condaHub, [
      'sh',
      '-c',
      'command -v jupyterhub-singleuser; jupyterhub-singleuser --version; /opt/conda/bin/jupyterhub-singleuser',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      '/opt/hubify/shims/jupyterhub-singleuser',
      expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
      "the image's own",
    ]);
    const names = (await lastLayerEntries(tags.condaHub)).map((entry) => entry.name);
    // Nothing in /usr/local/bin this time: outside /opt only the added user.
    expect(names.filter((name) => !name.startsWith('opt/'))).toEqual([
      'etc/',
      'etc/passwd',
      'home/',
      'home/jovyan/',
    ]);
  });
});

describe('hubify build failures that need an engine', () => {
  it('exits 3 with HUBIFY_IMAGE_NOT_FOUND when the image is neither local nor pullable', async () => {
    const failed = await hubifyBuild('127.0.0.1:1/hubify-test/missing:1', 'hubify-test/never');
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('local images of the engine: no 127.0.0.1:1/hubify-test/missing:1');
    expect(failed.stderr).toContain('[HUBIFY_IMAGE_NOT_FOUND]');
  });

  it('exits 3 with HUBIFY_PUSH_FAILED when the registry cannot be reached, the image being built', async () => {
    const failed = await hubifyBuild(debian, tags.unpushable, { push: true, apps: [HELLO_APP] });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain(`cannot push ${tags.unpushable} to 127.0.0.1:1`);
    expect(failed.stderr).toContain('[HUBIFY_PUSH_FAILED]');
    expect((await docker.getImage(tags.unpushable).inspect()).RootFS.Layers?.at(-1)).toBe(built.layer.diffId);
  });
});
