/**
 * bin/build. Contributes two launch layers and launch.toml:
 *
 *   runtime    the hubify runtime tree (Node, tini, the runtime, licences) copied from the package,
 *              plus bin/jupyterhub-singleuser; reused from the previous image (toml only, no
 *              directory, as the spec's "Reusing Layers" says) when its metadata is unchanged;
 *              its SBOM in runtime.sbom.cdx.json;
 *   manifest   manifest.json made from the app's process types, and HUBIFY_MANIFEST pointing at it;
 *   launch.toml  `hub` (default) and `jupyterhub-singleuser` run the runtime; labels for tools.
 *
 * Layers are exported at their absolute paths, so paths written now are the paths in the image.
 */
import { chmod, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { withImageShebang } from '../layer/runtime-bundle.ts';
import { buildpackManifest } from './app-manifest.ts';
import { buildContext, targetMismatch, type BuildContext } from './cnb-env.ts';
import { BUILDPACK_ID } from './descriptor.ts';
import { readPayloadInfo, type PhaseIo } from './detect.ts';
import {
  HUB_PROCESS,
  launchLayerToml,
  launchToml,
  SINGLEUSER_PROCESS,
  type RuntimePaths,
} from './launch-files.ts';
import { LAYERS, PACKAGE_PATHS, SHIM, type PayloadInfo } from './payload.ts';
import { appProcessTypes, type ProcessType } from './process-types.ts';
import { runtimeSbom, SBOM_EXTENSION } from './sbom.ts';
import { chooseAppTypes, parseAppTypes, planAppTypes, platformSetting } from './settings.ts';

/** A build that cannot go on, for a reason the user can fix; bin/build prints it and exits 1. */
export class BuildFailure extends Error {
  override readonly name = 'BuildFailure';
}

/** The runtime layer's [metadata]: everything its bytes depend on (the layer path is in the #! line). */
export function runtimeLayerMetadata(payload: PayloadInfo, layerDir: string): Record<string, string> {
  return {
    'hubify-version': payload.hubifyVersion,
    arch: payload.arch,
    'node-version': payload.node.version,
    'node-sha256': payload.node.sha256,
    'tini-version': payload.tini.version,
    'tini-sha256': payload.tini.sha256,
    'runtime-sha256': payload.runtime.sha256,
    path: layerDir,
  };
}

/** Metadata restored from the previous image (without [types]), or null when there was none. */
async function restoredMetadata(tomlPath: string): Promise<Record<string, unknown> | null> {
  try {
    const restored = parseToml(await readFile(tomlPath, 'utf8')) as { metadata?: Record<string, unknown> };
    return restored.metadata ?? null;
  } catch {
    return null;
  }
}

export function sameMetadata(
  restored: Record<string, unknown> | null,
  wanted: Record<string, string>,
): boolean {
  if (restored === null) return false;
  const keys = Object.keys(wanted);
  return keys.length === Object.keys(restored).length && keys.every((key) => restored[key] === wanted[key]);
}

export function runtimePaths(layerDir: string): RuntimePaths {
  return {
    tini: join(layerDir, PACKAGE_PATHS.tini),
    node: join(layerDir, PACKAGE_PATHS.node),
    runtime: join(layerDir, PACKAGE_PATHS.runtime),
  };
}

/** The runtime bundle with its `#!` line naming the Node of this layer. */

async function writeRuntimeLayer(buildpackDir: string, layerDir: string): Promise<void> {
  await rm(layerDir, { recursive: true, force: true });
  await mkdir(join(layerDir, 'bin'), { recursive: true });
  await cp(join(buildpackDir, PACKAGE_PATHS.tree), join(layerDir, PACKAGE_PATHS.tree), { recursive: true });
  const paths = runtimePaths(layerDir);
  await writeFile(paths.runtime, withImageShebang(await readFile(paths.runtime), paths.node));
  for (const file of [paths.node, paths.tini, paths.runtime]) await chmod(file, 0o755);
  await symlink(SHIM.target, join(layerDir, SHIM.path));
}

/** The processes to serve, in the order asked; a type asked for explicitly but missing fails the build. */
export function selectProcesses(
  found: readonly ProcessType[],
  asked: { types: string[]; explicit: string[] },
): ProcessType[] {
  const missing = asked.explicit.filter((type) => !found.some((process) => process.type === type));
  if (missing.length > 0)
    throw new BuildFailure(
      `the app has no process type ${missing.map((type) => `"${type}"`).join(', ')} to serve as an app ` +
        `(found: ${found.length === 0 ? 'none' : found.map((process) => process.type).join(', ')}). ` +
        'Declare it in a Procfile ("web: <command listening on 127.0.0.1:$PORT>"), or change BP_HUBIFY_APPS.',
    );
  return asked.types.flatMap((type) => found.filter((process) => process.type === type));
}

export async function build(context: BuildContext, io: PhaseIo): Promise<number> {
  const payload = await readPayloadInfo(context.buildpackDir);
  const mismatch = targetMismatch(context.target, payload.arch);
  if (mismatch !== null) throw new BuildFailure(mismatch);

  const found = await appProcessTypes(context.appDir, context.layersDir);
  for (const warning of found.warnings) io.warn(`hubify: warning: ${warning}`);
  const asked = chooseAppTypes(
    parseAppTypes(await platformSetting('BP_HUBIFY_APPS', io.env)),
    planAppTypes(await readFile(context.planPath, 'utf8')),
  );
  const served = selectProcesses(found.processes, asked);
  const { manifest, warnings } = buildpackManifest(served, context.appDir);
  for (const warning of warnings) io.warn(`hubify: warning: ${warning.path} ${warning.message}`);

  const runtimeDir = join(context.layersDir, LAYERS.runtime);
  const runtimeToml = join(context.layersDir, `${LAYERS.runtime}.toml`);
  const metadata = runtimeLayerMetadata(payload, runtimeDir);
  if (sameMetadata(await restoredMetadata(runtimeToml), metadata)) {
    // Reuse: [types] launch with no directory keeps the previous image's layer.
    await rm(runtimeDir, { recursive: true, force: true });
    io.info(`hubify: runtime ${payload.hubifyVersion} unchanged: reusing the previous image's layer`);
  } else {
    await writeRuntimeLayer(context.buildpackDir, runtimeDir);
    io.info(
      `hubify: runtime ${payload.hubifyVersion}, node ${payload.node.version}, tini ${payload.tini.version} ` +
        `(linux/${payload.arch}) -> ${runtimeDir}`,
    );
  }
  await writeFile(runtimeToml, launchLayerToml(metadata));
  await writeFile(join(context.layersDir, `${LAYERS.runtime}.sbom.${SBOM_EXTENSION}`), runtimeSbom(payload));

  const manifestDir = join(context.layersDir, LAYERS.manifest);
  const manifestFile = join(manifestDir, 'manifest.json');
  await rm(manifestDir, { recursive: true, force: true });
  await mkdir(join(manifestDir, 'env.launch'), { recursive: true });
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  // Contents are taken literally (no newline); `.default` lets `docker run -e HUBIFY_MANIFEST=...` win.
  await writeFile(join(manifestDir, 'env.launch', 'HUBIFY_MANIFEST.default'), manifestFile);
  const appNames = manifest.apps.map((app) => app.name);
  await writeFile(
    join(context.layersDir, `${LAYERS.manifest}.toml`),
    launchLayerToml({ apps: appNames.join(',') }),
  );

  const ours = new Set([HUB_PROCESS, SINGLEUSER_PROCESS]);
  await writeFile(
    join(context.layersDir, 'launch.toml'),
    launchToml({
      paths: runtimePaths(runtimeDir),
      labels: {
        'org.hubify.version': payload.hubifyVersion,
        'org.hubify.buildpack': `${BUILDPACK_ID}@${payload.hubifyVersion}`,
        'org.hubify.manifest': manifestFile,
        'org.hubify.apps': JSON.stringify(appNames),
        'org.hubify.node.version': payload.node.version,
      },
      procfileOnly: found.processes.filter(
        (process) => process.source === 'Procfile' && !ours.has(process.type),
      ),
    }),
  );
  io.info(
    `hubify: apps: ${
      served.length === 0
        ? 'none (no web process: the hub shows the launcher only; declare one in a Procfile)'
        : served.map((process) => `${process.type} (${process.source})`).join(', ')
    }; default process: ${HUB_PROCESS}`,
  );
  return 0;
}

export async function runBuild(io: PhaseIo): Promise<number> {
  return build(buildContext(io.env, io.cwd), io);
}
