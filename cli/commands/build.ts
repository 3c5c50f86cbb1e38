/**
 * `hubify build SOURCE --tag NAME [--push] [--engine auto|docker|none] [--output oci:DIR[:REF] |
 * docker-archive:FILE] [--insecure] [--platform linux/amd64|linux/arm64] [--app NAME=COMMAND ...]
 * [--manifest FILE] [--no-cache] [--json]`: makes SOURCE JupyterHub-ready by adding the hubify runtime
 * layer, through the engine (cli/build/hubify-build.ts) or without one (cli/build/daemonless-build.ts:
 * with --engine none, when no engine answers, or when SOURCE or --output is something only that path
 * reads or writes). Progress goes to stderr; the result (what was
 * built, the layer digest, the added size, how to run it) to stdout, as text or with --json as JSON.
 * Exit 0 built; 1 the image cannot be made hub-ready or the engine failed to build; 2 bad usage or
 * manifest; 3 a required part is missing (engine, image, Node, tini, runtime bundle, disk space).
 */
import { resolve } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { HubifyError } from '../errors.ts';
import type { CliIo } from '../output.ts';
import { defaultFactsSource, type FactsSource } from '../build/facts-source.ts';
import { daemonlessBuild, type DaemonlessBuildResult } from '../build/daemonless-build.ts';
import { checkRequest, hubifyBuild, PLATFORMS, type HubifyBuildResult } from '../build/hubify-build.ts';
import { isPlatform } from '../build/runtime-layer.ts';
import { connectEngine, type Engine } from '../engine/connect-engine.ts';
import { needsDaemonless, parseSource } from '../oci/source-spec.ts';
import { formatBytes, LayerProgress } from '../engine/layer-progress.ts';
import { hubifyCacheDir } from '../layer/cache-dir.ts';

export interface BuildOptions {
  image: string;
  tag: string;
  push: boolean;
  /** auto: the engine when one answers and SOURCE/--output allow it, else without one. */
  engine?: 'auto' | 'docker' | 'none';
  /** oci:DIR[:REF] or docker-archive:FILE (daemonless only); null: the registry of --tag. */
  output?: string | null;
  /** Plain http to registries (daemonless only). */
  insecure?: boolean;
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
  /** The same for a build without an engine. */
  onDaemonlessResult?: (result: DaemonlessBuildResult) => void;
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

function usage(message: string, hint: string): HubifyError {
  return new HubifyError({ code: 'HUBIFY_USAGE', message, hint, exitCode: 2 });
}

/**
 * The engine to build with, or null to build without one: --engine none; SOURCE or --output only the
 * daemonless build handles; --engine auto when no engine answers (said on stderr).
 */
async function chooseEngine(
  options: BuildOptions,
  io: CliIo,
  deps: BuildDependencies,
  step: (text: string) => void,
): Promise<Engine['docker'] | null> {
  const source = parseSource(options.image);
  if ('error' in source)
    throw usage(
      `${options.image} is not an image to build from: ${source.error}`,
      'Give a reference (debian:bookworm), docker://REF, oci:DIR[:REF] or docker-archive:FILE.',
    );
  const output = options.output ?? null;
  const engineChoice = options.engine ?? 'auto';
  const daemonlessOnly = needsDaemonless(source) || output !== null;
  if (engineChoice === 'docker' && daemonlessOnly)
    throw usage(
      `--engine docker cannot read ${options.image}${output === null ? '' : ` or write --output ${output}`}`,
      'Leave out --engine docker (oci:, docker-archive:, docker:// and --output are built without an engine), or docker load / pull the image first.',
    );
  if (engineChoice === 'none' || daemonlessOnly) {
    step(`building without an engine${engineChoice === 'none' ? ' (--engine none)' : ''}`);
    return null;
  }
  try {
    const engine = await (deps.connect ?? connectEngine)(io.env);
    step(`using ${engine.product} ${engine.version} at ${engine.endpoint}`);
    if (options.insecure === true)
      step('--insecure is for builds without an engine; the engine uses its own registry settings');
    return engine.docker;
  } catch (error) {
    if (
      engineChoice === 'auto' &&
      error instanceof HubifyError &&
      error.code === 'HUBIFY_DOCKER_UNAVAILABLE'
    ) {
      step('no engine answered: building without one (the result is pushed to the registry of --tag)');
      return null;
    }
    throw error;
  }
}

/** The text printed after a build without an engine. */
export function formatDaemonlessResult(result: DaemonlessBuildResult): string {
  const lines = [
    `hubify: built ${result.image.reference}@${result.image.digest}`,
    `  into       ${result.image.destination}${result.platforms.length > 1 ? ` (an index of ${result.platforms.length} platforms)` : ''}`,
    `  from       ${result.base.reference} (${result.base.digest})`,
  ];
  for (const platform of result.platforms) {
    lines.push(
      `  ${platform.platform.padEnd(10)} manifest ${platform.manifestDigest}`,
      `             layer ${platform.layer.blobDigest}: ${formatBytes(platform.layer.rawSize)} raw, ${formatBytes(platform.layer.gzipSize)} gzip; node ${platform.parts.node.version}, tini ${platform.parts.tini.version}`,
      `             runs as ${platform.user.name} (${platform.user.uid}:${platform.user.gid}); apps ${platform.apps.length === 0 ? 'none' : platform.apps.join(', ')}; shim ${platform.shim.path}`,
    );
    for (const note of platform.notes) lines.push(`             note: ${note}`);
  }
  for (const note of result.notes) lines.push(`  note       ${note}`);
  const blobs = Object.entries(result.blobs).filter(([, count]) => count > 0);
  if (blobs.length > 0)
    lines.push(`  blobs      ${blobs.map(([what, count]) => `${count} ${what}`).join(', ')}`);
  lines.push(
    '',
    'Run it under JupyterHub:',
    `  c.DockerSpawner.image = "${result.image.reference}"`,
    `  c.KubeSpawner.image = "${result.image.reference}"    (Zero to JupyterHub: singleuser.image.name and .tag)`,
  );
  return `${lines.join('\n')}\n`;
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
    const engine = await chooseEngine(options, io, deps, step);
    const source = deps.facts ?? (await defaultFactsSource());
    // What both ways of building take the same way.
    const common = {
      overrides: {
        manifestFile: options.manifest === null ? null : resolve(io.cwd, options.manifest),
        apps: options.apps,
      },
      env: io.env,
      cacheDir: hubifyCacheDir(io.env),
      hubifyVersion: pkg.version,
      ...(deps.runtimeBundlePath === undefined ? {} : { runtimeBundlePath: deps.runtimeBundlePath }),
    };
    if (engine === null) {
      const built = await daemonlessBuild(
        source,
        {
          image: options.image,
          tag: options.tag,
          output: options.output ?? null,
          platform: options.platform,
          insecure: options.insecure ?? false,
          ...common,
        },
        { step },
      );
      deps.onDaemonlessResult?.(built);
      io.stdout(
        options.json ? `${JSON.stringify({ ok: true, ...built }, null, 2)}\n` : formatDaemonlessResult(built),
      );
      return 0;
    }
    const result = await hubifyBuild(
      engine,
      source,
      {
        image: options.image,
        tag: options.tag,
        platform: options.platform,
        push: options.push,
        noCache: options.noCache,
        ...common,
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
