/**
 * The CLI's error vocabulary: exit codes, error codes, `HubifyError` for every expected failure, and
 * the text for an unexpected one. `main.ts` holds the one catch that prints these and exits.
 */
import type { ManifestIssueCode } from '../schemas/manifest.ts';

/** Process exit codes of `hubify`. */
export const EXIT = {
  /** Everything worked. */
  OK: 0,
  /** A check ran and failed (for example `hubify test` found a problem with the image). */
  CHECK_FAILED: 1,
  /** The command line is wrong, or the manifest is invalid. */
  USAGE: 2,
  /** A required part is missing: the manifest file, a Docker engine, a hub. */
  MISSING: 3,
  /** A bug in hubify. */
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Error codes of the CLI itself, with their meaning; manifest problems use `MANIFEST_ISSUE_CODES`. */
export const CLI_ERROR_CODES = {
  HUBIFY_USAGE: 'The command line is wrong: an unknown command or option, or a missing argument.',
  HUBIFY_MANIFEST_INVALID: 'The manifest has problems; each is listed with its own HUBIFY_MANIFEST_* code.',
  HUBIFY_INTERNAL: 'An error hubify did not expect: a bug, please report it.',
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
  HUBIFY_SOURCE_UNREADABLE:
    'The image to build from is not a readable OCI layout (oci:DIR) or docker save archive (docker-archive:FILE), or its documents do not match their digests (exit 3).',
  HUBIFY_NODE_UNAVAILABLE:
    'The pinned Node binary could not be fetched from the npm registry (npm pack) or prepared (exit 3).',
  HUBIFY_NODE_INTEGRITY:
    'The Node tarball does not match its pinned sha512 integrity, or its bin/node is not an ELF binary for the platform (exit 3).',
  HUBIFY_TINI_UNAVAILABLE:
    "Debian's static tini for the platform could not be found or fetched without changing apt's configuration (exit 3).",
  HUBIFY_RUNTIME_BUNDLE_MISSING:
    'dist/hubify-proxy.mjs (the runtime that goes into the image) is not next to the hubify CLI: run `npm run build` (exit 3).',
  HUBIFY_BUILDPACK_OUT_DIR:
    '`hubify buildpack package`: OUT_DIR exists and is neither empty nor a buildpack hubify wrote; nothing was changed (exit 2).',
  HUBIFY_BUILDPACK_PARTS_MISSING:
    '`hubify buildpack package`: dist/hubify-buildpack.mjs or buildpack/bin/ is not next to the hubify CLI: run `npm run build` (exit 3).',
  HUBIFY_NO_HUB_RUNTIME:
    '`hubify test`: the image has neither /opt/hubify nor `jupyterhub-singleuser` on its PATH; nothing was started (exit 1).',
  HUBIFY_HUB_START_FAILED:
    "`hubify test`: the hub container did not start or did not answer in time; the hub's last log lines are shown (exit 3).",
  HUBIFY_BROWSER_UNAVAILABLE:
    '`hubify test`: headless Chromium could not be launched (HUBIFY_CHROMIUM or /usr/bin/chromium) (exit 3).',
} as const;

export type HubifyErrorCode = keyof typeof CLI_ERROR_CODES | ManifestIssueCode;

export interface HubifyErrorOptions {
  code: HubifyErrorCode;
  /** What happened, one line, no trailing period ("cannot read the manifest x.yaml"). */
  message: string;
  /** Why, possibly several lines: the technical detail. */
  detail?: string;
  /** What to do next, as a sentence. */
  hint?: string;
  exitCode: ExitCode;
  cause?: unknown;
}

/** An expected failure: main.ts prints `toText()` and exits with `exitCode`, never a stack trace. */
export class HubifyError extends Error {
  override readonly name = 'HubifyError';
  readonly code: HubifyErrorCode;
  readonly detail: string | null;
  readonly hint: string | null;
  readonly exitCode: ExitCode;

  constructor(options: HubifyErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.detail = options.detail ?? null;
    this.hint = options.hint ?? null;
    this.exitCode = options.exitCode;
  }

  /** What happened; why, indented; what to do; then the code. */
  toText(): string {
    const lines = [`hubify: ${this.message}`];
    if (this.detail !== null) lines.push(...this.detail.split('\n').map((line) => `  ${line}`));
    if (this.hint === null) lines[0] += `  [${this.code}]`;
    else lines.push(`${this.hint}  [${this.code}]`);
    return `${lines.join('\n')}\n`;
  }
}

export function usageError(message: string): HubifyError {
  return new HubifyError({
    code: 'HUBIFY_USAGE',
    message,
    hint: 'Run "hubify --help" to see the commands and options.',
    exitCode: EXIT.USAGE,
  });
}

/** The text for an error nobody expected; the stack only when asked for with --debug or HUBIFY_DEBUG=1. */
export function formatInternalError(error: unknown, options: { debug: boolean; version: string }): string {
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const lines = [
    `hubify: internal error (${summary})`,
    `This is a bug in hubify ${options.version} (Node ${process.version}, ${process.platform} ${process.arch}).`,
    options.debug
      ? `Please report it with the command you ran and this output.  [HUBIFY_INTERNAL]`
      : `Please report it with the command you ran and its output with --debug (or HUBIFY_DEBUG=1).  [HUBIFY_INTERNAL]`,
  ];
  if (options.debug && error instanceof Error && error.stack !== undefined) lines.push('', error.stack);
  return `${lines.join('\n')}\n`;
}
