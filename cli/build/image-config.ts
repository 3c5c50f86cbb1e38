/**
 * Decisions `hubify build` takes from the image's facts, as pure functions: which user the runtime
 * runs as (the image's non-root user, else a new jovyan 1000:100), where the jupyterhub-singleuser
 * shim goes, which ENV lines are needed, and the labels of the result.
 */
import { posix } from 'node:path';
import type { ImageFacts, ImageUser } from '../image/image-facts.ts';
import { DEFAULT_USER } from '../layer/passwd.ts';
import { LAYOUT } from '../layer/layout.ts';

/** mtime and `created` when SOURCE_DATE_EPOCH is unset: 2024-01-01T00:00:00Z. */
export const DEFAULT_SOURCE_DATE_EPOCH = 1_704_067_200;

/** Docker's PATH for containers whose image sets none. */
export const DOCKER_DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Ordinary users on Debian and most distributions: uid 1000 to 59999 (65534 is nobody). */
export function isRegularUser(user: Pick<ImageUser, 'uid' | 'name'>): boolean {
  return user.uid >= 1000 && user.uid < 60_000 && user.name !== 'nobody';
}

export interface RuntimeUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** True when hubify adds this user to /etc/passwd. */
  added: boolean;
  /** False when /etc/passwd gives no usable home (empty, relative or /), so HOME must be set. */
  homeFromPasswd: boolean;
}

/** The image's non-root user (facts.nonRootUser when it is a regular user), or null. */
export function existingRuntimeUser(facts: ImageFacts): ImageUser | null {
  if (facts.nonRootUser !== null && isRegularUser(facts.nonRootUser)) return facts.nonRootUser;
  return facts.users.find(isRegularUser) ?? null;
}

/** The user the runtime runs as: the image's own non-root user, else the jovyan hubify adds. */
export function chooseRuntimeUser(facts: ImageFacts): RuntimeUser {
  const existing = existingRuntimeUser(facts);
  if (existing !== null) {
    const usable = existing.home.startsWith('/') && existing.home !== '/';
    const home = usable ? existing.home : `/home/${existing.name}`;
    return {
      name: existing.name,
      uid: existing.uid,
      gid: existing.gid,
      home,
      added: false,
      homeFromPasswd: usable,
    };
  }
  const { name, uid, gid, home } = DEFAULT_USER;
  return { name, uid, gid, home, added: true, homeFromPasswd: true };
}

/** The image's PATH as a list (Docker's default when the image sets none). */
export function imagePath(facts: ImageFacts): string[] {
  const text = facts.config.env.PATH ?? DOCKER_DEFAULT_PATH;
  return text.split(':').filter((entry) => entry !== '');
}

export interface ShimPlacement {
  /** Directory of the shim. */
  dir: string;
  /** A new PATH when the shim's directory must come first, else null. */
  path: string | null;
  /** Why, in words, for the build output. */
  reason: string;
}

/**
 * /usr/local/bin when it is on PATH, holds no jupyterhub-singleuser, and no other
 * jupyterhub-singleuser comes before it; else /opt/hubify/shims put first on PATH (docker-stacks has
 * /opt/conda/bin/jupyterhub-singleuser first), so the image's own stays untouched but is not found first.
 */
export function placeShim(facts: ImageFacts, usrLocalBinHasOne: boolean): ShimPlacement {
  const path = imagePath(facts);
  const usrLocalBin = path.indexOf(LAYOUT.shimDir);
  const existing = facts.jupyterhubSingleuser;
  const existingIndex = existing === null ? -1 : path.indexOf(posix.dirname(existing));
  const shadowed = existing !== null && (existingIndex === -1 || existingIndex < usrLocalBin);
  if (usrLocalBin !== -1 && !usrLocalBinHasOne && !shadowed)
    return { dir: LAYOUT.shimDir, path: null, reason: `${LAYOUT.shimDir} is on PATH` };
  const why =
    usrLocalBin === -1
      ? `${LAYOUT.shimDir} is not on the image's PATH`
      : usrLocalBinHasOne
        ? `the image has its own ${LAYOUT.shimDir}/${LAYOUT.shimName}, left as it is`
        : `the image's own ${existing ?? LAYOUT.shimName} comes before ${LAYOUT.shimDir} on PATH`;
  return {
    dir: LAYOUT.shimDirFirstOnPath,
    path: [LAYOUT.shimDirFirstOnPath, ...path.filter((entry) => entry !== LAYOUT.shimDirFirstOnPath)].join(
      ':',
    ),
    reason: `${why}: PATH starts with ${LAYOUT.shimDirFirstOnPath}`,
  };
}

/**
 * ENV lines the image needs: HOME only when the image sets a HOME that is not the runtime user's, or
 * /etc/passwd gives none (otherwise the engine sets HOME from /etc/passwd, and a spawner's HOME still
 * wins); PATH when the shim must come first.
 */
