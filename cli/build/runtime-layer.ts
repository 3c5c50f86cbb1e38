/**
 * The part of `hubify build` both ways of building share (the engine's, cli/build/hubify-build.ts,
 * and the daemonless one, cli/build/daemonless-build.ts): from an image's facts and a way to read its
 * files, decide the manifest, gather Node and tini for the platform, plan the accounts and the shim,
 * write the runtime layer tar reproducibly, and decide the config settings of the result.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HubifyError } from '../errors.ts';
import { EXIT } from '../errors.ts';
import type { PathInfo } from '../engine/image-files.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import { layerDirectories, planLayer, type LayerInputs } from '../layer/layer-plan.ts';
import { writeLayerTar, type LayerEntry, type LayerTar } from '../layer/layer-tar.ts';
import { LAYOUT, RUNTIME_COMMAND, TINI_ENTRYPOINT } from '../layer/layout.ts';
import type { NodeArch, NodeBinary } from '../layer/node-binary.ts';
import { describeRuntimeParts, obtainRuntimeParts, type PartArch } from '../layer/runtime-parts.ts';
import { appendUser, DEFAULT_USER, userConflict } from '../layer/passwd.ts';
import { obtainTini, type DebArch, type TiniBinary } from '../layer/tini-binary.ts';
import { LAYER_TAR_NAME } from './build-context.ts';
import { imageManifest, type ImageManifest, type ManifestOverrides } from './build-manifest.ts';
import { buildError, diskFullError, isDiskFull } from './error-codes.ts';
import type { FactsSource } from './facts-source.ts';
import {
  chooseRuntimeUser,
  envChanges,
  hubifiedSettings,
  imageLabels,
  placeShim,
  type HubifiedSettings,
  type RuntimeUser,
  type ShimPlacement,
} from './image-config.ts';
import type { Timer } from './timer.ts';

export const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const ARCH: Record<Platform, { node: NodeArch; deb: DebArch; image: PartArch }> = {
  'linux/amd64': { node: 'x64', deb: 'amd64', image: 'amd64' },
  'linux/arm64': { node: 'arm64', deb: 'arm64', image: 'arm64' },
};

export function isPlatform(text: string): text is Platform {
  return (PLATFORMS as readonly string[]).includes(text);
}

/** The platform of an image's facts, or null when hubify has no runtime for it. */
export function platformOf(facts: Pick<ImageFacts, 'architecture'>): Platform | null {
  return PLATFORMS.find((platform) => ARCH[platform].image === facts.architecture) ?? null;
}

/** Reads paths of the base image: the engine's archive API (ImageFiles) or the layers themselves. */
export interface ImageFileReader {
  /** Metadata of `path` (a final symlink not followed), or null when it does not exist. */
  stat(path: string): Promise<PathInfo | null>;
  /** A regular file's metadata and bytes, or null when it does not exist; throws when not a file. */
  readFile(path: string): Promise<{ info: PathInfo; content: Buffer } | null>;
}

export function unsupported(facts: Pick<ImageFacts, 'reference'>, reasons: readonly string[]): HubifyError {
  return buildError({
    code: 'HUBIFY_IMAGE_UNSUPPORTED',
    message: `${facts.reference} cannot be made hub-ready`,
    detail: reasons.map((reason) => `- ${reason}`).join('\n'),
    hint: 'Run "hubify inspect" on it for everything hubify found.',
    exitCode: EXIT.CHECK_FAILED,
  });
}

/** An image hubify already built cannot be built on again. */
export function hubifiedAlready(labels: Readonly<Record<string, string>>): string[] {
  const made = labels['org.hubify.version'];
  if (made === undefined) return [];
  const base = labels['org.hubify.base.name'];
  return [
    `it was already made hub-ready by hubify ${made}` +
      (base === undefined ? '' : `; build again from its base image ${base}`) +
      '.',
  ];
}

interface AccountPlan {
  user: RuntimeUser;
  accounts: LayerInputs['accounts'];
  home: LayerInputs['home'];
  notes: string[];
}

