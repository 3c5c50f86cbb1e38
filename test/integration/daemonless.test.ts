// `hubify build` without a container engine (cli/build/daemonless-build.ts), end to end, with
// `--engine none` through the command's code (runBuild, in-process, with a snapshot of
// dist/hubify-proxy.mjs so every build of a run has the same runtime; `npm run build` first; the
// refusals and `hubify test` run the real CLI, dist/hubify.mjs), against a real registry:
// Debian's docker-registry on 127.0.0.1 (test/helpers/registry.ts). The fixture bases are pushed with
// `docker push` (debian, conda-notebook, the arm64 debian) and a two-platform index is put together
// from the debian amd64 and arm64 manifests with the product's registry client. Then:
//   - registry index -> registry: an index of two platforms comes out; its amd64 image, pulled into the
//     engine, passes `hubify test`; the arm64 one is checked structurally (config architecture and
//     variant, entrypoint, aarch64 ELF node and tini in the added layer); every base layer digest is
//     unchanged and a second run gives the same index digest;
//   - registry conda-notebook -> registry: passes `hubify test` with its notebook app;
//   - the config is the one the engine path gives for the same base (both built, both inspected);
//   - OCI layout (written from the registry) -> registry, pulled, passes `hubify test`; and -> an OCI
//     layout (checked: index.json names the tag, every blob present with its digest);
//   - `docker save` archive -> `docker load`-able archive, loaded, passes `hubify test`; and ->
//     registry, pulled, the same layers;
//   - Basic auth (htpasswd, credentials from a DOCKER_CONFIG config.json): denied without, built with;
//   - Bearer tokens from a real token issuer (test/helpers/registry.ts: RS256 JWTs with an x5c
//     certificate the registry trusts): denied without credentials, pushed and read with them.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { DaemonlessBuildResult } from '../../cli/build/daemonless-build.ts';
import { runBuild } from '../../cli/commands/build.ts';
import { LayoutWriter } from '../../cli/oci/oci-layout.ts';
import { RegistryClient } from '../../cli/oci/registry-client.ts';
import { MEDIA_TYPES, type ImageIndex, type ImageManifest } from '../../cli/oci/media-types.ts';
import { connectDocker, newTestRunId } from '../helpers/docker.ts';
import { startRegistry, startTokenIssuer, type RunningRegistry } from '../helpers/registry.ts';
import { CLI, describeRun, runNode, type CliResult } from '../helpers/hubify-cli.ts';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { ensureArm64Fixture } from '../images/build-arm64-fixture.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const HUB_IMAGE = 'hubify-fixture/jupyterhub:latest';
const SETUP_TIMEOUT_MS = 30 * 60_000;
const TEST_TIMEOUT_MS = 10 * 60_000;
const AARCH64 = 183;
const X86_64 = 62;
const runId = newTestRunId('daemonless');

type CliRun = CliResult;

function hubify(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runNode(args, { env: { ...process.env, NO_COLOR: '1', ...env }, timeoutMs: TEST_TIMEOUT_MS });
}

const described = describeRun;

/** `hubify build ... --engine none --insecure --json`, which must succeed. */
/** A copy of dist/hubify-proxy.mjs taken at set-up: every build of the run uses the same runtime. */
let bundle: string;

/**
 * `hubify build SOURCE --tag TAG --engine none --insecure [--output X] [--platform P]`, which must
 * succeed: in-process through the command (runBuild), with the runtime snapshot.
 */
async function buildDaemonless(
  source: string,
  tag: string,
  more: { output?: string; platform?: string } = {},
  env: NodeJS.ProcessEnv = {},
): Promise<DaemonlessBuildResult> {
  let stderr = '';
  let result: DaemonlessBuildResult | undefined;
  const io = {
    stdout: () => {},
    stderr: (text: string) => void (stderr += text),
    cwd: process.cwd(),
    env: { ...process.env, ...env },
  };
  const code = await runBuild(
    {
      image: source,
      tag,
      push: false,
      engine: 'none',
      insecure: true,
      output: more.output ?? null,
      platform: more.platform ?? null,
      apps: [],
      manifest: null,
      json: true,
      noCache: false,
      debug: false,
    },
    io,
    { runtimeBundlePath: bundle, onDaemonlessResult: (built) => (result = built) },
  );
  expect(code, stderr).toBe(0);
  if (result === undefined) throw new Error(`no result: ${stderr}`);
  return result;
}

