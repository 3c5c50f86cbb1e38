/**
 * Detection: from an image's config and its filesystem (an `ImageFs`, never a running container) to
 * `ImageFacts`. Every finding records its evidence. Requests are batched: the first round stats the
 * fixed places and reads passwd/group/os-release; the second looks for executables in every PATH
 * directory and conda prefix at once; the third reads only what the findings point to.
 */
import { posix } from 'node:path';
import type { AppTemplateName, DetectedApp, ImageFacts, ImageUser } from '../image/image-facts.ts';
import type { DirListing, FileRead, ImageFs, PathStat } from './image-fs.ts';
import {
  compareVersions,
  glibcVersionFromBinary,
  glibcVersionFromFileName,
  normaliseArchitecture,
  notebookMajorFromScript,
  parseCondaMetaName,
  parseEnvironmentsTxt,
  parseGroup,
  parseLddVersion,
  parseOsRelease,
  parsePasswd,
  parseEnv,
  pickNonRootUser,
  resolveUser,
  shinyServerSiteDir,
  splitPath,
  uniqueAppName,
  type ImageGroup,
} from './parse.ts';

/** Architectures hubify-proxy (a Node.js program) is shipped for. */
export const SUPPORTED_ARCHITECTURES = ['amd64', 'arm64'] as const;
/** The oldest glibc the official Node.js 20 binaries run on. */
export const MIN_GLIBC = '2.28';

/** What the engine says about the image, before its files are read. */
export interface ImageInput {
  reference: string;
  id: string;
  os: string;
  architecture: string;
  config: ImageFacts['config'];
}

/** The parts of the engine's image inspect record that detection reads. */
export interface ImageInspectRecord {
  Id: string;
  Os?: string;
  Architecture?: string;
  Config?: {
    Entrypoint?: string[] | string | null;
    Cmd?: string[] | string | null;
    User?: string;
    WorkingDir?: string;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
  } | null;
}

function argv(value: string[] | string | null | undefined): string[] | null {
  if (value === null || value === undefined) return null;
  // A string is the legacy shell form; the engine runs it with /bin/sh -c.
  return typeof value === 'string' ? ['/bin/sh', '-c', value] : [...value];
}

/** `ImageInput` from `docker.getImage(ref).inspect()`. */
export function imageInputFromInspect(reference: string, info: ImageInspectRecord): ImageInput {
  const config = info.Config ?? {};
  return {
    reference,
    id: info.Id,
    os: info.Os ?? '',
    architecture: info.Architecture ?? '',
    config: {
      entrypoint: argv(config.Entrypoint),
      cmd: argv(config.Cmd),
      user: config.User ?? '',
      workdir: config.WorkingDir ?? '',
      env: parseEnv(config.Env),
      labels: { ...(config.Labels ?? {}) },
    },
  };
}

const KIB = 1024;
const MIB = 1024 * KIB;

/** Size limits of what is read or listed (keeps an inspect bounded on huge images). */
const LIMITS = {
  smallFile: 256 * KIB,
  passwd: 4 * MIB,
  script: 64 * KIB,
  libcBinary: 4 * MIB,
  shinyListing: 4 * MIB,
  envsListing: 8 * MIB,
  condaMetaListing: 32 * MIB,
};

const CONDA_PLACES = [
  '/opt/conda',
  '/opt/miniconda3',
  '/opt/miniconda',
  '/opt/miniforge3',
  '/opt/miniforge',
  '/opt/mambaforge',
  '/opt/anaconda3',
  '/opt/micromamba',
  '/usr/local/conda',
  '/root/miniconda3',
  '/root/miniforge3',
  '/root/mambaforge',
  '/root/anaconda3',
];
const HOME_CONDA_DIRS = ['miniconda3', 'miniforge3', 'mambaforge', 'anaconda3', 'conda'];

/** Every executable detection looks for on PATH and in conda prefixes. */
const PROGRAMS = [
  'rserver',
  'jupyter-lab',
  'jupyter-notebook',
  'jupyter-server',
  'jupyterhub-singleuser',
  'code-server',
  'Rscript',
  'shiny-server',
  'websockify',
  'Xtigervnc',
  'Xvnc',
  'tigervncserver',
  'vncserver',
] as const;
type Program = (typeof PROGRAMS)[number];

