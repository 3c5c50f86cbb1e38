/**
 * `hubify build`, the work itself (cli/commands/build.ts only parses and prints):
 *
 *   1. make sure the engine has the image (pull when missing), inspect it (cli/inspect/), refuse an
 *      unsupported one with every reason;
 *   2. generate and validate its manifest (with --manifest / --app);
 *   3. gather the parts: the pinned Node (npm, stripped, cached), Debian's static tini, the runtime
 *      bundle next to the CLI;
 *   4. read what the layer touches outside /opt/hubify from the image (parent directories, and
 *      /etc/passwd and /etc/group when a user must be added);
 *   5. write the layer tar reproducibly, render templates/Dockerfile.hubify, build through the Engine
 *      API from a tar-stream context, check the result has exactly one layer more, optionally push.
 *
 * Reproducibility: the engine's ADD unpacks the tar into the image and the engine re-tars the change
 * as the layer. Entries keep the tar's owners, modes and mtimes; parents that are not in the tar get
 * the build time as mtime, so every parent directory is in the tar with the metadata it has in the
 * base image. Then two builds give the same layer diff id (checked by the integration test).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import type { HubifyError } from '../errors.ts';
import { EXIT, usageError } from '../errors.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import { buildFromContext } from '../engine/build-image.ts';
import { parseImageReference, withDefaultTag } from '../engine/image-reference.ts';
import { ImageFiles, type PathInfo } from '../engine/image-files.ts';
import type { LayerProgress } from '../engine/layer-progress.ts';
import { ensureImage } from '../engine/pull-image.ts';
import { pushImage } from '../engine/push-image.ts';
import { cachedGzipSize } from '../layer/gzip-size.ts';
import { layerDirectories, planLayer, type LayerInputs } from '../layer/layer-plan.ts';
import { writeLayerTar } from '../layer/layer-tar.ts';
import { LAYOUT, RUNTIME_COMMAND, TINI_ENTRYPOINT } from '../layer/layout.ts';
import { obtainNodeBinary, type NodeArch, type NodeBinary } from '../layer/node-binary.ts';
import { appendUser, DEFAULT_USER, userConflict } from '../layer/passwd.ts';
import { loadRuntimeBundle } from '../layer/runtime-bundle.ts';
import { obtainTini, type DebArch, type TiniBinary } from '../layer/tini-binary.ts';
import { LAYER_TAR_NAME, buildContext } from './build-context.ts';
import { imageManifest, type ManifestOverrides } from './build-manifest.ts';
import {
  envInstructions,
  labelInstruction,
  loadDockerfileTemplate,
  renderDockerfile,
  workdirValue,
  type DockerfileValues,
} from './dockerfile.ts';
import { buildError, diskFullError, isDiskFull } from './error-codes.ts';
import type { FactsSource } from './facts-source.ts';
import {
  chooseRuntimeUser,
  envChanges,
  imageLabels,
  placeShim,
  sourceDateEpoch,
  type RuntimeUser,
  type ShimPlacement,
} from './image-config.ts';

export const PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type Platform = (typeof PLATFORMS)[number];

const ARCH: Record<Platform, { node: NodeArch; deb: DebArch; image: string }> = {
  'linux/amd64': { node: 'x64', deb: 'amd64', image: 'amd64' },
  'linux/arm64': { node: 'arm64', deb: 'arm64', image: 'arm64' },
};

type Env = Readonly<Record<string, string | undefined>>;

export interface HubifyBuildRequest {
  /** The image to make hub-ready, as the user named it. */
  image: string;
  /** The result's name (repo[:tag]; :latest added when missing). */
  tag: string;
  /** The platform to build for; the image's own when null. */
  platform: Platform | null;
  push: boolean;
  /** Build without the engine's cache. */
  noCache: boolean;
  overrides: ManifestOverrides;
  env: Env;
  cacheDir: string;
  hubifyVersion: string;
  /** The runtime bundle; default dist/hubify-proxy.mjs next to the CLI. */
  runtimeBundlePath?: string;
  /** Labels for the short-lived containers the build creates to read the image (tests mark theirs). */
  containerLabels?: Record<string, string>;
}

