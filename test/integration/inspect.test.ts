// `hubify inspect` / `hubify manifest generate` against real images in a real Docker engine: the
// fixture images of test/images/ (built or found by ensureFixtures), plus ad-hoc images made here:
//   - alpine-like: a LAYOUT MODEL of an Alpine root filesystem (musl loader, busybox, os-release; the
//     files are stubs, nothing in it can run), loaded with `docker load`, to prove the musl refusal;
//   - debian-musl: the Debian base plus /lib/ld-musl-x86_64.so.1 (Debian's musl package puts one there
//     too): still a glibc image, which must NOT be refused;
//   - s390x: a one-file image whose config says architecture s390x, to prove that refusal;
//   - rocker-key: the rocker-r fixture plus a root-owned 0600 /var/lib/rstudio-server/secure-cookie-key.
// Then the generated commands of the apps that are real here (Shiny, Notebook 6, the noVNC desktop)
// are started in their images and answered over HTTP from inside the container.
// Needs a Docker engine (bash test/setup/docker-engine.sh); without one these tests FAIL.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { EXIT } from '../../cli/errors.ts';
import type { ImageFacts } from '../../cli/image/image-facts.ts';
import { manifestFromFacts } from '../../cli/inspect/generate-manifest.ts';
import { INSPECT_LABEL, inspectImage, type InspectStats } from '../../cli/inspect/inspect-image.ts';
import { main } from '../../cli/main.ts';
import { expandPlaceholders } from '../../proxy/supervisor/placeholders.ts';
import { parseManifestText } from '../../schemas/manifest.ts';
import {
  buildImage,
  connectDocker,
  followProgress,
  newTestRunId,
  removeContainersByLabel,
  TEST_RUN_LABEL,
} from '../helpers/docker.ts';
import {
  BASE_IMAGE,
  ensureFixtures,
  FIXTURE_NAMES,
  type BuiltImage,
  type FixtureName,
} from '../images/build-fixtures.ts';

const BUILD_TIMEOUT_MS = 30 * 60_000;
/** The brief for inspect: about 2 s for a normal image. */
const INSPECT_BUDGET_MS = 2_000;
/** Archive requests an inspect may make (stats are ~2 ms, reads ~45 ms). */
const FS_CALL_BUDGET = 250;
const APP_START_TIMEOUT_MS = 60_000;

const testRunId = newTestRunId('inspect');
const runLabels = { [TEST_RUN_LABEL]: testRunId };
let docker: Docker;
let fixtures: Map<FixtureName, BuiltImage>;
/** Ad-hoc images made by this file, removed in afterAll. */
const adhoc = {
  alpine: `hubify-test/alpine-like:${testRunId}`,
  debianMusl: `hubify-test/debian-musl:${testRunId}`,
  s390x: `hubify-test/s390x:${testRunId}`,
  rockerKey: `hubify-test/rocker-key:${testRunId}`,
};
const timings: { image: string; ms: number; fsCalls: number }[] = [];

function fixture(name: FixtureName): string {
  const built = fixtures.get(name);
  if (!built) throw new Error(`fixture ${name} was not built`);
  return built.ref;
}

interface TarFile {
  name: string;
  content?: Buffer | string;
  mode?: number;
  linkname?: string;
}

async function tarOf(files: readonly TarFile[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const file of files) {
    const header = {
      name: file.name,
      mode: file.mode ?? 0o644,
      mtime: new Date('2000-01-01T00:00:00Z'),
      uid: 0,
      gid: 0,
    };
    if (file.linkname !== undefined) pack.entry({ ...header, type: 'symlink', linkname: file.linkname });
    else if (file.name.endsWith('/')) pack.entry({ ...header, type: 'directory', mode: file.mode ?? 0o755 });
    else
      pack.entry(
        header,
        typeof file.content === 'string' ? Buffer.from(file.content) : (file.content ?? Buffer.alloc(0)),
      );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** `docker load` of a one-layer image with this root filesystem and image config (no registry, any architecture). */
async function loadImage(
  tag: string,
  files: readonly TarFile[],
  config: Record<string, unknown>,
): Promise<void> {
  const layer = await tarOf(files);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const imageConfig = {
    os: 'linux',
    architecture: 'amd64',
    ...config,
    config: { Labels: runLabels, ...(config.config as object | undefined) },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created_by: 'hubify test/integration/inspect.test.ts' }],
  };
  const archive = await tarOf([
    { name: 'config.json', content: JSON.stringify(imageConfig) },
    { name: 'layer.tar', content: layer },
    {
      name: 'manifest.json',
      content: JSON.stringify([{ Config: 'config.json', RepoTags: [tag], Layers: ['layer.tar'] }]),
    },
  ]);
  const stream = await docker.loadImage(archive as unknown as NodeJS.ReadableStream);
  await followProgress(docker, stream);
}