/** Fixed install places tried when a program is not on PATH. */
const FIXED_PLACES: Partial<Record<Program, string[]>> = {
  rserver: ['/usr/lib/rstudio-server/bin/rserver'],
  'code-server': ['/usr/lib/code-server/bin/code-server', '/opt/code-server/bin/code-server'],
  'shiny-server': ['/opt/shiny-server/bin/shiny-server'],
  Xvnc: ['/opt/TurboVNC/bin/Xvnc'],
  vncserver: ['/opt/TurboVNC/bin/vncserver'],
};

/** Programs whose fixed place is their canonical one, looked at before PATH. */
const FIXED_FIRST = new Set(['rserver']);

const DESKTOP_SESSIONS = ['startxfce4', 'startlxqt', 'startlxde', 'mate-session', 'startplasma-x11'];
const NOVNC_DIRS = [
  '/usr/share/novnc',
  '/usr/share/webapps/novnc',
  '/opt/novnc',
  '/opt/noVNC',
  '/usr/local/share/novnc',
];
const SHINY_SITE_DIR = '/srv/shiny-server';
/** Names the apps other than Shiny apps get. */
const FIXED_APP_NAMES = [
  'rstudio',
  'jupyterlab',
  'notebook',
  'jupyter',
  'code-server',
  'shiny-server',
  'desktop',
];
const RSTUDIO_KEYS = ['/var/lib/rstudio-server/secure-cookie-key', '/var/lib/rstudio-server/session-rpc-key'];

/** An executable found in the image: the path to run and, for a symlink, what it points to. */
interface Found {
  path: string;
  target: string | null;
}

function describeFound(found: Found): string {
  return found.target === null || found.target === found.path
    ? found.path
    : `${found.path} (-> ${found.target})`;
}

