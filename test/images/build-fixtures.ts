// Builds the fixture images for the container tests of `hubify build` / `hubify test`, without any
// container registry:
//   1. the base `hubify-fixture/debian-base:bookworm`: `debootstrap --variant=minbase bookworm` from
//      the Debian mirror named in this machine's apt sources, imported with `docker import`, with the
//      host's apt sources copied in (so apt works in builds run with host networking);
//   2. each fixture `test/images/<name>/Dockerfile` (FROM the base), tagged
//      `hubify-fixture/<name>:<recipe hash>` and `:latest`.
// Both are cached by tag: an unchanged recipe is never rebuilt, a changed one gets a new tag.
//
//   npx tsx test/images/build-fixtures.ts [names...]     (needs root and a Docker engine:
//                                                        bash test/setup/docker-engine.sh)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import {
  debianMirror as aptDebianMirror,
  hostAptSources,
  type AptSourceFile,
} from '../../cli/layer/apt-sources.ts';
import {
  buildImage,
  connectDocker,
  imageExists,
  importRootfs,
  inspectImage,
  readContextDir,
  type ContextFile,
} from '../helpers/docker.ts';

export const IMAGES_DIR = dirname(fileURLToPath(import.meta.url));
export const SUITE = 'bookworm';
export const BASE_REPO = 'hubify-fixture/debian-base';
export const BASE_IMAGE = `${BASE_REPO}:${SUITE}`;
export const FIXTURE_NAMES = [
  'debian',
  'rocker-r',
  'conda-notebook',
  'docker-stacks',
  'desktop',
  'jupyterhub',
  'broken-app',
] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];
/** Label on every fixture image: its name. */
export const FIXTURE_LABEL = 'org.hubify.fixture';
/** Label on every fixture image: the hash its tag carries. */
export const RECIPE_HASH_LABEL = 'org.hubify.fixture.recipe-hash';

export type Log = (line: string) => void;

export interface BuiltImage {
  name: string;
  /** The content-addressed tag, e.g. hubify-fixture/rocker-r:0123456789ab (base: debian-base:bookworm). */
  ref: string;
  id: string;
  /** False when the tag already existed and nothing was built. */
  built: boolean;
  seconds: number;
  sizeBytes: number;
}

export function isFixtureName(name: string): name is FixtureName {
  return (FIXTURE_NAMES as readonly string[]).includes(name);
}

export function fixtureRepo(name: FixtureName): string {
  return `hubify-fixture/${name}`;
}

// ---------------------------------------------------------------------------------------------
// apt sources of this machine

// The reader lives in cli/layer/apt-sources.ts (hubify reads the same sources for arm64 tini).
export { hostAptSources, type AptSourceFile } from '../../cli/layer/apt-sources.ts';

/** The mirror URI that serves `suite` (main archive, type deb) in these apt sources. */
export function debianMirror(files: readonly AptSourceFile[], suite = SUITE): string | undefined {
  return aptDebianMirror(files, suite);
}

// ---------------------------------------------------------------------------------------------
// The base image

// What the Debian images on a registry carry (debuerreotype's apt and dpkg settings, as in
// debian:bookworm-slim): no apt caches or translations, gzipped lists, and no docs/man/info/locales
// from packages (copyright files kept). The base is made from the same archive, so it is shaped alike.
const BASE_FILES: Record<string, string> = {
  'etc/apt/apt.conf.d/docker-clean': [
    'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };',
    'Dir::Cache::pkgcache "";',
    'Dir::Cache::srcpkgcache "";',
    '',
  ].join('\n'),
  'etc/apt/apt.conf.d/docker-gzip-indexes': 'Acquire::GzipIndexes "true";\n',
  'etc/apt/apt.conf.d/docker-no-languages': 'Acquire::Languages "none";\n',
  'etc/apt/apt.conf.d/docker-autoremove-suggests': 'Apt::AutoRemove::SuggestsImportant "false";\n',
  'etc/dpkg/dpkg.cfg.d/docker': [
    'path-exclude /usr/share/doc/*',
    'path-include /usr/share/doc/*/copyright',
    'path-exclude /usr/share/man/*',
    'path-exclude /usr/share/groff/*',
    'path-exclude /usr/share/info/*',
    'path-exclude /usr/share/lintian/*',
    'path-exclude /usr/share/linda/*',
    'path-exclude /usr/share/locale/*',
    '',
  ].join('\n'),
};

/** Runs a command, passing each output line to `onLine`; a failure carries the last 30 lines. */
export function runCommand(command: string, args: string[], onLine: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onText = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        onLine(line);
      }
    };
    child.stdout.on('data', onText);
    child.stderr.on('data', onText);
    child.on('error', (error) => {
      const hint =
        'code' in error && error.code === 'ENOENT' ? ' (bash test/setup/docker-engine.sh installs it)' : '';
      reject(new Error(`${command}: ${error.message}${hint}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail.join('\n')}`),
        );
    });
  });
}