/** A build FROM `from` that copies `files` (path in the image, content, mode). */
async function buildFrom(
  tag: string,
  from: string,
  files: { path: string; content: string; mode: number }[],
): Promise<void> {
  const dockerfile = [`FROM ${from}`, ...files.map((file, index) => `COPY f${index} ${file.path}`)].join(
    '\n',
  );
  await buildImage(docker, {
    tags: [tag],
    labels: runLabels,
    context: [
      { path: 'Dockerfile', content: Buffer.from(`${dockerfile}\n`), mode: 0o644 },
      ...files.map((file, index) => ({
        path: `f${index}`,
        content: Buffer.from(file.content),
        mode: file.mode,
      })),
    ],
  });
}

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  const ensured = await ensureFixtures(FIXTURE_NAMES, {
    docker,
    log: (line) => {
      if (/Step \d+\/\d+|built |made |building |debootstrap|docker import|ERROR/.test(line))
        console.log(line);
    },
  });
  fixtures = ensured.fixtures;
  // An Alpine-shaped layout model: the files are stubs; only their places matter to inspect.
  await loadImage(
    adhoc.alpine,
    [
      { name: 'bin/' },
      {
        name: 'bin/busybox',
        content: '#!/bin/false\n# stub: hubify layout model, not busybox\n',
        mode: 0o755,
      },
      { name: 'bin/sh', linkname: '/bin/busybox' },
      { name: 'etc/' },
      {
        name: 'etc/passwd',
        content: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n',
      },
      { name: 'etc/group', content: 'root:x:0:root\n' },
      {
        name: 'etc/os-release',
        content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
      },
      { name: 'lib/' },
      { name: 'lib/ld-musl-x86_64.so.1', content: 'stub: hubify layout model, not musl\n', mode: 0o755 },
      { name: 'lib/libc.musl-x86_64.so.1', linkname: 'ld-musl-x86_64.so.1' },
      { name: 'usr/' },
      { name: 'usr/bin/' },
    ],
    {
      config: {
        Cmd: ['/bin/sh'],
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      },
    },
  );
  await loadImage(
    adhoc.s390x,
    [{ name: 'etc/' }, { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' }],
    {
      architecture: 's390x',
      config: { Cmd: ['/bin/sh'] },
    },
  );
  await buildFrom(adhoc.debianMusl, BASE_IMAGE, [
    {
      path: '/lib/ld-musl-x86_64.so.1',
      content: 'stub: the loader of a musl package next to glibc\n',
      mode: 0o755,
    },
  ]);
  await buildFrom(adhoc.rockerKey, fixture('rocker-r'), [
    { path: '/var/lib/rstudio-server/secure-cookie-key', content: '0123456789abcdef\n', mode: 0o600 },
  ]);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (!docker) return;
  await removeContainersByLabel(docker, TEST_RUN_LABEL, testRunId);
  for (const tag of Object.values(adhoc))
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => {});
  if (timings.length > 0) {
    console.log(
      [
        'inspect timings (ms, archive requests):',
        ...timings.map(
          (t) => `  ${t.image.padEnd(48)} ${String(t.ms).padStart(5)} ms ${String(t.fsCalls).padStart(4)}`,
        ),
      ].join('\n'),
    );
  }
});

/** Inspects with this run's label, checks the time and request budgets, and that no container is left. */
async function inspect(reference: string): Promise<ImageFacts> {
  let stats: InspectStats | undefined;
  const facts = await inspectImage(docker, reference, {
    labels: runLabels,
    onStats: (value) => (stats = value),
  });
  expect(stats).toBeDefined();
  timings.push({ image: reference, ms: stats?.milliseconds ?? -1, fsCalls: stats?.fsCalls ?? -1 });
  expect(stats?.milliseconds, `inspect of ${reference} took ${stats?.milliseconds} ms`).toBeLessThan(
    INSPECT_BUDGET_MS,
  );
  expect(stats?.fsCalls, `inspect of ${reference} made ${stats?.fsCalls} archive requests`).toBeLessThan(
    FS_CALL_BUDGET,
  );
  const left = await docker.listContainers({
    all: true,
    filters: { label: [`${TEST_RUN_LABEL}=${testRunId}`, `${INSPECT_LABEL}=1`] },
  });
  expect(left, 'inspect removes its container').toEqual([]);
  return facts;
}

