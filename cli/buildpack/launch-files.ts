/**
 * The TOML files bin/build writes into its layers directory (Buildpack API 0.12, "Data Format"):
 * `<layer>.toml` ([types] launch, and [metadata] for reuse on the next build) and `launch.toml`
 * ([[labels]] and [[processes]]). Pure functions of their inputs.
 */
import { stringify } from 'smol-toml';
import { RUNTIME_NODE_FLAGS } from '../layer/layout.ts';
import type { ProcessType } from './process-types.ts';

/** `<layer>.toml`: a launch-only layer (in the image, not cached, not for later buildpacks). */
export function launchLayerToml(metadata: Record<string, string>): string {
  return stringify({ types: { launch: true, build: false, cache: false }, metadata });
}

/** Paths of the runtime inside its layer. */
export interface RuntimePaths {
  tini: string;
  node: string;
  runtime: string;
}

/** The hub runtime as a process: tini as PID 1 (reaping the apps' children), then the runtime. */
export function hubCommand(paths: RuntimePaths): string[] {
  return [paths.tini, '-g', '--', paths.node, ...RUNTIME_NODE_FLAGS, paths.runtime];
}

/** The process types this buildpack defines. */
export const HUB_PROCESS = 'hub';
/** Same process under the name spawners run: `/cnb/process/jupyterhub-singleuser` is on the image's PATH. */
export const SINGLEUSER_PROCESS = 'jupyterhub-singleuser';

export interface LaunchInputs {
  paths: RuntimePaths;
  labels: Record<string, string>;
  /**
   * The app's Procfile processes that no earlier buildpack defines: written here too (not default),
   * so `docker run --entrypoint <type>` still runs them outside the hub.
   */
  procfileOnly: readonly ProcessType[];
}

/**
 * launch.toml: the hub runtime is the default process (`hub`); user arguments replace the empty
 * default `args` (a spawner's `jupyterhub-singleuser --flags` reach the runtime, which accepts them).
 */
export function launchToml(inputs: LaunchInputs): string {
  const hub = hubCommand(inputs.paths);
  return stringify({
    labels: Object.entries(inputs.labels).map(([key, value]) => ({ key, value })),
    processes: [
      { type: HUB_PROCESS, command: hub, args: [], default: true },
      { type: SINGLEUSER_PROCESS, command: hub, args: [], default: false },
      ...inputs.procfileOnly.map((process) => ({
        type: process.type,
        command: process.command,
        args: process.args,
        default: false,
      })),
    ],
  });
}