function text(file: FileRead | null): string | null {
  return file === null ? null : file.content.toString('utf8');
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** Stat helpers over an `ImageFs`: existence, directories, executables. */
class Probe {
  readonly fs: ImageFs;

  constructor(fs: ImageFs) {
    this.fs = fs;
  }

  /** The stat of a path with a final symlink followed (the engine already resolves earlier ones). */
  async follow(path: string): Promise<PathStat | null> {
    const info = await this.fs.stat(path);
    if (info?.kind !== 'symlink') return info;
    if (info.linkTarget === null) return null;
    const target = await this.fs.stat(info.linkTarget);
    return target === null ? null : { ...target, path: info.linkTarget };
  }

  async isDir(path: string): Promise<boolean> {
    return (await this.follow(path))?.kind === 'dir';
  }

  async isFile(path: string): Promise<boolean> {
    return (await this.follow(path))?.kind === 'file';
  }

  async executable(path: string): Promise<Found | null> {
    const info = await this.fs.stat(path);
    if (info === null) return null;
    const final = info.kind === 'symlink' ? await this.follow(path) : info;
    if (final?.kind !== 'file' || (final.mode & 0o111) === 0) return null;
    return { path, target: info.kind === 'symlink' ? final.path : null };
  }

  /** The first of `paths` that is an executable file. All are asked at once. */
  async firstExecutable(paths: readonly string[]): Promise<Found | null> {
    const found = await Promise.all(paths.map((path) => this.executable(path)));
    return found.find((item) => item !== null) ?? null;
  }

  async firstFile(paths: readonly string[]): Promise<string | null> {
    const found = await Promise.all(paths.map((path) => this.isFile(path)));
    return paths[found.indexOf(true)] ?? null;
  }
}

interface LibcFacts {
  libc: ImageFacts['libc'];
  unsupported: string[];
  notes: string[];
}

async function detectLibc(probe: Probe, architecture: string, osName: string | null): Promise<LibcFacts> {
  const triplet = architecture === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const muslLoader = `/lib/ld-musl-${architecture === 'arm64' ? 'aarch64' : 'x86_64'}.so.1`;
  const candidates = [
    `/lib/${triplet}/libc.so.6`,
    `/usr/lib/${triplet}/libc.so.6`,
    '/lib64/libc.so.6',
    '/usr/lib64/libc.so.6',
    '/lib/libc.so.6',
    '/usr/lib/libc.so.6',
  ];
  const [stats, musl] = await Promise.all([
    Promise.all(candidates.map((path) => probe.fs.stat(path))),
    probe.follow(muslLoader),
  ]);
  const index = stats.findIndex((info) => info !== null);
  const glibc = stats[index];
  const where = osName === null ? '' : ` (${osName})`;
  const notes: string[] = [];
  const unsupported: string[] = [];

  if (glibc !== undefined && glibc !== null) {
    const libcPath = candidates[index] ?? '';
    let version = glibcVersionFromFileName(glibc.linkTarget ?? '');
    let evidence = glibc.linkTarget === null ? `${libcPath} exists` : `${libcPath} -> ${glibc.linkTarget}`;
    if (version === null) {
      const lddPath = await probe.firstFile(['/usr/bin/ldd', '/bin/ldd']);
      const ldd = lddPath === null ? null : text(await probe.fs.readFile(lddPath, LIMITS.script));
      const fromLdd = ldd === null ? null : parseLddVersion(ldd);
      if (fromLdd !== null) {
        version = fromLdd;
        evidence += `; ${lddPath} says ${/ldd \([^)]*\) [\d.]+/.exec(ldd ?? '')?.[0] ?? fromLdd}`;
      } else {
        const binary = await probe.fs.readFile(libcPath, LIMITS.libcBinary);
        version = binary === null ? null : glibcVersionFromBinary(binary.content);
        if (version !== null) evidence += `; its banner says release version ${version}`;
      }
    }
    if (version === null)
      notes.push(
        `glibc found (${libcPath}) but its version is unknown: hubify-proxy needs ${MIN_GLIBC} or newer.`,
      );
    else if (compareVersions(version, MIN_GLIBC) < 0) {
      unsupported.push(
        `glibc ${version} is older than ${MIN_GLIBC}, the oldest the Node.js runtime of hubify-proxy runs on (${evidence}${where}).`,
      );
    }
    if (musl !== null)
      notes.push(`${muslLoader} exists too (a musl package next to glibc); hubify uses glibc.`);
    return { libc: { kind: 'glibc', version, evidence: `${evidence}${where}` }, unsupported, notes };
  }
  if (musl !== null) {
    const evidence = `${muslLoader} exists and no glibc libc.so.6 does${where}`;
    unsupported.push(
      `musl libc (${muslLoader}${where}, Alpine style): the Node.js runtime of hubify-proxy is built for glibc. ` +
        'Use a glibc-based image (Debian, Ubuntu, Red Hat family) instead.',
    );
    return { libc: { kind: 'musl', version: null, evidence }, unsupported, notes };
  }
  unsupported.push(
    `no C library found (no libc.so.6 in ${candidates.slice(0, 4).join(', ')}; no ${muslLoader})${where}: ` +
      `hubify-proxy needs glibc ${MIN_GLIBC} or newer.`,
  );
  return {
    libc: { kind: 'unknown', version: null, evidence: 'no libc.so.6 and no musl loader found' },
    unsupported,
    notes,
  };
}

/** Conda prefixes: the places conda installs to, CONDA_DIR & co, PATH parents, their envs/. */
async function detectConda(
  probe: Probe,
  env: Readonly<Record<string, string>>,
  pathDirs: readonly string[],
  homes: readonly string[],
  notes: string[],
): Promise<string[]> {
  const candidates: string[] = [];
  const add = (path: string | undefined): void => {
    if (path === undefined || !path.startsWith('/')) return;
    const normal = posix.normalize(path).replace(/(.)\/$/, '$1');
    if (!candidates.includes(normal)) candidates.push(normal);
  };
  add(env.CONDA_DIR);
  add(env.CONDA_PREFIX);
  add(env.MAMBA_ROOT_PREFIX);
  for (const dir of pathDirs) if (dir.endsWith('/bin')) add(posix.dirname(dir));
  for (const place of CONDA_PLACES) add(place);
  for (const home of homes) for (const name of HOME_CONDA_DIRS) add(posix.join(home, name));
  const environmentFiles = homes.map((home) => posix.join(home, '.conda', 'environments.txt'));
  const [hasMeta, listed] = await Promise.all([
    Promise.all(candidates.map((prefix) => probe.isDir(posix.join(prefix, 'conda-meta')))),
    Promise.all(environmentFiles.map(async (path) => text(await probe.fs.readFile(path, LIMITS.smallFile)))),
  ]);
  const prefixes = candidates.filter((_, index) => hasMeta[index]);

  // Named environments: <base>/envs/* of every prefix found, then conda's own environments.txt.
  const more: string[] = [];
  const envDirs = await Promise.all(
    prefixes.map(async (prefix) => {
      const envs = posix.join(prefix, 'envs');
      if (!(await probe.isDir(envs))) return null;
      return { envs, listing: await probe.fs.list(envs, { maxDepth: 1, maxBytes: LIMITS.envsListing }) };
    }),
  );
  for (const item of envDirs) {
    if (item?.listing == null) continue;
    for (const entry of item.listing.entries)
      if (entry.kind === 'dir') more.push(posix.join(item.envs, entry.name));
    if (item.listing.truncated) {
      notes.push(
        `Listing ${item.envs} stopped after ${LIMITS.envsListing / MIB} MiB: conda environments after ` +
          `"${item.listing.entries.at(-1)?.name ?? ''}" may be missing; add their apps with --app or --manifest.`,
      );
    }
  }
  for (const content of listed) if (content !== null) more.push(...parseEnvironmentsTxt(content));
  const extra = more.filter((prefix, index) => !prefixes.includes(prefix) && more.indexOf(prefix) === index);
  const extraMeta = await Promise.all(extra.map((prefix) => probe.isDir(posix.join(prefix, 'conda-meta'))));
  prefixes.push(...extra.filter((_, index) => extraMeta[index]));
  return prefixes;
}

/** Looks for every program in PATH order, then fixed places, then conda prefixes' bin. */
async function findPrograms(
  probe: Probe,
  names: readonly string[],
  pathDirs: readonly string[],
  condaBins: readonly string[],
  fixed: Partial<Record<string, string[]>> = {},
): Promise<Map<string, Found>> {
  const found = new Map<string, Found>();
  await Promise.all(
    names.map(async (name) => {
      const onPath = pathDirs.map((dir) => posix.join(dir, name));
      const places = [
        ...(FIXED_FIRST.has(name)
          ? [...(fixed[name] ?? []), ...onPath]
          : [...onPath, ...(fixed[name] ?? [])]),
        ...condaBins.map((dir) => posix.join(dir, name)),
      ];
      const hit = await probe.firstExecutable(places);
      if (hit !== null) found.set(name, hit);
    }),
  );
  return found;
}

/** PATH directories that exist, in order, with symlinked duplicates (/bin -> /usr/bin) dropped. */
async function existingPathDirs(probe: Probe, dirs: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(dirs.map((dir) => probe.follow(dir)));
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const [index, info] of resolved.entries()) {
    const dir = dirs[index];
    if (dir === undefined || info?.kind !== 'dir') continue;
    if (seen.has(info.path)) continue;
    seen.add(info.path);
    seen.add(dir);
    kept.push(dir);
  }
  return kept;
}