function apps(facts: ImageFacts): string[] {
  return facts.apps.map((app) => `${app.name}:${app.template}`);
}

describe('inspect: the fixture images', () => {
  it('debian: glibc 2.36, root, no apps, and the build adds jovyan', async () => {
    const facts = await inspect(fixture('debian'));
    expect(facts).toMatchObject({
      os: 'linux',
      architecture: 'amd64',
      libc: { kind: 'glibc', version: '2.36' },
      defaultUser: { name: 'root', uid: 0, home: '/root' },
      nonRootUser: null,
      hasShell: true,
      condaPrefixes: [],
      jupyterhubSingleuser: null,
      apps: [],
      unsupported: [],
    });
    expect(facts.libc.evidence).toContain('/usr/bin/ldd says ldd (Debian GLIBC 2.36');
    expect(facts.libc.evidence).toContain('Debian GNU/Linux 12 (bookworm)');
    expect(facts.config.cmd).toEqual(['bash']);
    expect(facts.notes).toEqual([
      expect.stringContaining('No regular user (uid 1000 to 59999) in /etc/passwd: the build adds jovyan'),
    ]);
  });

  it('rocker-r: RStudio (layout), the Shiny app with Rscript, user rstudio, the /init note', async () => {
    const facts = await inspect(fixture('rocker-r'));
    expect(apps(facts)).toEqual(['rstudio:rstudio', 'hello:shiny-app']);
    expect(facts.apps[0]).toEqual({
      template: 'rstudio',
      name: 'rstudio',
      evidence: '/usr/lib/rstudio-server/bin/rserver exists',
      values: { executable: '/usr/lib/rstudio-server/bin/rserver' },
    });
    expect(facts.apps[1]).toEqual({
      template: 'shiny-app',
      name: 'hello',
      evidence:
        '/srv/shiny-server/hello/app.R; Rscript at /usr/local/bin/Rscript (-> /usr/bin/Rscript); R package shiny in /usr/lib/R/site-library',
      values: { executable: '/usr/local/bin/Rscript', appDir: '/srv/shiny-server/hello', title: 'hello' },
    });
    expect(facts.defaultUser.name).toBe('root');
    expect(facts.nonRootUser).toEqual({
      name: 'rstudio',
      uid: 1000,
      gid: 1000,
      home: '/home/rstudio',
      shell: '/bin/bash',
    });
    expect(facts.notes).toEqual([
      'The image runs as root (uid 0) by default; the apps run as rstudio (uid 1000, home /home/rstudio).',
      expect.stringMatching(
        /^CMD \["\/init"\] is s6-overlay \(Rocker style\): it must start as root and dies as any other user .*The runtime replaces it/,
      ),
    ]);
    expect(facts.unsupported).toEqual([]);
  });

  it('rocker-r with a root-owned secure-cookie-key: RStudio gets its own key file and data dir (note)', async () => {
    const facts = await inspect(adhoc.rockerKey);
    expect(facts.notes).toContainEqual(
      expect.stringMatching(
        /^\/var\/lib\/rstudio-server\/secure-cookie-key belongs to uid 0 with mode 0600: unreadable to the app user.*own key file \(--secure-cookie-key-file\) and data dir \(--server-data-dir\)/,
      ),
    );
  });

  it('conda-notebook: the conda prefix and classic Notebook 6 from it', async () => {
    const facts = await inspect(fixture('conda-notebook'));
    expect(facts.condaPrefixes).toEqual(['/opt/conda']);
    expect(facts.apps).toEqual([
      {
        template: 'notebook',
        name: 'notebook',
        evidence:
          'jupyter-notebook at /opt/conda/bin/jupyter-notebook; Notebook 6.4.12 (its script requires notebook==6.4.12)',
        values: { executable: '/opt/conda/bin/jupyter-notebook' },
      },
    ]);
    expect(facts.defaultUser).toMatchObject({ name: 'user', uid: 1000 });
    expect(facts.nonRootUser?.name).toBe('user');
    expect(facts.path[0]).toBe('/opt/conda/bin');
    expect(facts.notes).toEqual([]);
  });

  it('docker-stacks: jupyterhub-singleuser (hubify takes the hub role) and Notebook 6 as an app', async () => {
    const facts = await inspect(fixture('docker-stacks'));
    expect(facts.jupyterhubSingleuser).toBe('/usr/bin/jupyterhub-singleuser');
    expect(apps(facts)).toEqual(['notebook:notebook']);
    expect(facts.defaultUser).toEqual({
      name: 'jovyan',
      uid: 1000,
      gid: 100,
      home: '/home/jovyan',
      shell: '/bin/bash',
    });
    expect(facts.config.entrypoint).toEqual(['tini', '-g', '--', 'start.sh']);
    expect(facts.notes).toEqual([
      'jupyterhub-singleuser at /usr/bin/jupyterhub-singleuser (docker-stacks style): hubify-proxy takes its place and talks to ' +
        'the hub itself; Jupyter runs as the app "notebook".',
    ]);
  });

  it('desktop: websockify, TigerVNC, noVNC and a session make the desktop app', async () => {
    const facts = await inspect(fixture('desktop'));
    expect(facts.apps).toEqual([
      {
        template: 'desktop',
        name: 'desktop',
        evidence:
          'websockify at /usr/bin/websockify; VNC server /usr/bin/Xtigervnc; noVNC in /usr/share/novnc; session /etc/X11/Xsession',
        values: {
          websockify: '/usr/bin/websockify',
          vncServer: '/usr/bin/Xtigervnc',
          novncDir: '/usr/share/novnc',
          session: '/etc/X11/Xsession',
        },
      },
    ]);
    expect(facts.nonRootUser?.name).toBe('headless');
  });
});

