// The hubify Cloud Native Buildpack, end to end: `hubify buildpack package` (the real CLI), then
// bin/detect and bin/build run exactly as the lifecycle runs them, then the result assembled as the
// exporter assembles it, then `hubify test` on that image against a real JupyterHub.
//
// What is real: the packaged buildpack (its POSIX sh bin/ scripts, the Node binary and program shipped
// inside it), the build image (`hubify-fixture/debian`: no Node, no Python, checked), the run image
// (`hubify-fixture/conda-notebook`: Python for the app, user 1000), the app (a Procfile whose `web`
// process is `python3 -m http.server`), the hub (Debian's JupyterHub 3.0), the browser.
//
// What is modelled, and why: `pack` and the lifecycle binaries cannot be installed here (no registry,
// not in Debian), so this file plays the lifecycle's part:
//   - detector/builder: each phase runs in a container of the build image as a non-root CNB user
//     (uid 1001, as builders have it), working directory the app dir, with exactly the CNB_* variables
//     of Buildpack API 0.12 and the platform dir, plan files and layers dir the lifecycle would make
//     (the buildpack in /cnb/buildpacks/<escaped id>/<version>, layers in /layers/<escaped id>). A
//     `sh -c 'cd /workspace && exec bin/...'` sets the working directory (exec: bin/... replaces it);
//   - restorer (rebuild test): `<layer>.toml` metadata put back without `[types]`, no layer directory;
//   - exporter: FROM the run image, one layer per launch layer at its absolute path, the app dir at
//     /workspace, files owned by the build user, mtimes 1980-01-01T00:00:01Z; ENTRYPOINT
//     /cnb/process/<default type>, CMD cleared, WORKDIR /workspace, CNB_LAYERS_DIR, CNB_APP_DIR,
//     PATH=/cnb/process:<run image PATH>, launch.toml labels as image labels;
//   - launcher: /cnb/lifecycle/launcher is a generated POSIX sh script (the real one is a Go binary)
//     and /cnb/process/<type> symlinks to it. By the name it was called with it picks the process,
//     drops CNB_* and the leading /cnb/process from the environment, prepends launch layers' bin/ to
//     PATH, applies env/ and env.launch/ files with the spec's suffix rules (at run time, so
//     `.default` sees the container's environment), cds to the working dir, and execs the command with
//     the user's arguments replacing the default args. exec.d and profile.d are not modelled: the
//     model refuses layers that have them (ours have none).
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse as parseToml } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildpackManifest } from '../../cli/buildpack/app-manifest.ts';
import { parseProcfile } from '../../cli/buildpack/process-types.ts';
import { writeLayerTar, type LayerEntry } from '../../cli/layer/layer-tar.ts';
import { isElfFor } from '../../cli/layer/tini-binary.ts';
import {
  buildImage,
  connectDocker,
  inspectImage,
  newTestRunId,
  removeContainersByLabel,
  runContainer,
  TEST_RUN_LABEL,
  type ContextFile,
  type RunResult,
} from '../helpers/docker.ts';
import {
  CLI,
  describeRun as describeCliRun,
  expectHubifyTestPasses,
  REPO_ROOT,
  runNode,
} from '../helpers/hubify-cli.ts';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const BUILD_IMAGE = 'hubify-fixture/debian:latest';
const RUN_IMAGE = 'hubify-fixture/conda-notebook:latest';
const APP_IMAGE = 'hubify-test/buildpack-app:latest';

const ID = 'hubify/hub-runtime';
const ESCAPED_ID = 'hubify_hub-runtime';
/** The build image's CNB_USER_ID / CNB_GROUP_ID (builders use a non-root user; 1000 is the run user). */
const CNB_USER = 1001;
const CNB_GROUP = 1001;
/** The exporter's mtime for everything it adds (lifecycle archive.NormalizedModTime). */
const NORMALIZED_MTIME = Date.UTC(1980, 0, 1, 0, 0, 1) / 1000;
/** In-container paths, the lifecycle's defaults. */
const LAYERS = '/layers';
const APP = '/workspace';
const PLATFORM = '/platform';
const PROCFILE = 'web: python3 -m http.server "$PORT" --bind 127.0.0.1\n';

/** Two `hubify test` runs (each a hub start, a server, the app). */
const HUBIFY_TESTS_TIMEOUT_MS = 10 * 60_000;

