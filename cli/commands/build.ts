/**
 * `hubify build IMAGE --tag NAME [--push] [--platform linux/amd64|linux/arm64] [--app NAME=COMMAND ...]
 * [--manifest FILE] [--no-cache] [--json]`: makes IMAGE JupyterHub-ready by adding the hubify runtime
 * layer (cli/build/hubify-build.ts does the work). Progress goes to stderr; the result (what was
 * built, the layer digest, the added size, how to run it) to stdout, as text or with --json as JSON.
 * Exit 0 built; 1 the image cannot be made hub-ready or the engine failed to build; 2 bad usage or
 * manifest; 3 a required part is missing (engine, image, Node, tini, runtime bundle, disk space).
 */
import { resolve } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { HubifyError } from '../errors.ts';
import type { CliIo } from '../output.ts';
import { defaultFactsSource, type FactsSource } from '../build/facts-source.ts';
import {
  checkRequest,
  hubifyBuild,
  PLATFORMS,
  type HubifyBuildResult,
  type Platform,
} from '../build/hubify-build.ts';
import { connectEngine, type Engine } from '../engine/connect-engine.ts';
import { formatBytes, LayerProgress } from '../engine/layer-progress.ts';
import { hubifyCacheDir } from '../layer/cache-dir.ts';

export interface BuildOptions {
  image: string;
  tag: string;
  push: boolean;
  platform: string | null;
  apps: string[];
  manifest: string | null;
  json: boolean;
  noCache: boolean;
  debug: boolean;
}

/** What tests (and the bench) may replace. */
export interface BuildDependencies {
  connect?: (env: CliIo['env']) => Promise<Engine>;
  facts?: FactsSource;
  runtimeBundlePath?: string;
  containerLabels?: Record<string, string>;
  /** Receives the result object (the bench reads timings from it). */
  onResult?: (result: HubifyBuildResult) => void;
}

function isPlatform(text: string): text is Platform {
  return (PLATFORMS as readonly string[]).includes(text);
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** The text printed after a successful build. */
export function formatBuildResult(result: HubifyBuildResult): string {
  const { parts, layer, user } = result;
  const name = result.image.reference;
  const lines = [
    `hubify: built ${name} (${shortId(result.image.id)})`,
    `  from       ${result.base.reference} (${result.base.digest})`,
    `  platform   ${result.platform}`,
    `  layer      ${layer.diffId}`,
    `  added      ${formatBytes(layer.rawSize)} raw, ${formatBytes(layer.gzipSize)} gzip: node ${parts.node.version} ` +
      `${formatBytes(parts.node.size)}${parts.node.stripped ? '' : ' (unstripped)'}, tini ${parts.tini.version} ` +
      `${formatBytes(parts.tini.size)}, runtime ${formatBytes(parts.runtime.size)}`,
    `  runs as    ${user.name} (${user.uid}:${user.gid}), home ${user.home}${user.added ? ', added by hubify' : ''}`,
    `  apps       ${result.apps.length === 0 ? 'none yet (add them with --app NAME=COMMAND or --manifest FILE)' : result.apps.join(', ')}` +
      (result.defaultApp === null ? '' : `; / opens ${result.defaultApp}`),
    `  shim       ${result.shim.path}`,
  ];
  if (result.image.pushedDigest !== null) lines.push(`  pushed     ${name}@${result.image.pushedDigest}`);
  for (const note of result.notes) lines.push(`  note       ${note}`);
  lines.push(
    '',
    'Run it on its own (prints a URL with a token; set HUBIFY_TOKEN=... to choose the token):',
    `  docker run -p 8888:8888 ${name}`,
    'Run it under JupyterHub:',
    `  c.DockerSpawner.image = "${name}"`,
    `  c.KubeSpawner.image = "${name}"    (Zero to JupyterHub: singleuser.image.name and .tag)`,
  );
  return `${lines.join('\n')}\n`;
}

function jsonError(error: HubifyError): string {
  return `${JSON.stringify({ ok: false, code: error.code, message: error.message, detail: error.detail, hint: error.hint }, null, 2)}\n`;
}

export async function runBuild(
  options: BuildOptions,
  io: CliIo,
  deps: BuildDependencies = {},
): Promise<number> {
  const interactive =
    !options.json && process.stderr.isTTY && io.env.TERM !== 'dumb' && io.env.CI === undefined;
  const step = (text: string): void => io.stderr(`hubify: ${text}\n`);
  try {
    if (options.platform !== null && !isPlatform(options.platform))
      throw new HubifyError({
        code: 'HUBIFY_USAGE',
        message: `--platform ${options.platform} is not supported`,
        hint: `Use one of ${PLATFORMS.join(', ')}.`,
        exitCode: 2,
      });
    checkRequest({ tag: options.tag, env: io.env });
    const engine = await (deps.connect ?? connectEngine)(io.env);
    step(`using ${engine.product} ${engine.version} at ${engine.endpoint}`);
    const source = deps.facts ?? (await defaultFactsSource());
    const result = await hubifyBuild(
      engine.docker,
      source,
      {
        image: options.image,
        tag: options.tag,
        platform: options.platform,
        push: options.push,
        noCache: options.noCache,
        overrides: {
          manifestFile: options.manifest === null ? null : resolve(io.cwd, options.manifest),
          apps: options.apps,
        },
        env: io.env,
        cacheDir: hubifyCacheDir(io.env),
        hubifyVersion: pkg.version,
        ...(deps.runtimeBundlePath === undefined ? {} : { runtimeBundlePath: deps.runtimeBundlePath }),
        ...(deps.containerLabels === undefined ? {} : { containerLabels: deps.containerLabels }),
      },
      {
        step,
        detail: (text) => {
          if (options.debug) io.stderr(`  ${text}\n`);
        },
        layerProgress: () => new LayerProgress((text) => io.stderr(text), interactive),
      },
    );
    deps.onResult?.(result);
    if (options.json) {
      const { dockerfile: _dockerfile, ...rest } = result;
      io.stdout(`${JSON.stringify({ ok: true, ...rest }, null, 2)}\n`);
    } else {
      io.stdout(formatBuildResult(result));
    }
    return 0;
  } catch (error) {
    if (options.json && error instanceof HubifyError) {
      io.stdout(jsonError(error));
      io.stderr(error.toText());
      return error.exitCode;
    }
    throw error;
  }
}