describe('inspect: refusals and non-refusals', () => {
  it('an Alpine-like (musl) layout is unsupported, with the reason', async () => {
    const facts = await inspect(adhoc.alpine);
    expect(facts.libc).toEqual({
      kind: 'musl',
      version: null,
      evidence: '/lib/ld-musl-x86_64.so.1 exists and no glibc libc.so.6 does (Alpine Linux v3.20)',
    });
    expect(facts.unsupported).toEqual([
      expect.stringMatching(
        /^musl libc \(\/lib\/ld-musl-x86_64\.so\.1 \(Alpine Linux v3\.20\), Alpine style\)/,
      ),
    ]);
  });

  it('Debian with a musl loader next to glibc is still glibc, not refused', async () => {
    const facts = await inspect(adhoc.debianMusl);
    expect(facts.libc.kind).toBe('glibc');
    expect(facts.unsupported).toEqual([]);
    expect(facts.notes).toContain(
      '/lib/ld-musl-x86_64.so.1 exists too (a musl package next to glibc); hubify uses glibc.',
    );
  });

  it('an s390x image is unsupported (architecture), and says why its libc is missing too', async () => {
    const facts = await inspect(adhoc.s390x);
    expect(facts.architecture).toBe('s390x');
    expect(facts.unsupported[0]).toBe(
      'architecture s390x: hubify-proxy is shipped for amd64 and arm64 only.',
    );
  });
});

