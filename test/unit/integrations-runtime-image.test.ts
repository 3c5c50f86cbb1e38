// What the runtime image is made of, without an engine: the layer entries (the build layer's
// /opt/hubify part, the shim in its own directory, the detector, hubify-entrypoint, nothing outside
// /opt), the image config (fixed, so the same layer gives the same image id), the `docker load`
// archive, hubify-entrypoint's routing (run by /bin/sh), and hubify-detect: LocalImageFs answers like
// the in-memory ImageFs detection is tested with, and detection inside a directory tree writes the
// manifest `hubify manifest` would.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalImageFs } from '../../cli/integrations/in-image/local-fs.ts';
import {
  imageInputFromInside,
  parseDetectArgs,
  runDetect,
} from '../../cli/integrations/in-image/detect-main.ts';
import { scratchImageConfig, writeLoadArchive } from '../../cli/integrations/runtime-image/image-archive.ts';
import {
  DETECT_LAYOUT,
  EMPTY_MANIFEST,
  ENTRYPOINT_SCRIPT,
  entrypointScript,
  RUNTIME_IMAGE_SHIM,
  runtimeImageEntries,
} from '../../cli/integrations/runtime-image/runtime-layer.ts';
import { MemoryImageFs } from '../../cli/inspect/memory-fs.ts';
import { listTar, sortLayerEntries } from '../../cli/layer/layer-tar.ts';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hubify-integrations-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('runtime image layer', () => {
  const entries = runtimeImageEntries({
    mtime: 1_704_067_200,
    node: { kind: 'buffer', data: Buffer.from('node') },
    tini: { kind: 'buffer', data: Buffer.from('tini') },
    runtime: Buffer.from('#!/opt/hubify/bin/node\nruntime'),
    detect: Buffer.from('#!/opt/hubify/bin/node\ndetect'),
    licenses: { 'node-LICENSE': Buffer.from('MIT') },
  });
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));

  it('holds /opt/hubify only, with the shim in its own directory and the empty default manifest', () => {
    expect(() => sortLayerEntries(entries)).not.toThrow();
    for (const entry of entries)
      expect(entry.path === '/opt' || entry.path.startsWith('/opt/hubify')).toBe(true);
    expect(byPath.get(RUNTIME_IMAGE_SHIM)).toMatchObject({
      type: 'symlink',
      target: '/opt/hubify/lib/hubify-proxy.mjs',
    });
    expect(RUNTIME_IMAGE_SHIM).toBe('/opt/hubify/shims/jupyterhub-singleuser');
    expect(byPath.get(DETECT_LAYOUT.link)).toMatchObject({
      type: 'symlink',
      target: '../lib/hubify-detect.mjs',
    });
    expect(byPath.get(DETECT_LAYOUT.bundle)).toMatchObject({ type: 'file', mode: 0o755 });
    expect(byPath.get(ENTRYPOINT_SCRIPT)).toMatchObject({ type: 'file', mode: 0o755, uid: 0, gid: 0 });
    const manifest = byPath.get('/opt/hubify/manifest.json');
    expect(
      manifest?.type === 'file' && manifest.content.kind === 'buffer' ? manifest.content.data : null,
    ).toEqual(EMPTY_MANIFEST);
    expect(JSON.parse(EMPTY_MANIFEST.toString())).toEqual({ schemaVersion: 1, apps: [] });
  });
});

describe('runtime image config and archive', () => {
  const config = scratchImageConfig({
    architecture: 'arm64',
    diffId: `sha256:${'1'.repeat(64)}`,
    labels: { b: '2', a: '1' },
    created: 0,
    createdBy: 'test',
  });

  it('is fixed by its inputs (so its sha256, the image id, is too)', () => {
    const parsed = JSON.parse(config.bytes.toString()) as Record<string, unknown>;
    expect(parsed).toEqual({
      architecture: 'arm64',
      os: 'linux',
      created: '1970-01-01T00:00:00.000Z',
      config: { Labels: { a: '1', b: '2' } },
      rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] },
      history: [{ created: '1970-01-01T00:00:00.000Z', created_by: 'test' }],
    });
    expect(Object.keys((parsed.config as { Labels: object }).Labels)).toEqual(['a', 'b']);
    expect(config.descriptor.digest).toBe(
      `sha256:${createHash('sha256').update(config.bytes).digest('hex')}`,
    );
  });

  it('is a docker load archive: config, layer, manifest.json naming the tag', async () => {
    const layerFile = join(root, 'layer.tar');
    await writeFile(layerFile, Buffer.alloc(1024));
    const diffId = `sha256:${createHash('sha256').update(Buffer.alloc(1024)).digest('hex')}`;
    const archive = join(root, 'image.tar');
    await writeLoadArchive(archive, { config, layerFile, layerSize: 1024, diffId, tag: 'me/rt:1' });
    const listing = await listTar(createReadStream(archive));
    expect(listing.map((entry) => entry.name)).toEqual([
      `blobs/sha256/${config.descriptor.digest.slice(7)}`,
      `blobs/sha256/${diffId.slice(7)}`,
      'manifest.json',
    ]);
  });
});