interface NotebookVersion {
  major: number;
  evidence: string;
}

/** Notebook 6 or 7: from its console script, else from conda-meta; null when neither says. */
async function notebookVersion(
  probe: Probe,
  script: Found,
  condaPrefixes: readonly string[],
): Promise<NotebookVersion | null> {
  const content = text(await probe.fs.readFile(script.path, LIMITS.script));
  const fromScript = content === null ? null : notebookMajorFromScript(content);
  if (fromScript !== null) {
    return {
      major: fromScript.major,
      evidence:
        fromScript.version === null
          ? `Notebook ${fromScript.major} (its script imports ${fromScript.major >= 7 ? 'notebook.app' : 'notebook.notebookapp'})`
          : `Notebook ${fromScript.version} (its script requires notebook==${fromScript.version})`,
    };
  }
  const real = script.target ?? script.path;
  const prefix = condaPrefixes.find((candidate) => real.startsWith(`${candidate}/bin/`));
  if (prefix === undefined) return null;
  const meta = posix.join(prefix, 'conda-meta');
  const listing = await probe.fs.list(meta, { maxDepth: 1, maxBytes: LIMITS.condaMetaListing });
  for (const entry of listing?.entries ?? []) {
    const pkg = parseCondaMetaName(entry.name);
    if (pkg?.name === 'notebook') {
      return {
        major: Number.parseInt(pkg.version, 10),
        evidence: `Notebook ${pkg.version} (${meta}/${entry.name})`,
      };
    }
  }
  return null;
}

interface AppContext {
  probe: Probe;
  programs: Map<string, Found>;
  pathDirs: string[];
  condaPrefixes: string[];
  env: Readonly<Record<string, string>>;
  hasShell: boolean;
  appUser: ImageUser | null;
  taken: Set<string>;
  notes: string[];
}