/** `hubify test IMAGE` against the fixture hub: must exit 0 with every check passed or skipped. */
async function expectHubTestPasses(image: string, apps: string[]): Promise<void> {
  const args = ['test', image, '--hub-image', HUB_IMAGE, '--json'];
  const run = await hubify(args);
  const report = JSON.parse(run.stdout || '{}') as {
    passed?: boolean;
    checks?: { name: string; status: string }[];
  };
  expect(run.code, described(args, run)).toBe(0);
  expect(report.passed, described(args, run)).toBe(true);
  const names = (report.checks ?? []).map((check) => check.name);
  expect(names).toEqual(
    expect.arrayContaining(['endpoint-security', 'activity', 'stop', ...apps.map((app) => `app:${app}`)]),
  );
}

function pullIntoEngine(image: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['pull', image], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`docker pull ${image}: ${stderr}`)),
    );
  });
}

function dockerCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`docker ${args.join(' ')}: ${stderr}`)),
    );
  });
}

/** The ELF e_machine of the files wanted in a gzip-compressed layer blob. */
async function elfMachines(blob: Buffer, paths: string[]): Promise<Record<string, number>> {
  const extract = tar.extract();
  const found: Record<string, number> = {};
  const reading = (async () => {
    for await (const entry of extract) {
      const name = `/${entry.header.name.replace(/^\.?\//, '')}`;
      const chunks: Buffer[] = [];
      let length = 0;
      for await (const chunk of entry) {
        if (length < 64) chunks.push(chunk as Buffer);
        length += (chunk as Buffer).length;
      }
      const head = Buffer.concat(chunks);
      if (paths.includes(name) && head.subarray(0, 4).toString('latin1') === '\x7fELF')
        found[name] = head.readUInt16LE(18);
    }
  })();
  const { Readable } = await import('node:stream');
  await pipeline(Readable.from([blob]), createGunzip(), extract);
  await reading;
  return found;
}

let docker: Docker;
let registry: RunningRegistry;
let client: RegistryClient;
let scratch: string;
const host = (): string => registry.host;
const images: string[] = [];

/** GET a document (manifest/index) or blob from the test registry. */
async function getDocument<T>(
  repository: string,
  reference: string,
): Promise<{ document: T; digest: string }> {
  const got = await client.getManifest(repository, reference);
  if ('status' in got) throw new Error(`GET ${repository}:${reference}: ${got.status} ${got.message}`);
  return { document: JSON.parse(got.bytes.toString()) as T, digest: got.digest };
}

async function getBlob(repository: string, digest: string): Promise<Buffer> {
  const file = join(scratch, `blob-${digest.slice(7, 19)}`);
  await client.fetchBlob(repository, digest, file);
  return readFile(file);
}

async function pushFixture(local: string, repository: string, tag: string): Promise<string> {
  const target = `${host()}/${repository}:${tag}`;
  await dockerCli(['tag', local, target]);
  images.push(target);
  await dockerCli(['push', target]);
  return target;
}