/** The runtime user, and the account files and home the layer must hold for it. */
async function planAccounts(facts: ImageFacts, files: ImageFileReader): Promise<AccountPlan> {
  const user = chooseRuntimeUser(facts);
  const notes: string[] = [];
  const homeInfo = await files.stat(user.home);
  if (homeInfo !== null && homeInfo.type !== 'directory')
    throw unsupported(facts, [
      `the home of ${user.name}, ${user.home}, is a ${homeInfo.type}, not a directory.`,
    ]);
  const home = homeInfo === null ? { path: user.home, uid: user.uid, gid: user.gid } : null;
  if (!user.added) {
    if (home !== null)
      notes.push(`${user.home} (home of ${user.name}) does not exist in the image: the layer creates it.`);
    return { user, accounts: [], home, notes };
  }
  const [passwd, group, bash, sh] = await Promise.all([
    files.readFile('/etc/passwd'),
    files.readFile('/etc/group'),
    files.stat('/bin/bash'),
    files.stat('/bin/sh'),
  ]);
  const rootFile = (mode: number): PathInfo => ({
    type: 'file',
    mode,
    uid: 0,
    gid: 0,
    mtime: 0,
    linkname: null,
  });
  const passwdText = passwd?.content.toString('utf8') ?? 'root:x:0:0:root:/root:/bin/sh\n';
  const groupText = group?.content.toString('utf8') ?? 'root:x:0:\n';
  const conflict = userConflict(passwdText, DEFAULT_USER);
  if (conflict !== null)
    throw unsupported(facts, [
      `it has no regular user to run as, and hubify cannot add ${DEFAULT_USER.name}: ${conflict}.`,
    ]);
  const shell = bash !== null ? '/bin/bash' : sh !== null ? '/bin/sh' : '/usr/sbin/nologin';
  const appended = appendUser(passwdText, groupText, { ...DEFAULT_USER, shell });
  const accounts: LayerInputs['accounts'] = [
    { path: '/etc/passwd', content: Buffer.from(appended.passwd), base: passwd?.info ?? rootFile(0o644) },
  ];
  if (appended.group !== null)
    accounts.push({
      path: '/etc/group',
      content: Buffer.from(appended.group),
      base: group?.info ?? rootFile(0o644),
    });
  notes.push(
    `added the user ${user.name} (uid ${user.uid}, group ${appended.groupName} ${user.gid}, home ${user.home}, shell ${shell}): the image has no regular user.`,
  );
  return { user, accounts, home, notes };
}

export interface RuntimeLayerRequest {
  facts: ImageFacts;
  files: ImageFileReader;
  platform: Platform;
  overrides: ManifestOverrides;
  /** The runtime bundle (with its #! line). */
  runtime: Buffer;
  /** The base's registry digest (repo@sha256:...), when it has one. */
  baseRepoDigest: string | null;
  hubifyVersion: string;
  /** SOURCE_DATE_EPOCH or the default, seconds. */
  epoch: number;
  env: Readonly<Record<string, string | undefined>>;
  cacheDir: string;
  /** Where the layer tar is written. */
  workDir: string;
  /** tini when the caller already has it. */
  tini?: TiniBinary;
  source: Pick<FactsSource, 'manifestFromFacts' | 'manifestInvalidError'>;
  step: (text: string) => void;
  timer: Timer;
}

export interface RuntimeLayer {
  manifest: ImageManifest;
  apps: string[];
  node: NodeBinary;
  tini: TiniBinary;
  user: RuntimeUser;
  shim: ShimPlacement;
  entries: LayerEntry[];
  layer: LayerTar;
  env: [string, string][];
  labels: Record<string, string>;
  settings: HubifiedSettings;
  /** Notes of detection, accounts and the manifest. */
  notes: string[];
}

/** tini for a platform, from hubify's cache or Debian. */
export function tiniFor(
  platform: Platform,
  request: Pick<RuntimeLayerRequest, 'cacheDir' | 'step' | 'timer'>,
): Promise<TiniBinary> {
  return request.timer.time('tini', () =>
    obtainTini({ arch: ARCH[platform].deb, cacheDir: request.cacheDir, onProgress: request.step }),
  );
}