function app(
  template: AppTemplateName,
  name: string,
  evidence: string,
  values: Record<string, string>,
): DetectedApp {
  return { template, name, evidence, values };
}

function needsShell(context: AppContext, what: string): boolean {
  if (context.hasShell) return true;
  context.notes.push(
    `${what} found, but the image has no /bin/sh for its start script: not added (write it with --manifest).`,
  );
  return false;
}

async function detectRStudio(context: AppContext): Promise<DetectedApp[]> {
  const rserver = context.programs.get('rserver');
  if (rserver === undefined || !needsShell(context, `RStudio Server (${rserver.path})`)) return [];
  context.taken.add('rstudio');
  const keys = await Promise.all(RSTUDIO_KEYS.map((path) => context.probe.fs.readFile(path, 1024)));
  for (const [index, key] of keys.entries()) {
    if (key === null) continue;
    const owner = context.appUser?.uid ?? 1000;
    if (key.uid !== owner && (key.mode & 0o004) === 0) {
      context.notes.push(
        `${RSTUDIO_KEYS[index] ?? ''} belongs to uid ${key.uid} with mode ${octal(key.mode)}: unreadable to the app user, and rserver ` +
          'exits 1 when it cannot read it (rocker-org/ml#42). The rstudio app gets its own key file ' +
          '(--secure-cookie-key-file) and data dir (--server-data-dir) in a private temp dir; should rserver still ' +
          'read this file, delete it in the image (rocker-org/ml#43).',
      );
    }
  }
  const evidence =
    rserver.path === '/usr/lib/rstudio-server/bin/rserver'
      ? `${describeFound(rserver)} exists`
      : `rserver at ${describeFound(rserver)}`;
  return [app('rstudio', 'rstudio', evidence, { executable: rserver.path })];
}

async function detectJupyter(context: AppContext): Promise<DetectedApp[]> {
  const lab = context.programs.get('jupyter-lab');
  const notebook = context.programs.get('jupyter-notebook');
  const server = context.programs.get('jupyter-server');
  if (lab !== undefined) {
    context.taken.add('jupyterlab');
    return [
      app('jupyterlab', 'jupyterlab', `jupyter-lab at ${describeFound(lab)}`, { executable: lab.path }),
    ];
  }
  if (notebook !== undefined) {
    context.taken.add('notebook');
    const version = await notebookVersion(context.probe, notebook, context.condaPrefixes);
    const where = `jupyter-notebook at ${describeFound(notebook)}`;
    if (version !== null && version.major < 7) {
      return [app('notebook', 'notebook', `${where}; ${version.evidence}`, { executable: notebook.path })];
    }
    const evidence =
      version === null
        ? `${where}; version unknown (neither its script nor conda-meta says), assumed Notebook 7 (jupyter_server flags)`
        : `${where}; ${version.evidence}`;
    return [
      app('jupyter-server', 'notebook', evidence, {
        executable: notebook.path,
        title: 'Jupyter Notebook',
        pathInfo: 'tree',
      }),
    ];
  }
  if (server !== undefined) {
    context.taken.add('jupyter');
    return [
      app('jupyter-server', 'jupyter', `jupyter-server at ${describeFound(server)}`, {
        executable: server.path,
        title: 'Jupyter Server',
        pathInfo: '',
      }),
    ];
  }
  return [];
}

function detectCodeServer(context: AppContext): DetectedApp[] {
  const found = context.programs.get('code-server');
  if (found === undefined) return [];
  context.taken.add('code-server');
  return [
    app('code-server', 'code-server', `code-server at ${describeFound(found)}`, { executable: found.path }),
  ];
}

/** The R library holding the shiny package, or null. */
async function shinyLibrary(context: AppContext): Promise<string | null> {
  const { env } = context;
  const libraries: string[] = [];
  const add = (dir: string | undefined): void => {
    if (dir !== undefined && dir.startsWith('/') && !libraries.includes(dir)) libraries.push(dir);
  };
  for (const variable of ['R_LIBS_SITE', 'R_LIBS', 'R_LIBS_USER'])
    for (const dir of (env[variable] ?? '').split(':')) add(dir);
  if (env.R_HOME !== undefined) {
    add(posix.join(env.R_HOME, 'site-library'));
    add(posix.join(env.R_HOME, 'library'));
  }
  for (const dir of [
    '/usr/local/lib/R/site-library',
    '/usr/local/lib/R/library',
    '/usr/lib/R/site-library',
    '/usr/lib/R/library',
  ])
    add(dir);
  for (const prefix of context.condaPrefixes) add(posix.join(prefix, 'lib', 'R', 'library'));
  const found = await context.probe.firstFile(
    libraries.map((dir) => posix.join(dir, 'shiny', 'DESCRIPTION')),
  );
  return found === null ? null : posix.dirname(posix.dirname(found));
}