/** stdout and stderr of a non-TTY exec, from the engine's 8-byte-header frames. */
function demux(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

describe('the generated commands start the real apps', () => {
  /**
   * Starts app `name` of `image` with its generated command (placeholders expanded as the runtime
   * would, app URL /user/tester/<name>/) as the image's non-root user, then runs `check` inside the
   * container until it exits 0. Returns the check's output.
   */
  async function startAndCheck(image: string, name: string, check: string[]): Promise<string> {
    const facts = await inspect(image);
    const generated = manifestFromFacts(facts);
    expect(generated.issues).toEqual([]);
    const app = generated.manifest.apps.find((item) => item.name === name);
    if (app === undefined) throw new Error(`no app ${name} in the manifest for ${image}`);
    const user = facts.nonRootUser;
    if (user === null) throw new Error(`${image} has no non-root user`);
    const values = {
      port: '18080',
      unix_socket: '',
      base_url: '/user/tester/',
      app_url: `/user/tester/${name}/`,
      user: 'tester@example.org',
      home: user.home,
    };
    const command = (app.command ?? []).map((arg) => expandPlaceholders(arg, values));
    const env = Object.entries(app.environment ?? {}).map(
      ([key, value]) => `${key}=${expandPlaceholders(value, values)}`,
    );
    const container = await docker.createContainer({
      Image: image,
      Entrypoint: [],
      Cmd: command,
      User: `${user.uid}:${user.gid}`,
      Env: [...env, `HOME=${user.home}`],
      WorkingDir: user.home,
      Labels: runLabels,
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await container.start();
      const deadline = Date.now() + APP_START_TIMEOUT_MS;
      let last = '';
      while (Date.now() < deadline) {
        const exec = await container.exec({
          Cmd: check,
          AttachStdout: true,
          AttachStderr: true,
          User: `${user.uid}`,
        });
        const stream = (await exec.start({})) as Readable;
        const chunks: Buffer[] = [];
        for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
        last = demux(Buffer.concat(chunks));
        const { ExitCode, Running } = await exec.inspect();
        if (!Running && ExitCode === 0) return last;
        const state = await container.inspect();
        if (!state.State.Running) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const logs = (await container.logs({ stdout: true, stderr: true })).toString('latin1');
      throw new Error(
        `${name} in ${image} did not answer: ${last.slice(-800)}\n--- app output ---\n${logs.slice(-2000)}`,
      );
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }

  it('Shiny (rocker-r, Debian R and shiny): the app page', async () => {
    const script =
      'x <- readLines(url("http://127.0.0.1:18080/"), warn = FALSE); stopifnot(any(grepl("shiny", x))); cat("OK\\n")';
    expect(await startAndCheck(fixture('rocker-r'), 'hello', ['Rscript', '-e', script])).toContain('OK');
  });

  it.each(['conda-notebook', 'docker-stacks'] as const)(
    'Notebook 6 (%s): its API at the app URL, with the public Host header the runtime forwards',
    async (name) => {
      const script = [
        'import json, urllib.request',
        "request = urllib.request.Request('http://127.0.0.1:18080/user/tester/notebook/api', headers={'Host': 'hub.example.org'})",
        "print(json.load(urllib.request.urlopen(request))['version'])",
      ].join('\n');
      expect(await startAndCheck(fixture(name), 'notebook', ['python3', '-c', script])).toMatch(/^6\.4\.\d+/);
    },
  );

  it('desktop (TigerVNC, noVNC, websockify): redirect page, vnc.html, a websocket to the VNC server, the session', async () => {
    const script = [
      'import glob, socket, urllib.request',
      "page = urllib.request.urlopen('http://127.0.0.1:18080/').read().decode()",
      "assert 'vnc.html?autoconnect=1&amp;resize=remote&amp;reconnect=1&amp;path=user/tester/desktop/websockify' in page, page",
      "assert urllib.request.urlopen('http://127.0.0.1:18080/vnc.html').status == 200",
      "s = socket.create_connection(('127.0.0.1', 18080), timeout=5)",
      "s.sendall(b'GET /websockify HTTP/1.1\\r\\nHost: hub.example.org\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n'",
      "          b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\nSec-WebSocket-Protocol: binary\\r\\n\\r\\n')",
      "data = b''",
      "while b'RFB' not in data:",
      '    chunk = s.recv(4096)',
      '    assert chunk, data',
      '    data += chunk',
      "assert data.startswith(b'HTTP/1.1 101'), data",
      "sessions = [p for p in glob.glob('/proc/[0-9]*/cmdline') if b'xterm' in open(p, 'rb').read()]",
      "assert sessions, 'no xterm (the session) is running'",
      "print('RFB', data.split(b'RFB')[1][:8].decode())",
    ].join('\n');
    expect(await startAndCheck(fixture('desktop'), 'desktop', ['python3', '-c', script])).toContain(
      'RFB  003.008',
    );
  });
});

describe('the CLI against the engine', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubify-inspect-it-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function hubify(args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(args, {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      cwd: dir,
      env: process.env,
    });
    return { code, stdout, stderr };
  }

  it('hubify build refuses an Alpine-like (musl) image with the reason, exit 1, and builds nothing', async () => {
    const tag = `hubify-test/refused:${testRunId}`;
    const run = await hubify(['build', adhoc.alpine, '--tag', tag]);
    expect(run.code).toBe(EXIT.CHECK_FAILED);
    expect(run.stderr).toContain('HUBIFY_IMAGE_UNSUPPORTED');
    expect(run.stderr).toMatch(/musl libc/);
    await expect(docker.getImage(tag).inspect()).rejects.toThrow();
  });

  it('hubify inspect prints the facts, the apps with their evidence, the notes; exit 0', async () => {
    const run = await hubify(['inspect', fixture('rocker-r')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toMatch(/^Image {18}hubify-fixture\/rocker-r:[0-9a-f]{12}$/m);
    expect(run.stdout).toContain(
      '\nApps run as            rstudio (uid 1000, gid 1000, home /home/rstudio)\n',
    );
    expect(run.stdout).toContain(
      '\nApps (2):\n  NAME     TEMPLATE   EVIDENCE\n  rstudio  rstudio    /usr/lib/rstudio-server/bin/rserver exists\n',
    );
    expect(run.stdout).toContain('Notes:\n  - The image runs as root');
    expect(run.stdout).toContain('Supported: yes');
  });

  it('hubify inspect --json prints ImageFacts', async () => {
    const run = await hubify(['inspect', '--json', fixture('docker-stacks')]);
    expect(run.code).toBe(EXIT.OK);
    const facts = JSON.parse(run.stdout) as ImageFacts;
    expect(facts.jupyterhubSingleuser).toBe('/usr/bin/jupyterhub-singleuser');
    expect(facts.apps.map((app) => app.name)).toEqual(['notebook']);
  });

  it('an unsupported image exits 1 with its reasons', async () => {
    const run = await hubify(['inspect', adhoc.alpine]);
    expect(run.code).toBe(EXIT.CHECK_FAILED);
    expect(run.stdout).toContain('Unsupported:\n  - musl libc');
    expect(run.stderr).toBe(`hubify: ${adhoc.alpine} cannot be made hub-ready (see "Unsupported" above)\n`);
  });

  it('an image the engine does not have is HUBIFY_IMAGE_NOT_FOUND (exit 3), never pulled', async () => {
    const run = await hubify(['inspect', `hubify-test/no-such-image:${testRunId}`]);
    expect(run.code).toBe(EXIT.MISSING);
    expect(run.stderr).toContain(`hubify: the engine has no image hubify-test/no-such-image:${testRunId}`);
    expect(run.stderr).toContain('[HUBIFY_IMAGE_NOT_FOUND]');
  });

  it('hubify manifest generate writes a valid manifest to stdout', async () => {
    const run = await hubify(['manifest', 'generate', fixture('rocker-r')]);
    expect(run.code).toBe(EXIT.OK);
    expect(run.stderr).toBe('');
    const result = parseManifestText(run.stdout, 'stdout');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.manifest.defaultApp).toBe('rstudio');
    expect(result.manifest.apps.map((app) => app.name)).toEqual(['rstudio', 'hello']);
    expect(result.manifest.image?.cmd).toEqual(['/init']);
  });

  it('--out, --manifest and --app: overrides replace and add apps', async () => {
    await writeFile(
      join(dir, 'overrides.yaml'),
      [
        'defaultApp: hello',
        'apps:',
        '  - name: hello',
        '    title: Hello from the override',
        '    command: [Rscript, /srv/app.R, "{port}"]',
        '',
      ].join('\n'),
    );
    const run = await hubify([
      'manifest',
      'generate',
      fixture('conda-notebook'),
      '--manifest',
      'overrides.yaml',
      '--app',
      'files=python3 -m http.server {port} --bind 127.0.0.1',
      '--out',
      'hubify.json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.OK);
    expect(run.stdout).toBe(
      'hubify: wrote hubify.json (3 apps: notebook, hello, files; the server root opens hello)\n',
    );
    const result = parseManifestText(await readFile(join(dir, 'hubify.json'), 'utf8'), 'hubify.json');
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.manifest.apps.map((app) => [app.name, app.title])).toEqual([
      ['notebook', 'Jupyter Notebook'],
      ['hello', 'Hello from the override'],
      ['files', 'files'],
    ]);
  });

  it('an override that makes the manifest invalid exits 2 with every problem', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      'defaultApp: nothing\napps:\n  - name: Bad Name\n    command: [x]\n',
    );
    const run = await hubify(['manifest', 'generate', fixture('debian'), '--manifest', 'bad.yaml']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `hubify: the manifest generated for ${fixture('debian')} is invalid (2 problems)`,
    );
    expect(run.stderr).toContain('[HUBIFY_MANIFEST_INVALID]');
  });
});