/** debootstrap's per-package lines ("I: Retrieving libc6 2.36-9") are counted, the rest printed. */
function debootstrapLogger(log: Log, prefix: string): Log {
  let packages = 0;
  return (line) => {
    if (
      /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) (?!Release|InRelease|Packages)\S+( \S+)?$/.test(
        line,
      )
    ) {
      packages += 1;
      return;
    }
    if (packages > 0) log(`${prefix} ... ${packages} package steps`);
    packages = 0;
    log(`${prefix} ${line}`);
  };
}

/** Makes the base image unless the tag exists: debootstrap, the apt settings and sources, docker import. */
export async function ensureBaseImage(docker: Docker, log: Log): Promise<BuiltImage> {
  const started = Date.now();
  const existing = await inspectImage(docker, BASE_IMAGE);
  if (existing) {
    return {
      name: 'debian-base',
      ref: BASE_IMAGE,
      id: existing.Id,
      built: false,
      seconds: 0,
      sizeBytes: existing.Size,
    };
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`${BASE_IMAGE} is missing and making it (debootstrap) needs root`);
  }
  const sources = await hostAptSources();
  const mirror = debianMirror(sources);
  if (!mirror) {
    throw new Error(
      `no apt source for Debian ${SUITE} found in /etc/apt (${sources.map((file) => file.path).join(', ') || 'no files'})`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'hubify-debootstrap-'));
  try {
    log(`[debian-base] debootstrap --variant=minbase ${SUITE} ${dir} ${mirror}`);
    await runCommand(
      'debootstrap',
      ['--variant=minbase', SUITE, dir, mirror],
      debootstrapLogger(log, '[debian-base]'),
    );
    // The host's own apt sources, verbatim (comments included), instead of debootstrap's sources.list.
    await rm(join(dir, 'etc/apt/sources.list'), { force: true });
    for (const file of sources) {
      const target = join(dir, file.path.replace(/^\//, ''));
      await copyFile(file.path, target);
      log(`[debian-base] apt sources: ${file.path}`);
    }
    for (const [path, text] of Object.entries(BASE_FILES)) await writeFile(join(dir, path), text);
    // What the slim images drop, and what the build machine leaked into the tree.
    for (const sub of [
      'usr/share/doc',
      'usr/share/man',
      'usr/share/info',
      'usr/share/locale',
      'usr/share/lintian',
    ]) {
      await pruneExcept(join(dir, sub), sub === 'usr/share/doc' ? 'copyright' : undefined);
    }
    for (const sub of ['var/lib/apt/lists', 'var/cache/apt/archives', 'var/log'])
      await emptyDir(join(dir, sub));
    await writeFile(join(dir, 'etc/resolv.conf'), '');
    await writeFile(join(dir, 'etc/hostname'), '');
    await unlink(join(dir, 'var/cache/apt/pkgcache.bin')).catch(() => {});
    await unlink(join(dir, 'var/cache/apt/srcpkgcache.bin')).catch(() => {});

    log(`[debian-base] docker import -> ${BASE_IMAGE}`);
    const tarProcess = spawn('tar', ['--numeric-owner', '-C', dir, '-c', '.'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tarError = '';
    tarProcess.stderr.on('data', (chunk: Buffer) => (tarError += chunk.toString('utf8')));
    const tarDone = new Promise<void>((resolve, reject) =>
      tarProcess.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`tar failed (${code}): ${tarError}`)),
      ),
    );
    const id = await importRootfs(docker, tarProcess.stdout, {
      repo: BASE_REPO,
      tag: SUITE,
      changes: [
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        `LABEL ${FIXTURE_LABEL}=debian-base`,
        'CMD ["bash"]',
      ],
    });
    await tarDone;
    const info = await inspectImage(docker, id);
    const seconds = (Date.now() - started) / 1000;
    log(`[debian-base] made ${BASE_IMAGE} in ${seconds.toFixed(1)} s (${megabytes(info?.Size ?? 0)})`);
    return { name: 'debian-base', ref: BASE_IMAGE, id, built: true, seconds, sizeBytes: info?.Size ?? 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function emptyDir(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of await readdir(dir)) {
    if (name === 'partial' || name === 'lock') continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** Removes everything under dir except files named `keep` (one level of package directories). */
async function pruneExcept(dir: string, keep: string | undefined): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (keep && entry.isDirectory()) {
      for (const inner of await readdir(path)) {
        if (inner !== keep) await rm(join(path, inner), { recursive: true, force: true });
      }
    } else {
      await rm(path, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fixture images

/** The files of a fixture's recipe directory (its build context). */
export async function fixtureRecipe(name: FixtureName): Promise<ContextFile[]> {
  return readContextDir(join(IMAGES_DIR, name));
}

/** 12 hex digits over the recipe's paths, modes and contents, and the base image's id. */
export function recipeHash(files: readonly ContextFile[], baseId: string): string {
  const hash = createHash('sha256');
  hash.update(`base ${baseId}\n`);
  for (const file of files) {
    hash.update(`${file.path}\0${file.mode.toString(8)}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex').slice(0, 12);
}

/** Builds `hubify-fixture/<name>:<hash>` (and re-points `:latest`) unless that tag exists. */
export async function ensureFixture(
  docker: Docker,
  name: FixtureName,
  baseId: string,
  log: Log,
): Promise<BuiltImage> {
  const started = Date.now();
  const files = await fixtureRecipe(name);
  if (!files.some((file) => file.path === 'Dockerfile'))
    throw new Error(`test/images/${name}/ has no Dockerfile`);
  const hash = recipeHash(files, baseId);
  const ref = `${fixtureRepo(name)}:${hash}`;
  const latest = `${fixtureRepo(name)}:latest`;
  const existing = await inspectImage(docker, ref);
  if (existing) {
    const latestInfo = await inspectImage(docker, latest);
    if (latestInfo?.Id !== existing.Id)
      await docker.getImage(ref).tag({ repo: fixtureRepo(name), tag: 'latest' });
    return { name, ref, id: existing.Id, built: false, seconds: 0, sizeBytes: existing.Size };
  }
  log(`[${name}] building ${ref} (recipe changed or never built)`);
  const { id } = await buildImage(docker, {
    context: files,
    tags: [ref, latest],
    labels: { [FIXTURE_LABEL]: name, [RECIPE_HASH_LABEL]: hash },
    networkMode: 'host',
    onLine: (line) => log(`[${name}] ${line}`),
  });
  const info = await inspectImage(docker, id);
  const seconds = (Date.now() - started) / 1000;
  log(`[${name}] built ${ref} in ${seconds.toFixed(1)} s (${megabytes(info?.Size ?? 0)})`);
  for (const stale of await removeStaleTags(docker, name, [ref, latest]))
    log(`[${name}] removed stale tag ${stale}`);
  return { name, ref, id, built: true, seconds, sizeBytes: info?.Size ?? 0 };
}

/**
 * Untags the fixture's tags of earlier recipes (an image still used by a container stays: the engine
 * refuses, and that is ignored). Returns the tags removed.
 */
export async function removeStaleTags(
  docker: Docker,
  name: FixtureName,
  keep: readonly string[],
): Promise<string[]> {
  const repo = fixtureRepo(name);
  const removed: string[] = [];
  for (const info of await docker.listImages({ filters: { reference: [repo] } })) {
    for (const tag of info.RepoTags ?? []) {
      if (!tag.startsWith(`${repo}:`) || keep.includes(tag)) continue;
      try {
        await docker.getImage(tag).remove();
        removed.push(tag);
      } catch {
        // in use by a container, or already gone
      }
    }
  }
  return removed;
}

/** The base image plus the named fixtures (all by default), built or found, in order. */
export async function ensureFixtures(
  names: readonly FixtureName[] = FIXTURE_NAMES,
  options: { log?: Log; docker?: Docker } = {},
): Promise<{ base: BuiltImage; fixtures: Map<FixtureName, BuiltImage> }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const docker = options.docker ?? (await connectDocker());
  const base = await ensureBaseImage(docker, log);
  const fixtures = new Map<FixtureName, BuiltImage>();
  for (const name of names) fixtures.set(name, await ensureFixture(docker, name, base.id, log));
  return { base, fixtures };
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

async function main(argv: string[]): Promise<void> {
  const unknown = argv.filter((name) => !isFixtureName(name));
  if (unknown.length > 0) {
    throw new Error(`unknown fixture(s): ${unknown.join(', ')}; known: ${FIXTURE_NAMES.join(', ')}`);
  }
  const names = argv.length > 0 ? argv.filter(isFixtureName) : [...FIXTURE_NAMES];
  const started = Date.now();
  const log = (line: string): void => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    console.log(`${seconds}s ${line}`);
  };
  const docker = await connectDocker();
  const exists = await imageExists(docker, BASE_IMAGE);
  log(`base ${BASE_IMAGE}: ${exists ? 'cached' : 'to make'}; fixtures: ${names.join(', ')}`);
  const { base, fixtures } = await ensureFixtures(names, { log, docker });
  console.log('');
  for (const image of [base, ...fixtures.values()]) {
    const what = image.built ? `built in ${image.seconds.toFixed(1)} s` : 'cached';
    console.log(`${image.ref.padEnd(44)} ${megabytes(image.sizeBytes).padStart(8)}  ${what}`);
  }
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(
      `${basename(process.argv[1] ?? 'build-fixtures')}: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  });
}
