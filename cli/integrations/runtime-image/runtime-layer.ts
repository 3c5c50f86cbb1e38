/**
 * What the runtime image holds: the layer `hubify build` adds, less everything outside /opt/hubify,
 * plus what a Dockerfile that only copies /opt/hubify needs (nothing else is added to the image it is
 * copied into):
 *
 *   /opt/hubify/bin/{node,tini,hubify-proxy,hubify-detect,hubify-entrypoint}
 *   /opt/hubify/lib/{hubify-proxy.mjs,hubify-detect.mjs}
 *   /opt/hubify/shims/jupyterhub-singleuser   (the shim, for PATH users: /opt/hubify/shims first on PATH)
 *   /opt/hubify/manifest.json                  (empty default: replace it, or run hubify-detect)
 *   /opt/hubify/share/licenses/...
 *
 * The shim lives in its own directory so that putting it first on PATH puts nothing else there (not
 * our node). No passwd entry is needed: the runtime runs as whatever user the image has.
 */
import { layerDirectories, planLayer, type LayerInputs } from '../../layer/layer-plan.ts';
import type { LayerEntry } from '../../layer/layer-tar.ts';
import { LAYOUT, RUNTIME_COMMAND } from '../../layer/layout.ts';

/** Where the detector goes, and its link on /opt/hubify/bin. */
export const DETECT_LAYOUT = {
  bundle: `${LAYOUT.lib}/hubify-detect.mjs`,
  link: `${LAYOUT.bin}/hubify-detect`,
} as const;

/** The entrypoint of images that copy /opt/hubify (behind tini). */
export const ENTRYPOINT_SCRIPT = `${LAYOUT.bin}/hubify-entrypoint`;

/**
 * hubify-entrypoint: no command, `jupyterhub-singleuser` (what spawners run; any path to it) or only
 * flags start the hubify runtime with the arguments given; anything else (`bash`, a script) runs as
 * given. It does not depend on PATH, so a spawner that replaces PATH still reaches the runtime, and the
 * image's own jupyterhub-singleuser (Python's, in a conda env) is never the one that runs. POSIX sh:
 * every glibc image has /bin/sh.
 */
export function entrypointScript(): string {
  const runtime = `exec ${RUNTIME_COMMAND.join(' ')} "$@"`;
  return [
    '#!/bin/sh',
    '# hubify-entrypoint (made by hubify runtime-image): start the hubify runtime, or run the command given.',
    'case "${1-}" in',
    `  jupyterhub-singleuser | */jupyterhub-singleuser) shift; ${runtime} ;;`,
    `  '' | -*) ${runtime} ;;`,
    'esac',
    'exec "$@"',
    '',
  ].join('\n');
}

/** The jupyterhub-singleuser shim of the runtime image. */
export const RUNTIME_IMAGE_SHIM = `${LAYOUT.shimDirFirstOnPath}/${LAYOUT.shimName}`;

/** The manifest the runtime image carries until the image it is copied into gets its own: no apps. */
export const EMPTY_MANIFEST = Buffer.from(`${JSON.stringify({ schemaVersion: 1, apps: [] }, null, 2)}\n`);

export type RuntimeLayerInputs = Pick<LayerInputs, 'mtime' | 'node' | 'tini' | 'runtime' | 'licenses'> & {
  /** The detector bundle, with its `#!/opt/hubify/bin/node` line. */
  detect: Buffer;
};

/** The layer's entries: the build layer's /opt/hubify part, the shim in /opt/hubify/shims, the detector. */
export function runtimeImageEntries(inputs: RuntimeLayerInputs): LayerEntry[] {
  const layerInputs: LayerInputs = {
    ...inputs,
    manifest: EMPTY_MANIFEST,
    shimDir: LAYOUT.shimDirFirstOnPath,
    accounts: [],
    home: null,
  };
  // No base image: every directory outside /opt/hubify (just /opt) is created 0755 root:root.
  const base = new Map(layerDirectories(layerInputs).map((path) => [path, null] as const));
  const root = { uid: 0, gid: 0, mtime: inputs.mtime };
  return [
    ...planLayer(layerInputs, base),
    {
      type: 'file',
      path: DETECT_LAYOUT.bundle,
      mode: 0o755,
      content: { kind: 'buffer', data: inputs.detect },
      ...root,
    },
    { type: 'symlink', path: DETECT_LAYOUT.link, target: '../lib/hubify-detect.mjs', ...root },
    {
      type: 'file',
      path: ENTRYPOINT_SCRIPT,
      mode: 0o755,
      content: { kind: 'buffer', data: Buffer.from(entrypointScript()) },
      ...root,
    },
  ];
}