let docker: Docker;
let scratch: string;
let version: string;
let buildpackDir: string;
const testRunId = newTestRunId('buildpack');

/** The directories of one build, on this machine, owned by the CNB user as the lifecycle makes them. */
interface BuildDirs {
  root: string;
  app: string;
  layers: string;
  platform: string;
  plan: string;
}

async function makeBuildDirs(name: string, platformEnv: Record<string, string> = {}): Promise<BuildDirs> {
  const root = join(scratch, name);
  const dirs: BuildDirs = {
    root,
    app: join(root, 'workspace'),
    layers: join(root, 'layers'),
    platform: join(root, 'platform'),
    plan: join(root, 'plan'),
  };
  await mkdir(join(dirs.layers, ESCAPED_ID), { recursive: true });
  await mkdir(join(dirs.platform, 'env'), { recursive: true });
  await mkdir(dirs.app, { recursive: true });
  await mkdir(dirs.plan, { recursive: true });
  await writeFile(join(dirs.app, 'Procfile'), PROCFILE);
  await writeFile(join(dirs.app, 'index.html'), '<h1>served by the web process</h1>\n');
  for (const [name_, value] of Object.entries(platformEnv))
    await writeFile(join(dirs.platform, 'env', name_), value);
  for (const path of [root, dirs.app, dirs.layers, join(dirs.layers, ESCAPED_ID), dirs.platform, dirs.plan])
    await chown(path, CNB_USER, CNB_GROUP);
  for (const file of ['Procfile', 'index.html']) await chown(join(dirs.app, file), CNB_USER, CNB_GROUP);
  return dirs;
}

/** Runs bin/<phase> as the lifecycle does: build image, CNB user, app dir as cwd, CNB_* variables. */
function runPhase(
  phase: 'detect' | 'build',
  dirs: BuildDirs,
  env: Record<string, string>,
): Promise<RunResult> {
  const buildpackInContainer = `/cnb/buildpacks/${ESCAPED_ID}/${version}`;
  return runContainer(docker, {
    image: BUILD_IMAGE,
    user: `${CNB_USER}:${CNB_GROUP}`,
    entrypoint: ['/bin/sh', '-c', `cd ${APP} && exec "$0"`, `${buildpackInContainer}/bin/${phase}`],
    env: {
      HOME: '/tmp',
      CNB_BUILDPACK_DIR: buildpackInContainer,
      CNB_PLATFORM_DIR: PLATFORM,
      CNB_TARGET_OS: 'linux',
      CNB_TARGET_ARCH: 'amd64',
      CNB_TARGET_DISTRO_NAME: 'debian',
      CNB_TARGET_DISTRO_VERSION: '12',
      ...env,
    },
    testRunId,
    timeoutMs: 120_000,
    mounts: [
      { Type: 'bind', Source: buildpackDir, Target: buildpackInContainer, ReadOnly: true },
      { Type: 'bind', Source: dirs.app, Target: APP, ReadOnly: phase === 'detect' },
      { Type: 'bind', Source: dirs.layers, Target: LAYERS, ReadOnly: false },
      { Type: 'bind', Source: dirs.platform, Target: PLATFORM, ReadOnly: true },
      { Type: 'bind', Source: dirs.plan, Target: '/plan', ReadOnly: false },
    ],
  });
}

function detect(dirs: BuildDirs, env: Record<string, string> = {}): Promise<RunResult> {
  return runPhase('detect', dirs, { CNB_BUILD_PLAN_PATH: '/plan/plan.toml', ...env });
}

/** The buildpack plan the lifecycle hands to build: the `hubify` entries required in the group. */
async function build(dirs: BuildDirs, env: Record<string, string> = {}): Promise<RunResult> {
  const planFile = join(dirs.plan, 'buildpack-plan.toml');
  await writeFile(planFile, `[[entries]]\nname = "hubify"\n\n[entries.metadata]\nversion = "${version}"\n`);
  return runPhase('build', dirs, {
    CNB_LAYERS_DIR: `${LAYERS}/${ESCAPED_ID}`,
    CNB_BP_PLAN_PATH: '/plan/buildpack-plan.toml',
    ...env,
  });
}

