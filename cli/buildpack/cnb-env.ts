/**
 * The lifecycle's side of the contract, as bin/detect and bin/build receive it (Buildpack API 0.12):
 * environment variables instead of positional arguments, the working directory is the app directory.
 * A missing required variable is an error (exit 1), never a guess.
 */
type Env = Readonly<Record<string, string | undefined>>;

export class CnbContractError extends Error {
  override readonly name = 'CnbContractError';
}

function required(env: Env, name: string, phase: string): string {
  const value = env[name];
  if (value === undefined || value === '' || !value.startsWith('/'))
    throw new CnbContractError(
      `${name} is ${value === undefined || value === '' ? 'not set' : `not an absolute path (${value})`}: ` +
        `bin/${phase} must be run by a CNB lifecycle (Buildpack API 0.12), which sets it.`,
    );
  return value;
}

/** CNB_TARGET_*: the run image's platform, when the platform told the lifecycle. */
export interface Target {
  os: string | null;
  arch: string | null;
  distroName: string | null;
  distroVersion: string | null;
}

function optional(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value === '' ? null : value;
}

export function targetOf(env: Env): Target {
  return {
    os: optional(env, 'CNB_TARGET_OS'),
    arch: optional(env, 'CNB_TARGET_ARCH'),
    distroName: optional(env, 'CNB_TARGET_DISTRO_NAME'),
    distroVersion: optional(env, 'CNB_TARGET_DISTRO_VERSION'),
  };
}

export interface DetectContext {
  appDir: string;
  buildpackDir: string;
  platformDir: string;
  buildPlanPath: string;
  target: Target;
}

export interface BuildContext {
  appDir: string;
  buildpackDir: string;
  platformDir: string;
  layersDir: string;
  planPath: string;
  target: Target;
}

export function detectContext(env: Env, cwd: string): DetectContext {
  return {
    appDir: cwd,
    buildpackDir: required(env, 'CNB_BUILDPACK_DIR', 'detect'),
    platformDir: required(env, 'CNB_PLATFORM_DIR', 'detect'),
    buildPlanPath: required(env, 'CNB_BUILD_PLAN_PATH', 'detect'),
    target: targetOf(env),
  };
}

export function buildContext(env: Env, cwd: string): BuildContext {
  return {
    appDir: cwd,
    buildpackDir: required(env, 'CNB_BUILDPACK_DIR', 'build'),
    platformDir: required(env, 'CNB_PLATFORM_DIR', 'build'),
    layersDir: required(env, 'CNB_LAYERS_DIR', 'build'),
    planPath: required(env, 'CNB_BP_PLAN_PATH', 'build'),
    target: targetOf(env),
  };
}

/**
 * Why this buildpack cannot serve the run image described by CNB_TARGET_*, or null. hubify's runtime
 * is a glibc Node for linux amd64/arm64: another OS, another architecture than the package's, or a
 * musl distribution (Alpine) cannot run it.
 */
export function targetMismatch(target: Target, packagedArch: string): string | null {
  if (target.os !== null && target.os !== 'linux')
    return `the run image's OS is ${target.os}; the hub runtime runs on linux only.`;
  if (target.arch !== null && target.arch !== packagedArch)
    return (
      `the run image is ${target.arch}, and this package carries the ${packagedArch} runtime; ` +
      `package one with "hubify buildpack package --platform linux/${target.arch}".`
    );
  if (target.distroName?.toLowerCase() === 'alpine')
    return "the run image is Alpine (musl libc); the runtime's Node needs glibc 2.28 or later.";
  return null;
}