/** Steps 2 to 5 of a build: manifest, parts, what the layer touches outside /opt/hubify, the tar. */
export async function prepareRuntimeLayer(request: RuntimeLayerRequest): Promise<RuntimeLayer> {
  const { facts, files, timer } = request;
  const manifest = await imageManifest(
    facts,
    request.overrides,
    request.source.manifestFromFacts,
    request.source.manifestInvalidError,
  );
  const apps = manifest.manifest.apps.map((app) => app.name);

  const parts = await obtainRuntimeParts({
    arch: ARCH[request.platform].image,
    cacheDir: request.cacheDir,
    env: request.env,
    onProgress: request.step,
    tini: request.tini,
    time: (name, run) => timer.time(name, run),
  });
  const { node, tini } = parts;
  request.step(describeRuntimeParts(parts));

  const accounts = await timer.time('read-image', () => planAccounts(facts, files));
  const existingShim = await files.stat(`${LAYOUT.shimDir}/${LAYOUT.shimName}`);
  const shim = placeShim(facts, existingShim !== null);
  const directories = layerDirectories({
    shimDir: shim.dir,
    accounts: accounts.accounts,
    home: accounts.home,
    licenses: {},
  });
  const baseDirectories = new Map<string, PathInfo | null>();
  await timer.time('read-image', async () => {
    const infos = await Promise.all(directories.map((path) => files.stat(path)));
    directories.forEach((path, index) => baseDirectories.set(path, infos[index] ?? null));
  });
  const notDirectories = [...baseDirectories].filter(
    ([, info]) => info !== null && info.type !== 'directory',
  );
  if (notDirectories.length > 0)
    throw unsupported(
      facts,
      notDirectories.map(
        ([path, info]) =>
          `${path} is a ${info?.type ?? 'file'}${info?.linkname ? ` to ${info.linkname}` : ''}, but hubify needs it to be a directory.`,
      ),
    );
  const licenses: Record<string, Buffer> = {};
  if (node.licensePath !== null) licenses['node-LICENSE'] = await readFile(node.licensePath);
  if (tini.copyrightPath !== null) licenses['tini-copyright'] = await readFile(tini.copyrightPath);

  const layerInputs: LayerInputs = {
    mtime: request.epoch,
    node: { kind: 'file', path: node.path, size: node.size },
    tini: { kind: 'file', path: tini.path, size: tini.size },
    runtime: request.runtime,
    manifest: manifest.json,
    licenses,
    shimDir: shim.dir,
    accounts: accounts.accounts,
    home: accounts.home,
  };
  const entries = planLayer(layerInputs, baseDirectories);
  request.step(`writing the runtime layer (${entries.length} entries)`);
  const layerFile = join(request.workDir, LAYER_TAR_NAME);
  const layer = await timer.time('layer', async () => {
    try {
      return await writeLayerTar(entries, layerFile);
    } catch (error) {
      if (isDiskFull(error)) throw diskFullError(`the layer into ${request.workDir}`, error);
      throw error;
    }
  });

  const env = envChanges(facts, accounts.user, shim);
  const labels = imageLabels({
    hubifyVersion: request.hubifyVersion,
    facts,
    baseRepoDigest: request.baseRepoDigest,
    apps,
    layerDigest: layer.sha256,
    nodeVersion: node.version,
    created: request.epoch,
  });
  const settings = hubifiedSettings(
    { env, labels, user: accounts.user },
    { entrypoint: TINI_ENTRYPOINT, cmd: RUNTIME_COMMAND, port: LAYOUT.port },
  );
  return {
    manifest,
    apps,
    node,
    tini,
    user: accounts.user,
    shim,
    entries,
    layer,
    env,
    labels,
    settings,
    notes: [...facts.notes, ...accounts.notes, ...manifest.skipped.map((text) => `app left out: ${text}`)],
  };
}