setUpOrFailEveryTest(async () => {
  expect(existsSync(CLI), 'dist/hubify.mjs: run npm run build first').toBe(true);
  docker = await connectDocker();
  await ensureFixtures(['debian', 'conda-notebook'], { docker });
  await ensureArm64Fixture(docker);
  scratch = await mkdtemp(join(tmpdir(), 'hubify-daemonless-test-'));
  bundle = join(scratch, 'hubify-proxy.mjs');
  await copyFile(join(process.cwd(), 'dist', 'hubify-proxy.mjs'), bundle);
  registry = await startRegistry();
  client = new RegistryClient(registry.host, { insecure: true });
  await pushFixture('hubify-fixture/debian:latest', 'fixture/debian', 'latest');
  await pushFixture('hubify-fixture/conda-notebook:latest', 'fixture/conda-notebook', 'latest');
  // The two-platform index: both images in one repository, then a manifest list naming them.
  await pushFixture('hubify-fixture/debian:latest', 'fixture/multi', 'amd64');
  await pushFixture('hubify-fixture/debian-arm64:bookworm', 'fixture/multi', 'arm64');
  const platforms: [string, { os: string; architecture: string; variant?: string }][] = [
    ['amd64', { os: 'linux', architecture: 'amd64' }],
    ['arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ];
  const entries = await Promise.all(
    platforms.map(async ([tag, platform]) => {
      const got = await client.getManifest('fixture/multi', tag);
      if ('status' in got) throw new Error(`fixture/multi:${tag}: ${got.status}`);
      return { mediaType: got.mediaType, digest: got.digest, size: got.bytes.length, platform };
    }),
  );
  const list: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPES.dockerList, manifests: entries };
  await client.putManifest(
    'fixture/multi',
    'latest',
    Buffer.from(JSON.stringify(list)),
    MEDIA_TYPES.dockerList,
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await registry?.stop();
  for (const image of images) await dockerCli(['rmi', image]).catch(() => '');
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
}, 120_000);

describe('hubify build --engine none', () => {
  it(
    'turns a two-platform index into a two-platform index: amd64 passes hubify test, arm64 is right by structure, base layers unchanged, same digest twice',
    async () => {
      const tag = `${host()}/hub/multi:${runId}`;
      const first = await buildDaemonless(`${host()}/fixture/multi:latest`, tag);
      const again = await buildDaemonless(`${host()}/fixture/multi:latest`, tag);
      expect(again.image.digest).toBe(first.image.digest);
      // Base layers are mounted from the source repository (same registry), then found there.
      expect(first.blobs.mounted).toBeGreaterThanOrEqual(2);
      expect(again.blobs).toMatchObject({ mounted: 0, uploaded: 0 });
      expect(first.platforms.map((platform) => platform.platform).sort()).toEqual([
        'linux/amd64',
        'linux/arm64',
      ]);

      const { document: index, digest } = await getDocument<ImageIndex>('hub/multi', runId);
      expect(digest).toBe(first.image.digest);
      expect(index.mediaType).toBe(MEDIA_TYPES.dockerList);
      expect(index.manifests).toHaveLength(2);
      for (const entry of index.manifests) {
        const arch = entry.platform?.architecture ?? '';
        const baseTag = arch === 'arm64' ? 'arm64' : 'amd64';
        const { document: base } = await getDocument<ImageManifest>('fixture/multi', baseTag);
        const { document: built } = await getDocument<ImageManifest>('hub/multi', entry.digest);
        // Every base layer byte-identical (same digests, same order), one layer more.
        expect(built.layers.slice(0, -1).map((layer) => layer.digest)).toEqual(
          base.layers.map((layer) => layer.digest),
        );
        expect(built.layers).toHaveLength(base.layers.length + 1);
        const config = JSON.parse((await getBlob('hub/multi', built.config.digest)).toString()) as {
          architecture: string;
          variant?: string;
          config: { Entrypoint: string[]; Cmd: string[]; User: string };
          rootfs: { diff_ids: string[] };
        };
        expect(config.architecture).toBe(arch);
        expect(config.variant).toBeUndefined(); // as in the base config; the index keeps the variant:
        expect(entry.platform).toEqual(
          arch === 'arm64'
            ? { os: 'linux', architecture: 'arm64', variant: 'v8' }
            : { os: 'linux', architecture: 'amd64' },
        );
        expect(config.config.Entrypoint).toEqual(['/opt/hubify/bin/tini', '-g', '--']);
        expect(config.config.Cmd).toEqual([
          '/opt/hubify/bin/node',
          '--max-semi-space-size=4',
          '/opt/hubify/lib/hubify-proxy.mjs',
        ]);
        expect(config.config.User).toBe('1000:100');
        const layerBlob = await getBlob('hub/multi', built.layers.at(-1)?.digest ?? '');
        const machines = await elfMachines(layerBlob, ['/opt/hubify/bin/node', '/opt/hubify/bin/tini']);
        const machine = arch === 'arm64' ? AARCH64 : X86_64;
        expect(machines).toEqual({ '/opt/hubify/bin/node': machine, '/opt/hubify/bin/tini': machine });
        // The diff id is the layer tar's own sha256 (no engine re-tars it).
        const result = first.platforms.find((platform) => platform.platform === `linux/${arch}`);
        expect(config.rootfs.diff_ids.at(-1)).toBe(result?.layer.tarDigest);
      }

      await pullIntoEngine(tag);
      images.push(tag);
      await expectHubTestPasses(tag, []);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'makes conda-notebook hub-ready from the registry, with its notebook app',
    async () => {
      const tag = `${host()}/hub/conda-notebook:${runId}`;
      const result = await buildDaemonless(`${host()}/fixture/conda-notebook:latest`, tag);
      expect(result.platforms[0]?.apps).toEqual(['notebook']);
      await pullIntoEngine(tag);
      images.push(tag);
      await expectHubTestPasses(tag, ['notebook']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'gives the config the engine path gives for the same base',
    async () => {
      const base = `${host()}/fixture/debian:latest`;
      const daemonlessTag = `${host()}/hub/debian:${runId}`;
      const engineTag = `hubify-test/daemonless-compare:${runId}`;
      // Both with the runtime snapshot (dist/ may be rebuilt meanwhile).
      await buildDaemonless(base, daemonlessTag);
      const io = { stdout: () => {}, stderr: () => {}, cwd: process.cwd(), env: process.env };
      const options = {
        image: base,
        push: false,
        platform: null,
        apps: [],
        manifest: null,
        json: true,
        noCache: false,
        debug: false,
      };
      const deps = { runtimeBundlePath: bundle };
      expect(await runBuild({ ...options, tag: engineTag, engine: 'docker' }, io, deps)).toBe(0);
      images.push(engineTag);
      await pullIntoEngine(daemonlessTag);
      images.push(daemonlessTag);
      const [viaEngine, viaOci] = await Promise.all([
        docker.getImage(engineTag).inspect(),
        docker.getImage(daemonlessTag).inspect(),
      ]);
      const settings = (config: Docker.ImageInspectInfo['Config']): Record<string, unknown> => {
        const labels = { ...config.Labels };
        // The base's digest comes from the engine's RepoDigests (any repository it was pushed to).
        delete labels['org.hubify.base.digest'];
        delete labels['org.opencontainers.image.base.digest'];
        return {
          User: config.User,
          WorkingDir: config.WorkingDir,
          Env: config.Env,
          Entrypoint: config.Entrypoint,
          Cmd: config.Cmd,
          ExposedPorts: config.ExposedPorts,
          Labels: labels,
          StopSignal: (config as { StopSignal?: string }).StopSignal,
          Healthcheck: config.Healthcheck,
          OnBuild: config.OnBuild ?? null,
          Volumes: config.Volumes ?? null,
        };
      };
      expect(settings(viaOci.Config)).toEqual(settings(viaEngine.Config));
      expect(viaOci.Architecture).toBe(viaEngine.Architecture);
      expect(viaOci.Os).toBe(viaEngine.Os);
      const baseLayers = (await docker.getImage(base).inspect()).RootFS.Layers ?? [];
      expect(viaOci.RootFS.Layers?.slice(0, baseLayers.length)).toEqual(baseLayers);
      expect(viaEngine.RootFS.Layers?.slice(0, baseLayers.length)).toEqual(baseLayers);
      expect(viaOci.RootFS.Layers).toHaveLength(baseLayers.length + 1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'builds from an OCI layout into a registry and into an OCI layout',
    async () => {
      // The base layout: the debian image copied from the registry with the product's writer.
      const layout = join(scratch, 'base-layout');
      const writer = new LayoutWriter(layout);
      const got = await client.getManifest('fixture/debian', 'latest');
      if ('status' in got) throw new Error(`fixture/debian: ${got.status}`);
      const manifest = JSON.parse(got.bytes.toString()) as ImageManifest;
      for (const blob of [manifest.config, ...manifest.layers]) {
        const file = join(scratch, `copy-${blob.digest.slice(7)}`);
        await client.fetchBlob('fixture/debian', blob.digest, file);
        await writer.putFile(blob.digest, file);
      }
      await writer.putBytes(got.digest, got.bytes);
      await writer.finish({ mediaType: got.mediaType, digest: got.digest, size: got.bytes.length }, 'base');

      const tag = `${host()}/hub/from-layout:${runId}`;
      const toRegistry = await buildDaemonless(`oci:${layout}:base`, tag);
      expect(toRegistry.base.digest).toBe(got.digest);
      await pullIntoEngine(tag);
      images.push(tag);
      await expectHubTestPasses(tag, []);

      const out = join(scratch, 'out-layout');
      const toLayout = await buildDaemonless(`oci:${layout}:base`, tag, { output: `oci:${out}:hub` });
      const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as ImageIndex;
      const entry = index.manifests.find(
        (item) => item.annotations?.['org.opencontainers.image.ref.name'] === 'hub',
      );
      expect(entry?.digest).toBe(toLayout.image.digest);
      // Same inputs, same image, wherever it is written.
      expect(toLayout.image.digest).toBe(toRegistry.image.digest);
      const written = JSON.parse(
        await readFile(join(out, 'blobs', 'sha256', (entry?.digest ?? '').slice(7)), 'utf8'),
      ) as ImageManifest;
      for (const blob of [written.config, ...written.layers]) {
        const hash = createHash('sha256');
        await pipeline(createReadStream(join(out, 'blobs', 'sha256', blob.digest.slice(7))), hash);
        expect(`sha256:${hash.digest('hex')}`).toBe(blob.digest);
      }
      expect(written.layers.slice(0, -1).map((layer) => layer.digest)).toEqual(
        manifest.layers.map((layer) => layer.digest),
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'builds from a docker save archive into a docker load archive and into a registry',
    async () => {
      const saved = join(scratch, 'debian-save.tar');
      await dockerCli(['save', '-o', saved, 'hubify-fixture/debian:latest']);
      const out = join(scratch, 'hub-load.tar');
      const tag = `hubify-test/daemonless-archive:${runId}`;
      const result = await buildDaemonless(`docker-archive:${saved}`, tag, {
        output: `docker-archive:${out}`,
      });
      expect(result.platforms).toHaveLength(1);
      await dockerCli(['load', '-i', out]);
      images.push(tag);
      const loaded = await docker.getImage(tag).inspect();
      const base = await docker.getImage('hubify-fixture/debian:latest').inspect();
      expect(loaded.RootFS.Layers?.slice(0, -1)).toEqual(base.RootFS.Layers);
      expect(loaded.RootFS.Layers?.at(-1)).toBe(result.platforms[0]?.layer.tarDigest);
      await expectHubTestPasses(tag, []);

      // The same archive into a registry: its uncompressed layers go as they are (OCI media type
      // without compression), and the engine pulls them with the same diff ids.
      const pushedTag = `${host()}/hub/from-archive:${runId}`;
      await buildDaemonless(`docker-archive:${saved}`, pushedTag);
      await pullIntoEngine(pushedTag);
      images.push(pushedTag);
      const pulled = await docker.getImage(pushedTag).inspect();
      expect(pulled.RootFS.Layers).toEqual(loaded.RootFS.Layers);
      expect(pulled.Config.Entrypoint).toEqual(loaded.Config.Entrypoint);
    },
    TEST_TIMEOUT_MS,
  );

  /**
   * Against a registry that wants credentials (user hubify): the push is refused without them, works
   * with them from a DOCKER_CONFIG config.json; reading the result back as a base is refused without
   * them, and with them it is read and refused for what it is (already hub-ready), which proves its
   * config was read through the registry's auth.
   */
  async function authRoundTrip(secured: RunningRegistry, password: string): Promise<DaemonlessBuildResult> {
    const tag = `${secured.host}/hub/debian:${runId}`;
    const noCredentials = { DOCKER_CONFIG: join(scratch, 'no-docker-config') };
    const build = (source: string, target: string): string[] => [
      'build',
      source,
      '--tag',
      target,
      '--engine',
      'none',
      '--insecure',
      '--json',
    ];
    const denied = await hubify(build(`${host()}/fixture/debian:latest`, tag), noCredentials);
    expect(denied.code, denied.stderr).toBe(3);
    expect(JSON.parse(denied.stdout)).toMatchObject({ ok: false, code: 'HUBIFY_PUSH_DENIED' });

    const dockerConfig = join(scratch, `docker-config-${secured.host.replace(/\W/g, '-')}`);
    await mkdir(dockerConfig, { recursive: true });
    const auth = Buffer.from(`hubify:${password}`).toString('base64');
    await writeFile(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [secured.host]: { auth } } }),
    );
    const pushed = await buildDaemonless(
      `${host()}/fixture/debian:latest`,
      tag,
      {},
      {
        DOCKER_CONFIG: dockerConfig,
      },
    );
    expect(pushed.blobs.uploaded).toBeGreaterThan(0);

    const readArgs = build(tag, `${secured.host}/x/y:1`);
    const readDenied = await hubify(readArgs, noCredentials);
    expect(JSON.parse(readDenied.stdout), readDenied.stderr).toMatchObject({
      ok: false,
      code: 'HUBIFY_PULL_DENIED',
    });
    const read = await hubify(readArgs, { DOCKER_CONFIG: dockerConfig });
    expect(JSON.parse(read.stdout), read.stderr).toMatchObject({
      ok: false,
      code: 'HUBIFY_IMAGE_UNSUPPORTED',
    });
    expect(read.stderr).toContain('already made hub-ready');
    return pushed;
  }

  it(
    'reads and writes a registry with Basic auth, with the credentials of a docker config.json',
    async () => {
      const bcrypt = await import('bcryptjs');
      const secured = await startRegistry({ htpasswd: `hubify:${bcrypt.hashSync('s3cret-pw', 10)}\n` });
      try {
        await authRoundTrip(secured, 's3cret-pw');
      } finally {
        await secured.stop();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'reads and writes a registry with Bearer token auth from a real token issuer (realm, service, scope)',
    async () => {
      const issuer = await startTokenIssuer({
        user: 'hubify',
        password: 't0ken-pw',
        identityToken: 'refresh-me',
      });
      const secured = await startRegistry({ token: issuer });
      try {
        await authRoundTrip(secured, 't0ken-pw');
        expect(issuer.requests).toContainEqual({
          scopes: ['repository:hub/debian:pull,push'],
          authenticated: true,
        });
        expect(issuer.requests).toContainEqual({
          scopes: ['repository:hub/debian:pull'],
          authenticated: true,
        });
        expect(issuer.requests).toContainEqual({
          scopes: ['repository:hub/debian:pull,push'],
          authenticated: false,
        });
        // An identity token from config.json is sent as an OAuth2 refresh token.
        const identityConfig = join(scratch, 'docker-config-identity');
        await mkdir(identityConfig, { recursive: true });
        await writeFile(
          join(identityConfig, 'config.json'),
          JSON.stringify({ auths: { [secured.host]: { identitytoken: 'refresh-me' } } }),
        );
        const viaIdentity = await buildDaemonless(
          `${host()}/fixture/debian:latest`,
          `${secured.host}/hub/identity:1`,
          {},
          {
            DOCKER_CONFIG: identityConfig,
          },
        );
        expect(viaIdentity.blobs.uploaded ?? 0).toBeGreaterThan(0);
        expect(issuer.requests).toContainEqual({
          scopes: ['repository:hub/identity:pull,push'],
          authenticated: true,
        });
      } finally {
        await secured.stop();
        await issuer.stop();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