export function envChanges(facts: ImageFacts, user: RuntimeUser, shim: ShimPlacement): [string, string][] {
  const env: [string, string][] = [];
  const home = facts.config.env.HOME;
  if ((home !== undefined && home !== user.home) || !user.homeFromPasswd) env.push(['HOME', user.home]);
  if (shim.path !== null) env.push(['PATH', shim.path]);
  return env;
}

/** The date for mtimes and the created label: SOURCE_DATE_EPOCH (seconds) or the default. */
export function sourceDateEpoch(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.SOURCE_DATE_EPOCH;
  if (text === undefined || text === '') return DEFAULT_SOURCE_DATE_EPOCH;
  if (!/^\d{1,11}$/.test(text))
    throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970, got ${JSON.stringify(text)}`);
  return Number(text);
}

export interface LabelInputs {
  hubifyVersion: string;
  facts: ImageFacts;
  /** The base's registry digest (repo@sha256:...) when it has one. */
  baseRepoDigest: string | null;
  apps: string[];
  layerDigest: string;
  nodeVersion: string;
  created: number;
}

/** The labels of a hubified image. Values are strings; lists and argv are JSON. */
export function imageLabels(inputs: LabelInputs): Record<string, string> {
  const { facts } = inputs;
  const digest = inputs.baseRepoDigest?.split('@')[1] ?? facts.id;
  return {
    'org.hubify.version': inputs.hubifyVersion,
    'org.hubify.base.name': facts.reference,
    'org.hubify.base.digest': digest,
    'org.hubify.base.id': facts.id,
    'org.hubify.original.entrypoint': JSON.stringify(facts.config.entrypoint ?? []),
    'org.hubify.original.cmd': JSON.stringify(facts.config.cmd ?? []),
    'org.hubify.original.user': facts.config.user,
    'org.hubify.original.workdir': facts.config.workdir,
    'org.hubify.apps': JSON.stringify(inputs.apps),
    'org.hubify.layer.digest': inputs.layerDigest,
    'org.hubify.node.version': inputs.nodeVersion,
    'org.opencontainers.image.base.name': facts.reference,
    'org.opencontainers.image.base.digest': digest,
    'org.opencontainers.image.created': new Date(inputs.created * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

/** Everything the hubified image's config sets, decided once for both the engine and the OCI path. */
export interface HubifiedSettings {
  /** ENV changes, in order (each replaces the base's value of that name, else is appended). */
  env: [string, string][];
  labels: Record<string, string>;
  /** `uid:gid`. */
  user: string;
  workdir: string;
  /** The runtime's port, exposed as `<port>/tcp`. */
  port: number;
  stopSignal: string;
  entrypoint: string[];
  cmd: string[];
}

/** The settings for a runtime user, shim, labels: what templates/Dockerfile.hubify writes. */
export function hubifiedSettings(
  inputs: { env: [string, string][]; labels: Record<string, string>; user: RuntimeUser },
  command: { entrypoint: readonly string[]; cmd: readonly string[]; port: number },
): HubifiedSettings {
  return {
    env: inputs.env,
    labels: inputs.labels,
    user: `${inputs.user.uid}:${inputs.user.gid}`,
    workdir: inputs.user.home,
    port: command.port,
    stopSignal: 'SIGTERM',
    entrypoint: [...command.entrypoint],
    cmd: [...command.cmd],
  };
}

/** The `config` object of an OCI / Docker image config (the fields hubify reads or writes, others kept). */
export interface ContainerConfig {
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  StopSignal?: string;
  Healthcheck?: { Test?: string[] } & Record<string, unknown>;
  OnBuild?: string[] | null;
  [key: string]: unknown;
}

/**
 * The container config a build with templates/Dockerfile.hubify gives, computed from the base's:
 * ENV replaced in place or appended (as the builder does), labels merged, USER, WORKDIR, the port
 * exposed, STOPSIGNAL SIGTERM, HEALTHCHECK NONE, ENTRYPOINT and CMD replaced, ONBUILD cleared.
 */
export function applySettings(base: ContainerConfig, settings: HubifiedSettings): ContainerConfig {
  const env = [...(base.Env ?? [])];
  for (const [name, value] of settings.env) {
    const index = env.findIndex((line) => line.split('=')[0] === name);
    if (index === -1) env.push(`${name}=${value}`);
    else env[index] = `${name}=${value}`;
  }
  const config: ContainerConfig = {
    ...base,
    Env: env,
    Labels: { ...(base.Labels ?? {}), ...settings.labels },
    User: settings.user,
    WorkingDir: settings.workdir,
    ExposedPorts: { ...(base.ExposedPorts ?? {}), [`${settings.port}/tcp`]: {} },
    StopSignal: settings.stopSignal,
    Healthcheck: { Test: ['NONE'] },
    Entrypoint: [...settings.entrypoint],
    Cmd: [...settings.cmd],
  };
  delete config.OnBuild;
  return config;
}
