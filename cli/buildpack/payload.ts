/**
 * Where things are in a packaged buildpack and in the launch layer it contributes. The package holds
 * the same `hubify/` tree that the layer gets (Node, tini, the runtime bundle, licences), so bin/detect
 * and bin/build run on the very Node that goes into the image, and the build image needs none.
 *
 *   <buildpack>/buildpack.toml, bin/detect, bin/build     POSIX sh: exec hubify/bin/node lib/...
 *   <buildpack>/lib/hubify-buildpack.mjs                    detect and build (cli/buildpack/main.ts)
 *   <buildpack>/hubify/{bin/node,bin/tini,lib/hubify-proxy.mjs,share/licenses/*,payload.json}
 *
 *   <layers>/runtime/hubify/...                             the same tree (launch layer)
 *   <layers>/runtime/bin/jupyterhub-singleuser              -> the runtime (launch layers' bin/ is on PATH)
 *   <layers>/manifest/manifest.json, env.launch/HUBIFY_MANIFEST.default
 *
 * Node and tini stay out of the layer's own bin/ and lib/: the launcher puts every launch layer's bin/
 * first on PATH and lib/ on LD_LIBRARY_PATH, which would put our node before the app's own.
 */
export const PACKAGE_PATHS = {
  descriptor: 'buildpack.toml',
  detect: 'bin/detect',
  build: 'bin/build',
  script: 'lib/hubify-buildpack.mjs',
  tree: 'hubify',
  node: 'hubify/bin/node',
  tini: 'hubify/bin/tini',
  runtime: 'hubify/lib/hubify-proxy.mjs',
  licenses: 'hubify/share/licenses',
  info: 'hubify/payload.json',
} as const;

/** Layer names (not `build`, `launch` or `store`, which the spec reserves). */
export const LAYERS = { runtime: 'runtime', manifest: 'manifest' } as const;

/** The shim's path inside the runtime layer, and its link target (relative, so the layer can move). */
export const SHIM = { path: 'bin/jupyterhub-singleuser', target: '../hubify/lib/hubify-proxy.mjs' } as const;

/** What a package carries, written by `hubify buildpack package` as hubify/payload.json. */
export interface PayloadInfo {
  hubifyVersion: string;
  /** OCI architecture of Node and tini. */
  arch: string;
  node: { version: string; sha256: string };
  tini: { version: string; sha256: string };
  runtime: { sha256: string };
}

export function isPayloadInfo(value: unknown): value is PayloadInfo {
  const info = value as Partial<PayloadInfo> | null;
  return (
    typeof info === 'object' &&
    info !== null &&
    typeof info.hubifyVersion === 'string' &&
    typeof info.arch === 'string' &&
    typeof info.node?.version === 'string' &&
    typeof info.tini?.version === 'string' &&
    typeof info.runtime?.sha256 === 'string'
  );
}