describe('hubify-entrypoint', () => {
  const script = entrypointScript();
  const sh = (args: string[]) =>
    spawnSync('/bin/sh', ['-c', script, 'hubify-entrypoint', ...args], { encoding: 'utf8' });

  it('runs any other command as given', () => {
    const run = sh(['echo', 'as', 'given']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('as given\n');
  });

  it('starts the runtime (by absolute path) for no command, jupyterhub-singleuser, any path to it, or flags', () => {
    // No /opt/hubify here: the shell says which program it tried to run.
    for (const args of [
      [],
      ['jupyterhub-singleuser', '--port=1'],
      ['/x/bin/jupyterhub-singleuser'],
      ['--debug'],
    ]) {
      const run = sh(args);
      expect(run.status, args.join(' ')).toBe(127);
      expect(run.stderr, args.join(' ')).toContain('/opt/hubify/bin/node');
    }
    expect(execFileSync('/bin/sh', ['-n', '-c', script], { encoding: 'utf8' })).toBe('');
  });
});

describe('hubify-detect', () => {
  it('reads a directory tree as the engine archive API would (LocalImageFs vs MemoryImageFs)', async () => {
    const tree = join(root, 'tree');
    await mkdir(join(tree, 'usr/bin'), { recursive: true });
    await mkdir(join(tree, 'opt/env/bin'), { recursive: true });
    await writeFile(join(tree, 'usr/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(join(tree, 'etc-file'), 'abcdef');
    await symlink('/usr/bin/tool', join(tree, 'opt/env/bin/abs'));
    await symlink('../../../usr/bin/tool', join(tree, 'opt/env/bin/rel'));
    await symlink('/opt/env', join(tree, 'envlink'));
    const memory = new MemoryImageFs({
      '/usr/bin/tool': { kind: 'file', content: '#!/bin/sh\n', mode: 0o755 },
      '/etc-file': 'abcdef',
      '/opt/env/bin/abs': { kind: 'symlink', target: '/usr/bin/tool' },
      '/opt/env/bin/rel': { kind: 'symlink', target: '../../../usr/bin/tool' },
      '/envlink': { kind: 'symlink', target: '/opt/env' },
    });
    const local = new LocalImageFs(tree);
    for (const path of [
      '/usr/bin/tool',
      '/opt/env/bin/abs',
      '/opt/env/bin/rel',
      '/envlink/bin/abs',
      '/missing',
      '/envlink',
    ]) {
      const [a, b] = await Promise.all([local.stat(path), memory.stat(path)]);
      expect({ kind: a?.kind, linkTarget: a?.linkTarget }, path).toEqual({
        kind: b?.kind,
        linkTarget: b?.linkTarget,
      });
    }
    expect((await local.stat('/usr/bin/tool'))?.mode).toBe(0o755);
    const read = await local.readFile('/envlink/bin/rel', 3);
    expect(read).toMatchObject({ path: '/usr/bin/tool', content: Buffer.from('#!/'), truncated: true });
    expect(await local.readFile('/usr/bin', 10)).toBeNull();
    const listed = await local.list('/envlink', { maxDepth: 2, maxBytes: 1 << 20 });
    expect(listed?.entries.map((entry) => `${entry.name}:${entry.kind}`)).toEqual([
      'bin:dir',
      'bin/abs:symlink',
      'bin/rel:symlink',
    ]);
    expect((await local.list('/', { maxDepth: 1, maxBytes: 600 }))?.truncated).toBe(true);
  });

  it('takes the user from --user or NB_USER, and the image env from the build step minus its own variables', () => {
    expect(parseDetectArgs([], { NB_USER: 'jovyan' })).toMatchObject({
      kind: 'run',
      request: { user: 'jovyan', out: '/opt/hubify/manifest.json' },
    });
    expect(parseDetectArgs(['--user', 'x', '--out', '-'], {})).toMatchObject({
      request: { user: 'x', out: '-' },
    });
    expect(parseDetectArgs(['--nope'], {}).kind).toBe('usage');
    const input = imageInputFromInside(
      { user: 'u', reference: 'r' },
      { PATH: '/bin', HOSTNAME: 'abc', SHLVL: '1' },
      'x64',
    );
    expect(input.architecture).toBe('amd64');
    expect(input.config.env).toEqual({ PATH: '/bin' });
  });

  it('writes the manifest of the image it runs in: a Jupyter Notebook found on PATH', async () => {
    const image = join(root, 'image');
    await mkdir(join(image, 'etc'), { recursive: true });
    await mkdir(join(image, 'lib/x86_64-linux-gnu'), { recursive: true });
    await mkdir(join(image, 'env/bin'), { recursive: true });
    await mkdir(join(image, 'home/jovyan'), { recursive: true });
    await mkdir(join(image, 'opt/hubify'), { recursive: true });
    await writeFile(
      join(image, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\njovyan:x:1000:1000::/home/jovyan:/bin/sh\n',
    );
    await writeFile(join(image, 'etc/group'), 'root:x:0:\njovyan:x:1000:\n');
    await writeFile(
      join(image, 'lib/x86_64-linux-gnu/libc.so.6'),
      'GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.\n',
    );
    await mkdir(join(image, 'bin'), { recursive: true });
    await writeFile(join(image, 'bin/sh'), '', { mode: 0o755 });
    await writeFile(
      join(image, 'env/bin/jupyter-notebook'),
      '#!/env/bin/python\nfrom notebook.notebookapp import main\n',
      { mode: 0o755 },
    );
    let stderr = '';
    const code = await runDetect(
      ['--user', 'jovyan', '--out', join(image, 'opt/hubify/manifest.json')],
      { PATH: '/env/bin:/usr/bin:/bin', HOME: '/home/jovyan' },
      { stdout: () => {}, stderr: (text) => (stderr += text) },
      image,
    );
    expect(code, stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(image, 'opt/hubify/manifest.json'), 'utf8')) as {
      defaultApp: string;
      apps: { name: string; command: string[] }[];
    };
    expect(manifest.apps.map((app) => app.name)).toEqual(['notebook']);
    expect(manifest.apps[0]?.command[0]).toBe('/env/bin/jupyter-notebook');
    expect(manifest.defaultApp).toBe('notebook');
    expect(stderr).toContain('apps notebook');
  });
});