/** Where progress goes: steps (one line each), detail (engine output, --debug), per-layer bars. */
export interface BuildReporter {
  step: (text: string) => void;
  detail: (text: string) => void;
  layerProgress: () => LayerProgress | undefined;
}

export interface HubifyBuildResult {
  image: { reference: string; id: string; pushedDigest: string | null };
  base: { reference: string; id: string; digest: string; pulled: boolean };
  platform: Platform;
  layer: {
    /** The diff id of the layer the engine stored (the last of the image's RootFS.Layers). */
    diffId: string;
    /** sha256 of the tar hubify wrote (what the engine unpacked). */
    tarDigest: string;
    rawSize: number;
    gzipSize: number;
    entries: number;
  };
  parts: {
    node: Omit<NodeBinary, 'path'>;
    tini: Omit<TiniBinary, 'path'>;
    runtime: { size: number; source: string };
    manifest: { size: number };
  };
  user: RuntimeUser;
  shim: { path: string; reason: string };
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
  apps: string[];
  defaultApp: string | null;
  labels: Record<string, string>;
  dockerfile: string;
  notes: string[];
  timingsMs: Record<string, number>;
}

function platformOf(facts: ImageFacts): Platform | null {
  const found = PLATFORMS.find((platform) => ARCH[platform].image === facts.architecture);
  return found ?? null;
}

/** Reasons beyond inspect's own: an image hubify already built, ONBUILD triggers that would run. */
export function buildBlockers(facts: ImageFacts, inspect: Docker.ImageInspectInfo): string[] {
  const reasons: string[] = [];
  const made = facts.config.labels['org.hubify.version'];
  if (made !== undefined) {
    const base = facts.config.labels['org.hubify.base.name'];
    reasons.push(
      `it was already made hub-ready by hubify ${made}` +
        (base === undefined ? '' : `; build again from its base image ${base}`) +
        '.',
    );
  }
  const onBuild = inspect.Config.OnBuild ?? [];
  if (onBuild.length > 0)
    reasons.push(`it has ONBUILD triggers that would run during the build (${onBuild.join('; ')}).`);
  return reasons;
}

/** Times steps. */
class Timer {
  readonly timings: Record<string, number> = {};
  private readonly started = Date.now();
  async time<T>(name: string, run: () => Promise<T>): Promise<T> {
    const start = Date.now();
    try {
      return await run();
    } finally {
      this.timings[name] = (this.timings[name] ?? 0) + Date.now() - start;
    }
  }
  total(): void {
    this.timings.total = Date.now() - this.started;
  }
}

interface AccountPlan {
  user: RuntimeUser;
  accounts: LayerInputs['accounts'];
  home: LayerInputs['home'];
  notes: string[];
}

