/**
 * The buildpack's identity and its descriptor, `buildpack.toml` (Buildpack API, spec "buildpack.toml
 * (TOML)"): one function writes it, both for the file kept in `buildpack/` (both architectures) and for
 * a packaged buildpack (the one architecture whose Node and tini it carries).
 */
import { stringify } from 'smol-toml';
import { SBOM_MEDIA_TYPE } from './sbom.ts';

export const BUILDPACK_ID = 'hubify/hub-runtime';

/**
 * The Buildpack API this buildpack implements: the current one, 0.12. We use what 0.10 brought
 * (`[[targets]]`, `CNB_TARGET_*`), 0.9's process `command` list with overridable `args` and 0.8's
 * environment variables instead of positional arguments; the behaviour was checked against the 0.12
 * spec text. A lifecycle older than the one that added 0.12 refuses the buildpack with a clear error.
 */
export const BUILDPACK_API = '0.12';

/** Architectures a package can be made for (OCI names, as in `[[targets]]` and `CNB_TARGET_ARCH`). */
export const BUILDPACK_ARCHES = ['amd64', 'arm64'] as const;
export type BuildpackArch = (typeof BUILDPACK_ARCHES)[number];

export function isBuildpackArch(text: string): text is BuildpackArch {
  return (BUILDPACK_ARCHES as readonly string[]).includes(text);
}

/**
 * The id as a directory name: the lifecycle gives this buildpack `<layers>/hubify_hub-runtime` (its
 * `launch.EscapeID`: `/` becomes `_`), and a builder keeps it under `/cnb/buildpacks/<escaped id>/`.
 */
export function escapedBuildpackId(id: string = BUILDPACK_ID): string {
  return id.replaceAll('/', '_');
}

/** The descriptor's text: `api`, `[buildpack]` (id, name, version, ...), one `[[targets]]` per arch. */
export function buildpackToml(version: string, arches: readonly BuildpackArch[]): string {
  const descriptor = {
    api: BUILDPACK_API,
    buildpack: {
      id: BUILDPACK_ID,
      name: 'hubify hub runtime',
      version,
      description:
        "Makes the app image JupyterHub-ready: adds hubify's runtime (OAuth with the hub, activity, " +
        "a launcher) as a launch layer, serves the app's web process behind it, and makes it the default process.",
      keywords: ['jupyterhub', 'hub', 'proxy', 'oauth'],
      'clear-env': false,
      'sbom-formats': [SBOM_MEDIA_TYPE],
      licenses: [{ type: 'BSD-3-Clause' }],
    },
    targets: arches.map((arch) => ({ os: 'linux', arch })),
  };
  return [
    '# The hubify buildpack (Cloud Native Buildpacks), written by cli/buildpack/descriptor.ts. A runnable',
    '# buildpack also has bin/, lib/ and hubify/ (Node, tini, the runtime): `hubify buildpack package` makes it.',
    stringify(descriptor),
    '',
  ].join('\n');
}
