/**
 * The Dockerfile lines that take the hubify runtime from the runtime image (`hubify runtime-image`)
 * into any image, shared by `hubify appendix` (repo2docker) and the documented Dockerfile pattern
 * (templates/Dockerfile.copy-from.example, whose lines a unit test compares with these):
 *
 *   COPY --from=<runtime image> /opt/hubify /opt/hubify      the runtime, node, tini, the detector
 *   ENTRYPOINT ["/opt/hubify/bin/tini", "-g", "--", "/opt/hubify/bin/hubify-entrypoint"]
 *   CMD []                                                   (only when the Dockerfile set a CMD before)
 *
 * plus the manifest: `RUN /opt/hubify/bin/hubify-detect` (detected inside the image at build time) or
 * `COPY hubify-manifest.json /opt/hubify/manifest.json` (from `hubify manifest IMAGE`, or by hand).
 * hubify-entrypoint starts the runtime for no command and for `jupyterhub-singleuser ...` (what
 * spawners run), and runs any other command as given.
 */
import pkg from '../../../package.json' with { type: 'json' };
import { parseImageReference } from '../../engine/image-reference.ts';
import { usageError } from '../../errors.ts';
import { LAYOUT, TINI_ENTRYPOINT } from '../../layer/layout.ts';
import { DETECT_LAYOUT, ENTRYPOINT_SCRIPT } from '../runtime-image/runtime-layer.ts';

/** The runtime image name used when none is given: what `hubify runtime-image --tag` is shown with. */
export const DEFAULT_RUNTIME_IMAGE = `hubify-runtime:${pkg.version}`;

/** Checks `name` is an image reference a Dockerfile's COPY --from accepts; usage error otherwise. */
export function checkRuntimeImage(name: string, option = '--runtime-image'): string {
  const parsed = parseImageReference(name);
  if ('error' in parsed) throw usageError(`${option} ${name} is not an image name: ${parsed.error}`);
  return name;
}

export function copyLine(runtimeImage: string): string {
  return `COPY --from=${runtimeImage} ${LAYOUT.root} ${LAYOUT.root}`;
}

/** Runs the detector; `user` is a Dockerfile word (may be `${NB_USER}`: shell form, so it expands). */
export function detectLine(user: string | null): string {
  return user === null ? `RUN ${DETECT_LAYOUT.link}` : `RUN ${DETECT_LAYOUT.link} --user "${user}"`;
}

function jsonArray(argv: readonly string[]): string {
  return `[${argv.map((arg) => JSON.stringify(arg)).join(', ')}]`;
}

/**
 * ENTRYPOINT: tini as PID 1, then hubify-entrypoint. With `wrapped` (an entrypoint of the image kept
 * between them, such as repo2docker's, which relays signals to its child itself) tini signals only
 * its child, without -g: with -g the runtime would get each stop signal twice, and a second signal
 * means "exit at once".
 */
export function entrypointLine(wrapped: readonly string[] = []): string {
  const tini = wrapped.length === 0 ? [...TINI_ENTRYPOINT] : [LAYOUT.tini, '--', ...wrapped];
  return `ENTRYPOINT ${jsonArray([...tini, ENTRYPOINT_SCRIPT])}`;
}

/** An empty CMD: a CMD set earlier in the same Dockerfile would otherwise survive the new ENTRYPOINT. */
export const EMPTY_CMD_LINE = 'CMD []';
