/**
 * `hubify runtime-image --tag NAME [--platform linux/amd64|linux/arm64] [--push] [--json]`: builds
 * the runtime image, a one-layer image with no base holding only /opt/hubify, for Dockerfiles that
 * take the runtime with `COPY --from=NAME /opt/hubify /opt/hubify` (templates/Dockerfile.copy-from.example)
 * and for `hubify appendix`. Work in cli/integrations/runtime-image/. Progress on stderr; the result
 * on stdout (text, or JSON with --json). Exit 0 built; 2 bad usage; 3 a part or the engine is missing,
 * or the push failed.
 */
import pkg from '../../package.json' with { type: 'json' };
import { isPlatform, PLATFORMS } from '../build/runtime-layer.ts';
import { connectEngine, type Engine } from '../engine/connect-engine.ts';
import { formatBytes, LayerProgress } from '../engine/layer-progress.ts';
import { HubifyError, usageError } from '../errors.ts';
import {
  buildRuntimeImage,
  type RuntimeImageResult,
} from '../integrations/runtime-image/build-runtime-image.ts';
import { hubifyCacheDir } from '../layer/cache-dir.ts';
import type { CliIo } from '../output.ts';
import { entrypointLine } from '../integrations/copy-from/copy-from-lines.ts';

export interface RuntimeImageOptions {
  tag: string;
  platform: string;
  push: boolean;
  json: boolean;
}

export interface RuntimeImageDependencies {
  connect?: (env: CliIo['env']) => Promise<Engine>;
  runtimeBundlePath?: string;
}

export function formatRuntimeImageResult(result: RuntimeImageResult): string {
  const { parts, layer } = result;
  const lines = [
    `hubify: built the runtime image ${result.image.reference} (${result.image.id.replace(/^sha256:/, '').slice(0, 12)})`,
    `  platform   ${result.platform}`,
    `  layer      ${layer.diffId}: ${formatBytes(layer.rawSize)} raw, ${formatBytes(layer.gzipSize)} gzip (${layer.entries} entries)`,
    `  holds      /opt/hubify: node ${parts.node.version} ${formatBytes(parts.node.size)}, tini ${parts.tini.version}, ` +
      `hubify-proxy ${formatBytes(parts.runtime.size)}, hubify-detect ${formatBytes(parts.detect.size)}, the jupyterhub-singleuser shim`,
  ];
  if (result.image.pushedDigest !== null)
    lines.push(`  pushed     ${result.image.reference}@${result.image.pushedDigest}`);
  lines.push(
    '',
    'Use it in a Dockerfile (templates/Dockerfile.copy-from.example has the whole pattern):',
    `  ${result.copy}`,
    `  ${entrypointLine()}`,
    'or with repo2docker:',
    `  hubify appendix --runtime-image ${result.image.reference} > hubify-appendix.txt`,
    '  repo2docker --appendix "$(cat hubify-appendix.txt)" ...',
  );
  return `${lines.join('\n')}\n`;
}

export async function runRuntimeImage(
  options: RuntimeImageOptions,
  io: CliIo,
  deps: RuntimeImageDependencies = {},
): Promise<number> {
  const step = (text: string): void => io.stderr(`hubify: ${text}\n`);
  try {
    if (!isPlatform(options.platform))
      throw usageError(`--platform ${options.platform} is not supported; use one of ${PLATFORMS.join(', ')}`);
    const engine = await (deps.connect ?? connectEngine)(io.env);
    step(`using ${engine.product} ${engine.version} at ${engine.endpoint}`);
    const result = await buildRuntimeImage(
      engine.docker,
      {
        tag: options.tag,
        platform: options.platform,
        push: options.push,
        env: io.env,
        cacheDir: hubifyCacheDir(io.env),
        hubifyVersion: pkg.version,
        ...(deps.runtimeBundlePath === undefined ? {} : { runtimeBundlePath: deps.runtimeBundlePath }),
      },
      {
        step,
        layerProgress: () =>
          new LayerProgress((text) => io.stderr(text), !options.json && process.stderr.isTTY === true),
      },
    );
    io.stdout(
      options.json
        ? `${JSON.stringify({ ok: true, ...result }, null, 2)}\n`
        : formatRuntimeImageResult(result),
    );
    return 0;
  } catch (error) {
    if (options.json && error instanceof HubifyError) {
      io.stdout(
        `${JSON.stringify({ ok: false, code: error.code, message: error.message, detail: error.detail, hint: error.hint }, null, 2)}\n`,
      );
      io.stderr(error.toText());
      return error.exitCode;
    }
    throw error;
  }
}
