/**
 * The error codes of `hubify build` and the parts it uses (cli/engine/, cli/layer/). Their meanings
 * live with every other code in CLI_ERROR_CODES (cli/errors.ts) and the table in cli/README.md.
 */
import { CLI_ERROR_CODES, EXIT, HubifyError, type ExitCode } from '../errors.ts';

const BUILD_CODE_NAMES = [
  'HUBIFY_DOCKER_UNAVAILABLE',
  'HUBIFY_IMAGE_NOT_FOUND',
  'HUBIFY_PULL_DENIED',
  'HUBIFY_PUSH_DENIED',
  'HUBIFY_PUSH_FAILED',
  'HUBIFY_DISK_FULL',
  'HUBIFY_BUILD_FAILED',
  'HUBIFY_IMAGE_UNSUPPORTED',
  'HUBIFY_PLATFORM_MISMATCH',
  'HUBIFY_SOURCE_UNREADABLE',
  'HUBIFY_NODE_UNAVAILABLE',
  'HUBIFY_NODE_INTEGRITY',
  'HUBIFY_TINI_UNAVAILABLE',
  'HUBIFY_RUNTIME_BUNDLE_MISSING',
] as const;

/** The build's codes, a subset of CLI_ERROR_CODES (which holds every code with its meaning). */
export const BUILD_ERROR_CODES = Object.fromEntries(
  Object.entries(CLI_ERROR_CODES).filter(([code]) => BUILD_CODE_NAMES.includes(code as BuildErrorCode)),
) as Record<BuildErrorCode, string>;

export type BuildErrorCode = (typeof BUILD_CODE_NAMES)[number];

export interface BuildErrorOptions {
  code: BuildErrorCode;
  message: string;
  detail?: string;
  hint?: string;
  exitCode: ExitCode;
  cause?: unknown;
}

export function buildError(options: BuildErrorOptions): HubifyError {
  return new HubifyError(options);
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