async function detectShiny(context: AppContext): Promise<DetectedApp[]> {
  const apps: DetectedApp[] = [];
  const server = context.programs.get('shiny-server');
  let siteDir = SHINY_SITE_DIR;
  if (server !== undefined) {
    const config = text(
      await context.probe.fs.readFile('/etc/shiny-server/shiny-server.conf', LIMITS.smallFile),
    );
    siteDir = (config === null ? null : shinyServerSiteDir(config)) ?? SHINY_SITE_DIR;
    if (needsShell(context, `shiny-server (${server.path})`)) {
      context.taken.add('shiny-server');
      apps.push(
        app('shiny-server', 'shiny-server', `shiny-server at ${describeFound(server)}; site_dir ${siteDir}`, {
          executable: server.path,
          siteDir,
        }),
      );
      context.notes.push(
        'shiny-server as a non-root user needs /var/lib/shiny-server and /var/log/shiny-server writable by that user ' +
          '(as repo2docker does); its log and bookmark dirs are private temp dirs written by the start script.',
      );
    }
  }

  const listing: DirListing | null = (await context.probe.isDir(SHINY_SITE_DIR))
    ? await context.probe.fs.list(SHINY_SITE_DIR, { maxDepth: 2, maxBytes: LIMITS.shinyListing })
    : null;
  const appDirs = new Map<string, string>();
  for (const entry of listing?.entries ?? []) {
    const [dir, file, ...rest] = entry.name.split('/');
    if (dir === undefined || rest.length > 0 || entry.kind !== 'file') continue;
    if ((file === 'app.R' || file === 'server.R') && !appDirs.has(dir)) appDirs.set(dir, file);
  }
  if (appDirs.size === 0) return apps;
  const dirs = [...appDirs.keys()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  const where = dirs.map((dir) => posix.join(SHINY_SITE_DIR, dir)).join(', ');
  const rscript = context.programs.get('Rscript');
  if (rscript === undefined) {
    context.notes.push(`Shiny apps in ${where}, but no Rscript on PATH or in a conda prefix: not added.`);
    return apps;
  }
  const library = await shinyLibrary(context);
  if (library === null) {
    context.notes.push(
      `Shiny apps in ${where}, but the R package shiny is in no R library hubify knows: not added.`,
    );
    return apps;
  }
  if (listing?.truncated === true) {
    context.notes.push(
      `Listing ${SHINY_SITE_DIR} stopped after ${LIMITS.shinyListing / MIB} MiB: later Shiny apps may be missing.`,
    );
  }
  for (const dir of dirs) {
    const appDir = posix.join(SHINY_SITE_DIR, dir);
    const name = uniqueAppName(dir, 'shiny', context.taken);
    apps.push(
      app(
        'shiny-app',
        name,
        `${posix.join(appDir, appDirs.get(dir) ?? 'app.R')}; Rscript at ${describeFound(rscript)}; R package shiny in ${library}`,
        { executable: rscript.path, appDir, title: dir },
      ),
    );
  }
  return apps;
}

async function detectDesktop(context: AppContext): Promise<DetectedApp[]> {
  const websockify = context.programs.get('websockify');
  const vnc = ['Xtigervnc', 'Xvnc', 'tigervncserver', 'vncserver']
    .map((name) => context.programs.get(name))
    .find((found) => found !== undefined);
  if (websockify === undefined || vnc === undefined) return [];
  const novnc = await context.probe.firstFile(NOVNC_DIRS.map((dir) => posix.join(dir, 'vnc.html')));
  if (novnc === null) {
    context.notes.push(
      `websockify and a VNC server found, but no noVNC (vnc.html in ${NOVNC_DIRS.join(', ')}): no desktop app.`,
    );
    return [];
  }
  if (!needsShell(context, 'A noVNC desktop')) return [];
  const sessions = await findPrograms(context.probe, DESKTOP_SESSIONS, context.pathDirs, []);
  const session =
    DESKTOP_SESSIONS.map((name) => sessions.get(name)?.path).find((path) => path !== undefined) ??
    (await context.probe.firstExecutable(['/etc/X11/Xsession']))?.path ??
    (await findPrograms(context.probe, ['xterm'], context.pathDirs, [])).get('xterm')?.path ??
    '';
  if (session === '')
    context.notes.push(
      'The desktop has no session program (no desktop environment, Xsession or xterm): it starts empty.',
    );
  context.taken.add('desktop');
  const novncDir = posix.dirname(novnc);
  return [
    app(
      'desktop',
      'desktop',
      `websockify at ${describeFound(websockify)}; VNC server ${describeFound(vnc)}; noVNC in ${novncDir}` +
        (session === '' ? '' : `; session ${session}`),
      { websockify: websockify.path, vncServer: vnc.path, novncDir, session },
    ),
  ];
}

/** Notes about the image's own start command: Rocker's s6 /init. */
async function detectInit(probe: Probe, config: ImageFacts['config'], notes: string[]): Promise<void> {
  const command = [...(config.entrypoint ?? []), ...(config.entrypoint === null ? (config.cmd ?? []) : [])];
  const first = command[0];
  if (first !== '/init' && first !== 'init') return;
  const script = text(await probe.fs.readFile('/init', LIMITS.script));
  if (script === null) return;
  const s6 =
    /s6/.test(script) ||
    config.env.S6_VERSION !== undefined ||
    (
      await Promise.all(
        ['/etc/s6-overlay', '/package/admin/s6-overlay', '/etc/services.d'].map((dir) => probe.isDir(dir)),
      )
    ).some(Boolean);
  const where = config.entrypoint === null ? 'CMD' : 'ENTRYPOINT';
  notes.push(
    s6
      ? `${where} ["/init"] is s6-overlay (Rocker style): it must start as root and dies as any other user ` +
          '("s6-overlay-preinit: unable to mkdir /var/run/s6", rocker-versioned2#888). The runtime replaces it: ' +
          'hubify-proxy is the command and starts the apps itself (the services in /etc/services.d are not run).'
      : `${where} ["/init"] is an init program; the runtime replaces it and starts the apps itself.`,
  );
}

/** ImageFacts for an image whose filesystem could not be read at all. */
function unreadableFacts(input: ImageInput, reason: string, unsupported: string[]): ImageFacts {
  const root: ImageUser = { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' };
  const resolved = resolveUser(input.config.user, [root], []);
  return {
    reference: input.reference,
    id: input.id,
    os: input.os,
    architecture: normaliseArchitecture(input.architecture),
    config: input.config,
    libc: { kind: 'unknown', version: null, evidence: 'the filesystem could not be read' },
    users: [],
    defaultUser: resolved.user,
    nonRootUser: null,
    path: splitPath(input.config.env.PATH),
    condaPrefixes: [],
    jupyterhubSingleuser: null,
    hasShell: false,
    apps: [],
    unsupported: [...unsupported, `cannot read the image's filesystem: ${reason}`],
    notes: [],
  };
}

/**
 * Everything hubify learns about an image: from its config (`input`) and its filesystem (`fs`, or
 * null with `fsProblem` when none could be had). Filesystem errors become an "unsupported" reason.
 */
export async function detectImageFacts(
  input: ImageInput,
  fs: ImageFs | null,
  fsProblem = 'unknown error',
): Promise<ImageFacts> {
  const architecture = normaliseArchitecture(input.architecture);
  const unsupported: string[] = [];
  if (input.os !== 'linux')
    unsupported.push(`the image is for ${input.os || 'an unknown OS'}; hubify supports linux images only.`);
  if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(architecture)) {
    unsupported.push(
      `architecture ${input.architecture || 'unknown'}: hubify-proxy is shipped for ${SUPPORTED_ARCHITECTURES.join(' and ')} only.`,
    );
  }
  if (fs === null) return unreadableFacts(input, fsProblem, unsupported);
  try {
    return await detectWithFs(input, new Probe(fs), architecture, unsupported);
  } catch (error) {
    return unreadableFacts(input, error instanceof Error ? error.message : String(error), unsupported);
  }
}

async function detectWithFs(
  input: ImageInput,
  probe: Probe,
  architecture: string,
  unsupported: string[],
): Promise<ImageFacts> {
  const { config } = input;
  const env = config.env;
  const notes: string[] = [];
  const path = splitPath(env.PATH);

  // Round 1: accounts, OS, shell, PATH directories.
  const [passwdFile, groupFile, osFile, shell, pathDirs] = await Promise.all([
    probe.fs.readFile('/etc/passwd', LIMITS.passwd),
    probe.fs.readFile('/etc/group', LIMITS.passwd),
    probe.fs.readFile('/etc/os-release', LIMITS.smallFile),
    probe.executable('/bin/sh'),
    existingPathDirs(probe, path),
  ]);
  const users = passwdFile === null ? [] : parsePasswd(passwdFile.content.toString('utf8'));
  const groups: ImageGroup[] = groupFile === null ? [] : parseGroup(groupFile.content.toString('utf8'));
  const osRelease = osFile === null ? {} : parseOsRelease(osFile.content.toString('utf8'));
  const osName = osRelease.PRETTY_NAME ?? osRelease.NAME ?? null;
  if (passwdFile === null) notes.push('The image has no /etc/passwd: the build writes one.');

  const resolved = resolveUser(config.user, users, groups);
  if (resolved.problem !== null) notes.push(`${resolved.problem}.`);
  const defaultUser = resolved.user;
  const nonRootUser = pickNonRootUser(users, defaultUser, env);
  if (nonRootUser === null) {
    notes.push(
      'No regular user (uid 1000 to 59999) in /etc/passwd: the build adds jovyan (uid 1000, home /home/jovyan) and runs the apps as jovyan.',
    );
  } else if (nonRootUser.uid !== defaultUser.uid) {
    notes.push(
      `The image runs as ${defaultUser.name} (uid ${defaultUser.uid}) by default; the apps run as ${nonRootUser.name} ` +
        `(uid ${nonRootUser.uid}, home ${nonRootUser.home}).`,
    );
  }
  const homes = [
    ...new Set(
      ['/root', defaultUser.home, nonRootUser?.home].filter((home): home is string => !!home && home !== '/'),
    ),
  ];

  // Round 2: libc, conda prefixes, the image's own start command.
  const [libc, condaPrefixes] = await Promise.all([
    detectLibc(probe, architecture, osName),
    detectConda(probe, env, pathDirs, homes, notes),
    detectInit(probe, config, notes),
  ]);
  unsupported.push(...libc.unsupported);
  notes.push(...libc.notes);

  // Round 3: every program on PATH, at fixed places, or in a conda prefix's bin.
  const condaBins = condaPrefixes
    .map((prefix) => posix.join(prefix, 'bin'))
    .filter((dir) => !pathDirs.includes(dir));
  const programs = await findPrograms(probe, PROGRAMS, pathDirs, condaBins, FIXED_PLACES);
  const singleuser = programs.get('jupyterhub-singleuser') ?? null;

  // Round 4: the apps.
  const context: AppContext = {
    probe,
    programs,
    pathDirs,
    condaPrefixes,
    env,
    hasShell: shell !== null,
    appUser: nonRootUser,
    // Names of the fixed apps are never given to a Shiny app, whichever is detected first.
    taken: new Set(FIXED_APP_NAMES),
    notes,
  };
  const groupsOfApps = await Promise.all([
    detectRStudio(context),
    detectJupyter(context),
    Promise.resolve(detectCodeServer(context)),
    detectShiny(context),
    detectDesktop(context),
  ]);
  const apps = groupsOfApps.flat();
  if (singleuser !== null) {
    const jupyter = apps.find(
      (item) =>
        item.template === 'jupyterlab' || item.template === 'notebook' || item.template === 'jupyter-server',
    );
    notes.push(
      `jupyterhub-singleuser at ${describeFound(singleuser)} (docker-stacks style): hubify-proxy takes its place and talks to the hub itself` +
        (jupyter === undefined
          ? '; no Jupyter executable was found to run as an app.'
          : `; Jupyter runs as the app "${jupyter.name}".`),
    );
  }

  return {
    reference: input.reference,
    id: input.id,
    os: input.os,
    architecture,
    config,
    libc: libc.libc,
    users,
    defaultUser,
    nonRootUser,
    path,
    condaPrefixes,
    jupyterhubSingleuser: singleuser?.path ?? null,
    hasShell: shell !== null,
    apps,
    unsupported,
    notes,
  };
}
