/**
 * The error codes of `hubify build` and the parts it uses (cli/engine/, cli/layer/), with their
 * meaning and exit code. They belong in CLI_ERROR_CODES (cli/errors.ts) and the table in
 * cli/README.md; until cli/errors.ts spreads this table into CLI_ERROR_CODES, `buildError` is the one
 * place that widens the code's type.
 */
import { EXIT, HubifyError, type ExitCode, type HubifyErrorCode } from '../errors.ts';

export const BUILD_ERROR_CODES = {
  HUBIFY_DOCKER_UNAVAILABLE:
    'No Docker or Podman engine answered (DOCKER_HOST, /var/run/docker.sock, the Podman socket); each place tried is listed (exit 3).',
  HUBIFY_IMAGE_NOT_FOUND:
    'The image is not in the engine and could not be pulled (no such image, or the registry is unreachable) (exit 3).',
  HUBIFY_PULL_DENIED: 'The registry refused the pull: log in with `docker login` (exit 3).',
  HUBIFY_PUSH_DENIED: 'The registry refused the push: log in with `docker login` (exit 3).',
  HUBIFY_PUSH_FAILED: 'The push failed for another reason (registry unreachable, ...) (exit 3).',
  HUBIFY_DISK_FULL:
    'No space left on the device while building (engine storage or the hubify cache) (exit 3).',
  HUBIFY_BUILD_FAILED: 'The engine could not build the image; its message is shown (exit 1).',
  HUBIFY_IMAGE_UNSUPPORTED: 'The image cannot be made hub-ready; the reasons are listed (exit 1).',
  HUBIFY_PLATFORM_MISMATCH: 'The image is not of the platform asked for with --platform (exit 2).',
  HUBIFY_NODE_UNAVAILABLE:
    'The pinned Node binary could not be fetched from the npm registry (npm pack) or prepared (exit 3).',
  HUBIFY_NODE_INTEGRITY: 'The Node tarball does not match its pinned sha512 integrity (exit 3).',
  HUBIFY_TINI_UNAVAILABLE:
    "Debian's static tini for the platform could not be found or fetched without changing apt's configuration (exit 3).",
  HUBIFY_RUNTIME_BUNDLE_MISSING:
    'dist/hubify-proxy.mjs (the runtime that goes into the image) is not next to the hubify CLI: run `npm run build` (exit 3).',
} as const;

export type BuildErrorCode = keyof typeof BUILD_ERROR_CODES;

export interface BuildErrorOptions {
  code: BuildErrorCode;
  message: string;
  detail?: string;
  hint?: string;
  exitCode: ExitCode;
  cause?: unknown;
}

export function buildError(options: BuildErrorOptions): HubifyError {
  return new HubifyError({ ...options, code: options.code as unknown as HubifyErrorCode });
}

/** `ENOSPC` anywhere in an error (or its message): the disk is full. */
export function isDiskFull(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOSPC')
    return true;
  const text = error instanceof Error ? error.message : String(error);
  return /no space left on device|ENOSPC/i.test(text);
}

/** HUBIFY_DISK_FULL for a local write (cache, layer tar) that ran out of space. */
export function diskFullError(where: string, error: unknown): HubifyError {
  return buildError({
    code: 'HUBIFY_DISK_FULL',
    message: `no space left on the device while writing ${where}`,
    detail: error instanceof Error ? error.message : String(error),
    hint: 'Free some space (or point XDG_CACHE_HOME / TMPDIR elsewhere) and run again.',
    exitCode: EXIT.MISSING,
    cause: error,
  });
}