/** The runtime user, and the account files and home the layer must hold for it. */
async function planAccounts(facts: ImageFacts, files: ImageFiles): Promise<AccountPlan> {
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

function unsupported(facts: ImageFacts, reasons: readonly string[]): HubifyError {
  return buildError({
    code: 'HUBIFY_IMAGE_UNSUPPORTED',
    message: `${facts.reference} cannot be made hub-ready`,
    detail: reasons.map((reason) => `- ${reason}`).join('\n'),
    hint: 'Run "hubify inspect" on it for everything hubify found.',
    exitCode: EXIT.CHECK_FAILED,
  });
}

/**
 * Checks what can be checked without an engine: the tag and SOURCE_DATE_EPOCH (usage errors, exit 2).
 * Returns the tag with :latest added when it has none, and the date for mtimes and labels.
 */
export function checkRequest(request: Pick<HubifyBuildRequest, 'tag' | 'env'>): {
  tag: string;
  epoch: number;
} {
  let epoch: number;
  try {
    epoch = sourceDateEpoch(request.env);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const parsed = parseImageReference(request.tag);
  if ('error' in parsed || parsed.digest !== null)
    throw usageError(
      `--tag ${request.tag} is not an image name: ${'error' in parsed ? parsed.error : 'it cannot hold a digest'}`,
    );
  return { tag: withDefaultTag(request.tag), epoch };
}

export async function hubifyBuild(
  docker: Docker,
  source: FactsSource,
  request: HubifyBuildRequest,
  report: BuildReporter,
): Promise<HubifyBuildResult> {
  const timer = new Timer();
  const { tag, epoch } = checkRequest(request);
  // The runtime bundle first: without it nothing else is worth fetching.
  const runtime = await loadRuntimeBundle(request.runtimeBundlePath);
  const labelsForContainers = request.containerLabels ?? {};

  // An explicit platform: check the parts for it first, so a build that cannot happen fails at once.
  let tini: TiniBinary | null = null;
  if (request.platform !== null) {
    const arch = ARCH[request.platform].deb;
    tini = await timer.time('tini', () =>
      obtainTini({ arch, cacheDir: request.cacheDir, onProgress: report.step }),
    );
  }

  // 1. The image and its facts.
  report.step(`inspecting ${request.image}`);
  const ensured = await timer.time('pull', () =>
    ensureImage(docker, request.image, {
      ...(request.platform === null ? {} : { platform: request.platform }),
      progress: report.layerProgress(),
      onLine: report.step,
      env: request.env,
    }),
  );
  const facts = await timer.time('inspect', () =>
    source.inspectImage(docker, request.image, labelsForContainers),
  );
  const reasons = [...facts.unsupported, ...buildBlockers(facts, ensured.inspect)];
  if (reasons.length > 0) throw unsupported(facts, reasons);
  const platform = platformOf(facts);
  if (platform === null) throw unsupported(facts, [`architecture ${facts.architecture} is not supported.`]);
  if (request.platform !== null && request.platform !== platform) {
    throw buildError({
      code: 'HUBIFY_PLATFORM_MISMATCH',
      message: `${request.image} is a ${platform} image, not ${request.platform}`,
      hint: `Build it for ${platform} (leave out --platform), or pull the ${request.platform} variant first (docker pull --platform ${request.platform} ...).`,
      exitCode: EXIT.USAGE,
    });
  }
  const arch = ARCH[platform];
  const baseDigest = ensured.inspect.RepoDigests?.[0] ?? null;

  // 2. The manifest.
  const manifest = await imageManifest(
    facts,
    request.overrides,
    source.manifestFromFacts,
    source.manifestInvalidError,
  );
  const apps = manifest.manifest.apps.map((app) => app.name);

  // 3. The parts.
  tini ??= await timer.time('tini', () =>
    obtainTini({ arch: arch.deb, cacheDir: request.cacheDir, onProgress: report.step }),
  );
  const node = await timer.time('node', () =>
    obtainNodeBinary({
      arch: arch.node,
      cacheDir: request.cacheDir,
      onProgress: report.step,
      env: { ...process.env, ...request.env },
    }),
  );
  report.step(
    `node ${node.version} linux-${node.arch}${node.cached ? ' (cached)' : ''}: ${node.stripped ? `stripped with ${node.strip}` : node.strip}; ` +
      `tini ${tini.version} ${tini.arch}${tini.cached ? ' (cached)' : ` (${tini.source})`}`,
  );

  // 4. What the layer touches outside /opt/hubify, read from the image.
  const files = await ImageFiles.open(docker, facts.id, labelsForContainers);
  let accounts: AccountPlan;
  let shim: ShimPlacement;
  const baseDirectories = new Map<string, PathInfo | null>();
  const licenses: Record<string, Buffer> = {};
  try {
    accounts = await timer.time('read-image', () => planAccounts(facts, files));
    const existingShim = await files.stat(`${LAYOUT.shimDir}/${LAYOUT.shimName}`);
    shim = placeShim(facts, existingShim !== null);
    const directories = layerDirectories({
      shimDir: shim.dir,
      accounts: accounts.accounts,
      home: accounts.home,
      licenses: {},
    });
    await timer.time('read-image', async () => {
      const infos = await Promise.all(directories.map((path) => files.stat(path)));
      directories.forEach((path, index) => baseDirectories.set(path, infos[index] ?? null));
    });
  } finally {
    await files.close();
  }
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
  if (node.licensePath !== null) licenses['node-LICENSE'] = await readFile(node.licensePath);
  if (tini.copyrightPath !== null) licenses['tini-copyright'] = await readFile(tini.copyrightPath);

  // 5. The layer, the Dockerfile, the build.
  const work = await mkdtemp(join(tmpdir(), 'hubify-build-'));
  try {
    const layerInputs: LayerInputs = {
      mtime: epoch,
      node: { kind: 'file', path: node.path, size: node.size },
      tini: { kind: 'file', path: tini.path, size: tini.size },
      runtime: runtime.content,
      manifest: manifest.json,
      licenses,
      shimDir: shim.dir,
      accounts: accounts.accounts,
      home: accounts.home,
    };
    const entries = planLayer(layerInputs, baseDirectories);
    report.step(`writing the runtime layer (${entries.length} entries)`);
    const layerFile = join(work, LAYER_TAR_NAME);
    const layer = await timer.time('layer', async () => {
      try {
        return await writeLayerTar(entries, layerFile);
      } catch (error) {
        if (isDiskFull(error)) throw diskFullError(`the layer into ${work}`, error);
        throw error;
      }
    });

    const env = envChanges(facts, accounts.user, shim);
    const labels = imageLabels({
      hubifyVersion: request.hubifyVersion,
      facts,
      baseRepoDigest: baseDigest,
      apps,
      layerDigest: layer.sha256,
      nodeVersion: node.version,
      created: epoch,
    });
    const values: DockerfileValues = {
      BASE_IMAGE: facts.id,
      LAYER_TAR: LAYER_TAR_NAME,
      ENV: envInstructions(env),
      LABELS: labelInstruction(labels),
      USER: `${accounts.user.uid}:${accounts.user.gid}`,
      WORKDIR: workdirValue(accounts.user.home),
      PORT: String(LAYOUT.port),
      ENTRYPOINT: JSON.stringify(TINI_ENTRYPOINT),
      CMD: JSON.stringify(RUNTIME_COMMAND),
    };
    const dockerfile = renderDockerfile(await loadDockerfileTemplate(), values);

    report.step(`building ${tag}`);
    const [built, gzip] = await Promise.all([
      timer.time('build', () =>
        buildFromContext(
          docker,
          buildContext({ dockerfile, layerFile, layerSize: layer.size, mtime: epoch }),
          { tag, noCache: request.noCache, onLine: report.detail },
        ),
      ),
      timer.time('gzip', () => cachedGzipSize(layerFile, layer.sha256, request.cacheDir)),
    ]);
    const baseLayers = ensured.inspect.RootFS.Layers ?? [];
    const layers = built.inspect.RootFS.Layers ?? [];
    const added = layers.slice(baseLayers.length);
    if (added.length !== 1 || baseLayers.some((diffId, index) => layers[index] !== diffId))
      throw new Error(
        `the built image should have the base's ${baseLayers.length} layers and one more, but has ${layers.length}: ${added.join(', ')}`,
      );

    let pushedDigest: string | null = null;
    if (request.push) {
      report.step(`pushing ${tag}`);
      pushedDigest = await timer.time('push', () =>
        pushImage(docker, tag, { progress: report.layerProgress(), env: request.env }),
      );
    }
    timer.total();
    const { path: _nodePath, ...nodePart } = node;
    const { path: _tiniPath, ...tiniPart } = tini;
    return {
      image: { reference: tag, id: built.id, pushedDigest },
      base: {
        reference: facts.reference,
        id: facts.id,
        digest: labels['org.hubify.base.digest'] ?? facts.id,
        pulled: ensured.pulled,
      },
      platform,
      layer: {
        diffId: added[0] ?? '',
        tarDigest: layer.sha256,
        rawSize: layer.size,
        gzipSize: gzip.size,
        entries: entries.length,
      },
      parts: {
        node: nodePart,
        tini: tiniPart,
        runtime: { size: runtime.content.length, source: runtime.source },
        manifest: { size: manifest.json.length },
      },
      user: accounts.user,
      shim: { path: posix.join(shim.dir, LAYOUT.shimName), reason: shim.reason },
      env: Object.fromEntries(env),
      entrypoint: [...TINI_ENTRYPOINT],
      cmd: [...RUNTIME_COMMAND],
      apps,
      defaultApp: manifest.manifest.defaultApp ?? null,
      labels,
      dockerfile,
      notes: [...facts.notes, ...accounts.notes, ...manifest.skipped.map((text) => `app left out: ${text}`)],
      timingsMs: timer.timings,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