function describeRun(result: RunResult): string {
  return `exit ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

async function readToml(path: string): Promise<Record<string, unknown>> {
  return parseToml(await readFile(path, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Exporter and launcher models (see the top comment).

interface LaunchProcess {
  type: string;
  command: string[];
  args: string[];
  default?: boolean;
  'working-dir'?: string;
}

/** Entries for a directory tree under `root` (host) placed at `at` (image), owned by the build user. */
async function treeEntries(root: string, at: string): Promise<LayerEntry[]> {
  const base = { uid: CNB_USER, gid: CNB_GROUP, mtime: NORMALIZED_MTIME };
  const entries: LayerEntry[] = [];
  const walk = async (hostPath: string, imagePath: string): Promise<void> => {
    const info = await lstat(hostPath);
    if (info.isSymbolicLink()) {
      entries.push({ type: 'symlink', path: imagePath, target: await readlink(hostPath), ...base });
    } else if (info.isDirectory()) {
      entries.push({ type: 'directory', path: imagePath, mode: info.mode & 0o7777, ...base });
      for (const name of (await readdir(hostPath)).sort())
        await walk(join(hostPath, name), `${imagePath}/${name}`);
    } else {
      const content = { kind: 'file' as const, path: hostPath, size: info.size };
      entries.push({ type: 'file', path: imagePath, mode: info.mode & 0o7777, content, ...base });
    }
  };
  await walk(root, at);
  return entries;
}

/** Parent directories of `path` (exclusive), as the exporter writes them into each layer. */
function parents(path: string): LayerEntry[] {
  const out: LayerEntry[] = [];
  for (let index = path.indexOf('/', 1); index !== -1; index = path.indexOf('/', index + 1))
    out.push({
      type: 'directory',
      path: path.slice(0, index),
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: NORMALIZED_MTIME,
    });
  return out;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

/** The env file rules of the spec (one layer, one directory), as sh run at launch. */
async function envFileLines(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const lines: string[] = [];
  const files = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile());
  const delims = new Map<string, string>();
  for (const file of files) {
    const [name, suffix] = file.name.split('.', 2);
    if (suffix === 'delim' && name !== undefined)
      delims.set(name, await readFile(join(dir, file.name), 'utf8'));
  }
  for (const file of files.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const [name, suffix = 'override'] = file.name.split('.', 2);
    if (name === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new Error(`launcher model: bad env file name ${file.name}`);
    const value = shellQuote(await readFile(join(dir, file.name), 'utf8'));
    const delim = shellQuote(delims.get(name) ?? '');
    if (suffix === 'delim') continue;
    if (suffix === 'override') lines.push(`export ${name}=${value}`);
    else if (suffix === 'default') lines.push(`[ -n "$${name}" ] || export ${name}=${value}`);
    else if (suffix === 'prepend' || suffix === 'append') {
      const joined = suffix === 'prepend' ? `${value}${delim}"$${name}"` : `"$${name}"${delim}${value}`;
      lines.push(`if [ -n "$${name}" ]; then export ${name}=${joined}; else export ${name}=${value}; fi`);
    } else throw new Error(`launcher model: unknown env file suffix in ${file.name}`);
  }
  return lines;
}

/** The launcher model: one sh script, dispatching on the name it was called by. */
async function launcherScript(
  hostLayers: string,
  launchLayers: string[],
  processes: LaunchProcess[],
): Promise<string> {
  const common: string[] = [
    'PATH=${PATH#/cnb/process:}',
    'unset CNB_LAYERS_DIR CNB_APP_DIR CNB_PROCESS_TYPE',
  ];
  // Layer paths: later buildpacks first, a buildpack's layers in ascending name order (one buildpack here).
  for (const layer of [...launchLayers].sort().reverse())
    if (existsSync(join(hostLayers, layer, 'bin')))
      common.push(`export PATH=${shellQuote(`${LAYERS}/${ESCAPED_ID}/${layer}/bin`)}:"$PATH"`);
  for (const layer of [...launchLayers].sort()) {
    for (const unsupported of ['exec.d', 'profile.d'])
      if (existsSync(join(hostLayers, layer, unsupported)))
        throw new Error(`launcher model: ${layer}/${unsupported} is not modelled`);
    common.push(...(await envFileLines(join(hostLayers, layer, 'env'))));
    common.push(...(await envFileLines(join(hostLayers, layer, 'env.launch'))));
  }
  const branches: string[] = [];
  for (const process of processes) {
    const perProcess: string[] = [];
    for (const layer of [...launchLayers].sort())
      perProcess.push(...(await envFileLines(join(hostLayers, layer, 'env.launch', process.type))));
    branches.push(
      `  ${shellQuote(process.type)})`,
      ...perProcess.map((line) => `    ${line}`),
      `    cd ${shellQuote(process['working-dir'] ?? APP)} || exit 82`,
      `    if [ "$#" -eq 0 ]; then set -- ${process.args.map(shellQuote).join(' ')}; fi`,
      `    exec ${process.command.map(shellQuote).join(' ')} "$@"`,
      '    ;;',
    );
  }
  return [
    '#!/bin/sh',
    '# hubify test model of the CNB launcher (test/integration/buildpack.test.ts); not the real launcher.',
    ...common,
    'case "${0##*/}" in',
    ...branches,
    '  *) echo "launcher model: no process type ${0##*/}" >&2; exit 80 ;;',
    'esac',
    '',
  ].join('\n');
}

/** Builds the app image as the exporter would from the layers dir and app dir of a build. */
async function exportImage(dirs: BuildDirs, tag: string): Promise<void> {
  const ours = join(dirs.layers, ESCAPED_ID);
  const launch = (await readToml(join(ours, 'launch.toml'))) as {
    processes: LaunchProcess[];
    labels: { key: string; value: string }[];
  };
  const launchLayers: string[] = [];
  for (const name of (await readdir(ours)).filter((file) => file.endsWith('.toml'))) {
    if (['launch.toml', 'build.toml', 'store.toml'].includes(name)) continue;
    const layer = (await readToml(join(ours, name))) as { types?: { launch?: boolean } };
    if (layer.types?.launch === true) launchLayers.push(name.replace(/\.toml$/, ''));
  }
  const work = join(dirs.root, 'export');
  await mkdir(work, { recursive: true });
  const context: ContextFile[] = [];
  const adds: string[] = [];
  const addTar = async (name: string, entries: LayerEntry[]): Promise<void> => {
    const file = join(work, name);
    await writeLayerTar(entries, file);
    context.push({ path: name, content: await readFile(file), mode: 0o644 });
    adds.push(`ADD ${name} /`);
  };
  for (const layer of launchLayers.sort()) {
    const at = `${LAYERS}/${ESCAPED_ID}/${layer}`;
    await addTar(`layer-${layer}.tar`, [...parents(at), ...(await treeEntries(join(ours, layer), at))]);
  }
  // The SBOM layer: <layers>/sbom/launch/<escaped id>/<layer>/sbom.<ext> for each launch layer's SBOM.
  const sbom = new Map<string, LayerEntry>();
  for (const layer of launchLayers.filter((name) => existsSync(join(ours, `${name}.sbom.cdx.json`)))) {
    const at = `${LAYERS}/sbom/launch/${ESCAPED_ID}/${layer}/sbom.cdx.json`;
    for (const dir of parents(at)) sbom.set(dir.path, dir);
    const data = await readFile(join(ours, `${layer}.sbom.cdx.json`));
    sbom.set(at, {
      type: 'file',
      path: at,
      mode: 0o644,
      content: { kind: 'buffer', data },
      uid: 0,
      gid: 0,
      mtime: NORMALIZED_MTIME,
    });
  }
  if (sbom.size > 0) await addTar('sbom.tar', [...sbom.values()]);
  await addTar('app.tar', await treeEntries(dirs.app, APP));
  const launcher = Buffer.from(await launcherScript(ours, launchLayers, launch.processes));
  const base = { uid: 0, gid: 0, mtime: NORMALIZED_MTIME };
  await addTar('launcher.tar', [
    { type: 'directory', path: '/cnb', mode: 0o755, ...base },
    { type: 'directory', path: '/cnb/lifecycle', mode: 0o755, ...base },
    {
      type: 'file',
      path: '/cnb/lifecycle/launcher',
      mode: 0o755,
      content: { kind: 'buffer', data: launcher },
      ...base,
    },
    { type: 'directory', path: '/cnb/process', mode: 0o755, ...base },
    ...launch.processes.map((process): LayerEntry => ({
      type: 'symlink',
      path: `/cnb/process/${process.type}`,
      target: '/cnb/lifecycle/launcher',
      ...base,
    })),
  ]);
  const runPath =
    (await inspectImage(docker, RUN_IMAGE))?.Config.Env?.find((entry) => entry.startsWith('PATH='))?.slice(
      5,
    ) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const defaults = launch.processes.filter((process) => process.default === true);
  expect(defaults.map((process) => process.type)).toEqual(['hub']);
  const dockerfile = [
    `FROM ${RUN_IMAGE}`,
    ...adds,
    `ENV CNB_LAYERS_DIR=${LAYERS} CNB_APP_DIR=${APP} PATH=/cnb/process:${runPath}`,
    `WORKDIR ${APP}`,
    `ENTRYPOINT ["/cnb/process/${defaults[0]?.type ?? ''}"]`,
    'CMD []',
    '',
  ].join('\n');
  context.push({ path: 'Dockerfile', content: Buffer.from(dockerfile), mode: 0o644 });
  await buildImage(docker, {
    context,
    tags: [tag],
    labels: Object.fromEntries(launch.labels.map((label) => [label.key, label.value])),
  });
}

// ---------------------------------------------------------------------------------------------

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  await ensureFixtures(['debian', 'conda-notebook', 'jupyterhub'], {
    docker,
    log: (line) => {
      if (/built |made |building |ERROR/.test(line)) console.log(line);
    },
  });
  scratch = await mkdtemp(join(tmpdir(), 'hubify-buildpack-'));
  await chmod(scratch, 0o755);
  buildpackDir = join(scratch, 'buildpack');
  const args = ['buildpack', 'package', buildpackDir, '--platform', 'linux/amd64'];
  const packaged = await runNode(args);
  if (packaged.code !== 0) throw new Error(describeCliRun(args, packaged));
}, 30 * 60_000);

afterAll(async () => {
  if (docker) {
    await removeContainersByLabel(docker, TEST_RUN_LABEL, testRunId);
    await docker
      .getImage(APP_IMAGE)
      .remove({ force: true })
      .catch(() => undefined);
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('hubify buildpack package', () => {
  it('writes buildpack.toml (the current id, version, linux/amd64 target) next to bin/detect and bin/build', async () => {
    const descriptor = await readToml(join(buildpackDir, 'buildpack.toml'));
    expect(descriptor.api).toBe('0.12');
    expect(descriptor.buildpack).toMatchObject({ id: ID, version });
    expect(descriptor.targets).toEqual([{ os: 'linux', arch: 'amd64' }]);
    for (const bin of ['bin/detect', 'bin/build', 'hubify/bin/node', 'hubify/bin/tini'])
      expect(((await lstat(join(buildpackDir, bin))).mode & 0o111) !== 0, bin).toBe(true);
    expect((await readFile(join(buildpackDir, 'bin/detect'), 'utf8')).startsWith('#!/bin/sh\n')).toBe(true);
    for (const file of ['hubify/bin/node', 'hubify/bin/tini'])
      expect(isElfFor(await readFile(join(buildpackDir, file)), 'amd64'), file).toBe(true);
  });

  it('for linux/arm64: an arm64 target, aarch64 Node and tini (structural: nothing arm64 runs here)', async () => {
    const armDir = join(scratch, 'buildpack-arm64');
    const args = ['buildpack', 'package', armDir, '--platform', 'linux/arm64'];
    const packaged = await runNode(args);
    expect(packaged.code, describeCliRun(args, packaged)).toBe(0);
    expect((await readToml(join(armDir, 'buildpack.toml'))).targets).toEqual([
      { os: 'linux', arch: 'arm64' },
    ]);
    for (const file of ['hubify/bin/node', 'hubify/bin/tini'])
      expect(isElfFor(await readFile(join(armDir, file)), 'arm64'), file).toBe(true);
    expect(JSON.parse(await readFile(join(armDir, 'hubify', 'payload.json'), 'utf8'))).toMatchObject({
      arch: 'arm64',
    });
  });
});

describe('the build image', () => {
  it('has neither Node nor Python, so detect and build can only run on the Node inside the buildpack', async () => {
    const result = await runContainer(docker, {
      image: BUILD_IMAGE,
      cmd: ['sh', '-c', 'for c in node nodejs python3 python; do command -v "$c" && exit 1; done; echo none'],
      testRunId,
    });
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.stdout.trim()).toBe('none');
  });
});

describe('bin/detect, run as the lifecycle runs it', () => {
  it('passes (exit 0) and writes a plan that provides and requires hubify', async () => {
    const dirs = await makeBuildDirs('detect-pass');
    const result = await detect(dirs);
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.stdout).toContain('Procfile process types: web');
    const plan = await readToml(join(dirs.plan, 'plan.toml'));
    expect(plan).toEqual({
      provides: [{ name: 'hubify' }],
      requires: [{ name: 'hubify', metadata: { version } }],
    });
  });

  it('fails (exit 100) when the user turns it off, and when the run image is of another architecture', async () => {
    const off = await makeBuildDirs('detect-off', { BP_HUBIFY_ENABLED: 'false' });
    // clear-env is false: the lifecycle also sets the platform's variables in the environment.
    const disabled = await detect(off, { BP_HUBIFY_ENABLED: 'false' });
    expect(disabled.exitCode, describeRun(disabled)).toBe(100);
    expect(existsSync(join(off.plan, 'plan.toml'))).toBe(false);

    const arm = await makeBuildDirs('detect-arm64');
    const other = await detect(arm, { CNB_TARGET_ARCH: 'arm64' });
    expect(other.exitCode, describeRun(other)).toBe(100);
    expect(other.stdout).toContain('--platform linux/arm64');
  });
});

describe('bin/build, run as the lifecycle runs it', () => {
  /** One build of the Procfile app, shared by the tests that look at its result (each can run alone). */
  let built: Promise<{ dirs: BuildDirs; result: RunResult }> | undefined;
  const buildOnce = (): Promise<{ dirs: BuildDirs; result: RunResult }> =>
    (built ??= (async () => {
      const dirs = await makeBuildDirs('build');
      return { dirs, result: await build(dirs) };
    })());

  it('contributes the runtime and manifest launch layers and a launch.toml whose default process is the hub', async () => {
    const { dirs, result } = await buildOnce();
    expect(result.exitCode, describeRun(result)).toBe(0);
    const ours = join(dirs.layers, ESCAPED_ID);
    expect((await readdir(ours)).sort()).toEqual([
      'launch.toml',
      'manifest',
      'manifest.toml',
      'runtime',
      'runtime.sbom.cdx.json',
      'runtime.toml',
    ]);
    const sbom = JSON.parse(await readFile(join(ours, 'runtime.sbom.cdx.json'), 'utf8')) as {
      bomFormat: string;
      components: { name: string; version: string }[];
    };
    expect(sbom.bomFormat).toBe('CycloneDX');
    expect(sbom.components.map((component) => component.name)).toEqual(['node', 'tini', 'hubify-proxy']);
    for (const layer of ['runtime', 'manifest'])
      expect((await readToml(join(ours, `${layer}.toml`))).types).toEqual({
        launch: true,
        build: false,
        cache: false,
      });

    const launch = (await readToml(join(ours, 'launch.toml'))) as {
      processes: LaunchProcess[];
      labels: unknown[];
    };
    const runtime = `${LAYERS}/${ESCAPED_ID}/runtime/hubify`;
    const hub = [
      `${runtime}/bin/tini`,
      '-g',
      '--',
      `${runtime}/bin/node`,
      '--max-semi-space-size=4',
      `${runtime}/lib/hubify-proxy.mjs`,
    ];
    expect(launch.processes).toEqual([
      { type: 'hub', command: hub, args: [], default: true },
      { type: 'jupyterhub-singleuser', command: hub, args: [], default: false },
      { type: 'web', command: ['/bin/sh', '-c', PROCFILE.slice(5).trim()], args: [], default: false },
    ]);
    expect(launch.labels).toContainEqual({
      key: 'org.hubify.manifest',
      value: `${LAYERS}/${ESCAPED_ID}/manifest/manifest.json`,
    });

    // The manifest is the Procfile's web process as the unit tests check it, made inside the build image.
    const manifest = JSON.parse(await readFile(join(ours, 'manifest', 'manifest.json'), 'utf8')) as unknown;
    expect(manifest).toEqual(buildpackManifest(parseProcfile(PROCFILE).processes, APP).manifest);
    expect(await readFile(join(ours, 'manifest', 'env.launch', 'HUBIFY_MANIFEST.default'), 'utf8')).toBe(
      `${LAYERS}/${ESCAPED_ID}/manifest/manifest.json`,
    );
    // Node and tini stay out of the layer's bin/ and lib/ (PATH and LD_LIBRARY_PATH of every process).
    expect(await readdir(join(ours, 'runtime', 'bin'))).toEqual(['jupyterhub-singleuser']);
    expect(existsSync(join(ours, 'runtime', 'lib'))).toBe(false);
    const bundle = await readFile(join(ours, 'runtime', 'hubify', 'lib', 'hubify-proxy.mjs'), 'utf8');
    expect(bundle.split('\n')[0]).toBe(`#!${runtime}/bin/node --max-semi-space-size=4`);
    for (const file of ['hubify/bin/node', 'hubify/bin/tini', 'hubify/lib/hubify-proxy.mjs'])
      expect((await lstat(join(ours, 'runtime', file))).uid, file).toBe(CNB_USER);
  });

  it('on a rebuild with unchanged metadata, keeps the previous image layer (launch = true, no directory)', async () => {
    const { dirs, result: first } = await buildOnce();
    expect(first.exitCode, describeRun(first)).toBe(0);
    const again = await makeBuildDirs('rebuild');
    const ours = join(again.layers, ESCAPED_ID);
    // The restorer puts back <layer>.toml without [types] and no launch-only layer directory.
    const previous = (await readToml(join(dirs.layers, ESCAPED_ID, 'runtime.toml'))) as {
      metadata: Record<string, string>;
    };
    const restored = Object.entries(previous.metadata).map(
      ([key, value]) => `${key} = ${JSON.stringify(value)}`,
    );
    await writeFile(join(ours, 'runtime.toml'), `[metadata]\n${restored.join('\n')}\n`);
    await chown(join(ours, 'runtime.toml'), CNB_USER, CNB_GROUP);
    const result = await build(again);
    expect(result.exitCode, describeRun(result)).toBe(0);
    expect(result.stdout).toContain("reusing the previous image's layer");
    expect(existsSync(join(ours, 'runtime'))).toBe(false);
    expect(await readToml(join(ours, 'runtime.toml'))).toEqual({
      types: { launch: true, build: false, cache: false },
      metadata: previous.metadata,
    });
  });

  it('fails (exit 1) naming the missing process when BP_HUBIFY_APPS asks for one the app does not have', async () => {
    const missing = await makeBuildDirs('build-missing', { BP_HUBIFY_APPS: 'web,worker' });
    const result = await build(missing, { BP_HUBIFY_APPS: 'web,worker' });
    expect(result.exitCode, describeRun(result)).toBe(1);
    expect(result.stderr).toContain('no process type "worker"');
  });

  it(
    'exported onto the run image, passes hubify test with the web process served as an app',
    async () => {
      const { dirs, result } = await buildOnce();
      expect(result.exitCode, describeRun(result)).toBe(0);
      await exportImage(dirs, APP_IMAGE);
      // As the exporter leaves them: layer files owned by the build user; `/cnb/process/hub ARGS` runs the
      // runtime with ARGS in place of the default args.
      const owners = await runContainer(docker, {
        image: APP_IMAGE,
        entrypoint: ['stat', '-c', '%u:%g %n'],
        cmd: [`${LAYERS}/${ESCAPED_ID}/runtime/hubify/bin/node`, `${APP}/Procfile`],
        testRunId,
      });
      expect(owners.stdout.trim().split('\n'), describeRun(owners)).toEqual([
        `${CNB_USER}:${CNB_GROUP} ${LAYERS}/${ESCAPED_ID}/runtime/hubify/bin/node`,
        `${CNB_USER}:${CNB_GROUP} ${APP}/Procfile`,
      ]);
      const versionRun = await runContainer(docker, { image: APP_IMAGE, cmd: ['--version'], testRunId });
      expect(versionRun.exitCode, describeRun(versionRun)).toBe(0);
      expect(versionRun.stdout).toContain(version);
      // `jupyterhub-singleuser` resolves on the image's PATH (/cnb/process) to the same runtime.
      const singleuser = await runContainer(docker, {
        image: APP_IMAGE,
        entrypoint: ['jupyterhub-singleuser'],
        cmd: ['--version'],
        testRunId,
      });
      expect(singleuser.exitCode, describeRun(singleuser)).toBe(0);
      expect(singleuser.stdout).toBe(versionRun.stdout);
      // With the spawner's command (`jupyterhub-singleuser ...` as arguments of /cnb/process/hub), then with
      // the image's own (KubeSpawner's image-CMD mode): every check passes, the web process as app:web.
      await expectHubifyTestPasses(APP_IMAGE, ['web']);
      await expectHubifyTestPasses(APP_IMAGE, ['web'], ['--use-image-cmd']);
    },
    HUBIFY_TESTS_TIMEOUT_MS,
  );
});
