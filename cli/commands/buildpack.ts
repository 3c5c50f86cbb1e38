/**
 * `hubify buildpack package OUT_DIR [--platform linux/amd64|linux/arm64]`: writes the Cloud Native
 * Buildpack `hubify/hub-runtime` for one architecture (cli/buildpack/package.ts), ready for
 * `pack build --buildpack OUT_DIR` or `pack buildpack package`. Progress to stderr, the result to stdout.
 * Exit 0 written; 2 bad usage or an OUT_DIR that is not ours; 3 a part is missing (Node, tini, bundles).
 */
import { resolve } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import {
  BUILDPACK_ARCHES,
  BUILDPACK_ID,
  isBuildpackArch,
  type BuildpackArch,
} from '../buildpack/descriptor.ts';
import { packageBuildpack } from '../buildpack/package.ts';
import { EXIT, usageError } from '../errors.ts';
import { hubifyCacheDir } from '../layer/cache-dir.ts';
import type { CliIo } from '../output.ts';

export interface BuildpackPackageOptions {
  outDir: string;
  platform: string;
}

export function buildpackArchOf(platform: string): BuildpackArch {
  const [os, arch, ...rest] = platform.split('/');
  if (os !== 'linux' || arch === undefined || !isBuildpackArch(arch) || rest.length > 0)
    throw usageError(
      `--platform ${platform} is not supported: use ${BUILDPACK_ARCHES.map((name) => `linux/${name}`).join(' or ')}`,
    );
  return arch;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export async function runBuildpackPackage(options: BuildpackPackageOptions, io: CliIo): Promise<number> {
  const arch = buildpackArchOf(options.platform);
  const outDir = resolve(io.cwd, options.outDir);
  const result = await packageBuildpack({
    arch,
    outDir,
    version: pkg.version,
    cacheDir: hubifyCacheDir(io.env),
    env: io.env,
    step: (line) => io.stderr(`hubify: ${line}\n`),
  });
  const { payload } = result;
  io.stdout(
    [
      `hubify: wrote the buildpack ${BUILDPACK_ID} ${payload.hubifyVersion} (linux/${arch}) to ${outDir}`,
      `  carries   node ${payload.node.version}, tini ${payload.tini.version}, the hub runtime (${megabytes(result.bytes)})`,
      '',
      'Use it as the last buildpack, so the hub runtime is the default process:',
      `  pack build IMAGE --path APP_DIR --builder BUILDER --buildpack BUILDPACK_FOR_YOUR_APP --buildpack ${outDir}`,
      '',
    ].join('\n'),
  );
  return EXIT.OK;
}
