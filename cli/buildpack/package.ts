/**
 * `hubify buildpack package`: writes a runnable buildpack directory for one architecture (layout in
 * payload.ts): the descriptor, bin/detect and bin/build (from `buildpack/bin/`), the buildpack program
 * (dist/hubify-buildpack.mjs), and the same parts `hubify build` puts into images: the pinned Node,
 * Debian's static tini and the runtime bundle (cli/layer/). Written to a sibling staging directory
 * and renamed into place, so OUT_DIR is either the old package or the complete new one.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EXIT, HubifyError } from '../errors.ts';
import { obtainRuntimeParts } from '../layer/runtime-parts.ts';
import { loadRuntimeBundle, runtimeBundlePath } from '../layer/runtime-bundle.ts';
import { BUILDPACK_ID, buildpackToml, type BuildpackArch } from './descriptor.ts';
import { PACKAGE_PATHS, type PayloadInfo } from './payload.ts';

/** The npm Node package and the Debian architecture of each buildpack architecture. */

export const BUILDPACK_BUNDLE_NAME = 'hubify-buildpack.mjs';

export interface PackageRequest {
  arch: BuildpackArch;
  outDir: string;
  version: string;
  cacheDir: string;
  env: Readonly<Record<string, string | undefined>>;
  step: (line: string) => void;
  /** dist/hubify-proxy.mjs; the buildpack program and `buildpack/bin` are found from its folder. */
  runtimeBundlePath?: string;
}

export interface PackageResult {
  outDir: string;
  arch: BuildpackArch;
  payload: PayloadInfo;
  /** Bytes of Node, tini, the runtime and the buildpack program. */
  bytes: number;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The buildpack's program and scripts, next to the runtime bundle (dist/) and in ../buildpack/bin. */
export function buildpackSources(bundlePath: string): { script: string; bin: string } {
  const dist = dirname(bundlePath);
  return { script: join(dist, BUILDPACK_BUNDLE_NAME), bin: join(dist, '..', 'buildpack', 'bin') };
}

async function readSource(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new HubifyError({
      code: 'HUBIFY_BUILDPACK_PARTS_MISSING',
      message: `${path} is missing`,
      detail: `hubify buildpack package copies it into the buildpack.\n${(error as Error).message}`,
      hint: 'Run "npm run build" in the hubify repository (or reinstall the hubify package), then run again.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
}

/** OUT_DIR may be new, empty, or a package this command made (then it is replaced). */
async function checkOutDir(outDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(outDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new HubifyError({
      code: 'HUBIFY_BUILDPACK_OUT_DIR',
      message: `cannot write the buildpack to ${outDir}`,
      detail: (error as Error).message,
      hint: 'Give a new directory, or an empty one.',
      exitCode: EXIT.USAGE,
    });
  }
  if (entries.length === 0) return;
  const descriptor = await readFile(join(outDir, PACKAGE_PATHS.descriptor), 'utf8').catch(() => '');
  if (!descriptor.includes(`id = "${BUILDPACK_ID}"`))
    throw new HubifyError({
      code: 'HUBIFY_BUILDPACK_OUT_DIR',
      message: `${outDir} is not empty and is not a hubify buildpack`,
      detail: `it holds ${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}; hubify only replaces a buildpack it made.`,
      hint: 'Give a new directory, or an empty one.',
      exitCode: EXIT.USAGE,
    });
}

export async function packageBuildpack(request: PackageRequest): Promise<PackageResult> {
  const bundlePath = request.runtimeBundlePath ?? runtimeBundlePath();
  const sources = buildpackSources(bundlePath);
  await checkOutDir(request.outDir);
  const runtime = await loadRuntimeBundle(bundlePath);
  const script = await readSource(sources.script);
  const detect = await readSource(join(sources.bin, 'detect'));
  const build = await readSource(join(sources.bin, 'build'));
  const { node, tini } = await obtainRuntimeParts({
    arch: request.arch,
    cacheDir: request.cacheDir,
    env: request.env,
    onProgress: request.step,
  });

  const payload: PayloadInfo = {
    hubifyVersion: request.version,
    arch: request.arch,
    node: { version: node.version, sha256: node.sha256 },
    tini: { version: tini.version, sha256: tini.sha256 },
    runtime: { sha256: sha256(runtime.content) },
  };
  const staging = join(dirname(request.outDir), `.${basename(request.outDir)}.staging-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const put = async (path: string, content: Buffer | string, mode: number): Promise<void> => {
    const target = join(staging, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    await chmod(target, mode);
  };
  const copy = async (from: string, path: string, mode: number): Promise<void> => {
    const target = join(staging, path);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(from, target);
    await chmod(target, mode);
  };
  try {
    await put(PACKAGE_PATHS.descriptor, buildpackToml(request.version, [request.arch]), 0o644);
    await put(PACKAGE_PATHS.detect, detect, 0o755);
    await put(PACKAGE_PATHS.build, build, 0o755);
    await put(PACKAGE_PATHS.script, script, 0o644);
    await copy(node.path, PACKAGE_PATHS.node, 0o755);
    await copy(tini.path, PACKAGE_PATHS.tini, 0o755);
    await put(PACKAGE_PATHS.runtime, runtime.content, 0o755);
    if (node.licensePath !== null)
      await copy(node.licensePath, `${PACKAGE_PATHS.licenses}/node-LICENSE`, 0o644);
    if (tini.copyrightPath !== null)
      await copy(tini.copyrightPath, `${PACKAGE_PATHS.licenses}/tini-copyright`, 0o644);
    await put(PACKAGE_PATHS.info, `${JSON.stringify(payload, null, 2)}\n`, 0o644);
    await rm(request.outDir, { recursive: true, force: true });
    await mkdir(dirname(request.outDir), { recursive: true });
    await rename(staging, request.outDir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  let bytes = 0;
  for (const path of [PACKAGE_PATHS.node, PACKAGE_PATHS.tini, PACKAGE_PATHS.runtime, PACKAGE_PATHS.script])
    bytes += (await stat(join(request.outDir, path))).size;
  return { outDir: request.outDir, arch: request.arch, payload, bytes };
}
