/**
 * The static tini that runs as PID 1 in hubified images (it reaps zombies and forwards signals):
 * `/usr/bin/tini-static` from Debian's `tini` package, found in this order:
 *
 *   1. the cache, `<cache>/tini/linux-<arch>/tini-static` + `tini.json` (so a machine keeps using the
 *      tini it first used, and the layer stays the same);
 *   2. the installed package of this machine (`dpkg-query`), its file checked against dpkg's md5sums;
 *   3. `apt-get download tini:<arch>` + `dpkg-deb -x` (apt checks the archive's signatures), when
 *      dpkg knows the architecture;
 *   4. the Debian archive of this machine's apt sources, fetched and verified without apt
 *      (debian-archive.ts: gpgv-checked InRelease → SHA256 of Packages → SHA256 of the .deb), the
 *      version of this machine's amd64 tini preferred. This is how linux/arm64 gets its tini on an
 *      amd64 machine: hubify never runs `dpkg --add-architecture` nor changes apt's settings.
 *
 * Whatever the source, the file must be an ELF executable of the architecture (e_machine).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../errors.ts';
import { buildError, diskFullError, isDiskFull } from '../build/error-codes.ts';
import { fetchDebianPackage, type DebianArchiveOptions } from './debian-archive.ts';
import { runTool, tail, type ToolRunner } from './run-tool.ts';

/** Debian's architecture names. */
export type DebArch = 'amd64' | 'arm64';

export const TINI_PATH_IN_PACKAGE = 'usr/bin/tini-static';
export const TINI_COPYRIGHT_IN_PACKAGE = 'usr/share/doc/tini/copyright';

/** ELF e_machine of each architecture. */
const ELF_MACHINE: Record<DebArch, number> = { amd64: 0x3e, arm64: 0xb7 };

export interface TiniBinary {
  arch: DebArch;
  /** The Debian package version, e.g. 0.19.0-1+b3. */
  version: string;
  path: string;
  size: number;
  sha256: string;
  source: 'installed package' | 'apt-get download' | 'Debian archive';
  /** The .deb's URL when it came from the Debian archive. */
  url?: string;
  /** The package's copyright file (tini's MIT licence), shipped beside it; null when absent. */
  copyrightPath: string | null;
  cached: boolean;
}

export interface ObtainTiniOptions {
  arch: DebArch;
  cacheDir: string;
  onProgress?: (line: string) => void;
  runner?: ToolRunner;
  /** Root of dpkg's files (tests): default / (so /usr/bin/tini-static, /var/lib/dpkg/info). */
  root?: string;
  /** The Debian archive fetch (tests replace the network and the apt sources); false: never use it. */
  archive?: DebianArchiveOptions | false;
}

/** Whether `bytes` are an ELF executable for `arch`. */
export function isElfFor(bytes: Buffer, arch: DebArch): boolean {
  if (bytes.length < 20 || bytes.readUInt32BE(0) !== 0x7f454c46) return false;
  // e_machine at offset 18, little-endian for both architectures.
  return bytes.readUInt16LE(18) === ELF_MACHINE[arch];
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

interface Found {
  version: string;
  bytes: Buffer;
  copyright: Buffer | null;
  source: TiniBinary['source'];
  url?: string;
}

async function readOrNull(path: string): Promise<Buffer | null> {
  return readFile(path).catch(() => null);
}

/** The installed package's tini-static, if dpkg lists `tini:<arch>` as installed and its md5 matches. */
async function fromInstalledPackage(options: ObtainTiniOptions, tried: string[]): Promise<Found | null> {
  const runner = options.runner ?? runTool;
  const root = options.root ?? '/';
  const query = await runner('dpkg-query', [
    '-W',
    '-f=${Version}\t${db:Status-Abbrev}',
    `tini:${options.arch}`,
  ]);
  if (query.missing) {
    tried.push('dpkg-query: not installed (not a Debian-based machine)');
    return null;
  }
  const [version, status] = query.stdout.split('\t');
  if (query.code !== 0 || version === undefined || !status?.startsWith('ii')) {
    tried.push(`installed package tini:${options.arch}: not installed`);
    return null;
  }
  let bytes: Buffer;
  let sums: string;
  try {
    bytes = await readFile(join(root, TINI_PATH_IN_PACKAGE));
    const info = join(root, 'var/lib/dpkg/info');
    const names = (await readdir(info)).filter(
      (name) => name === 'tini.md5sums' || name === `tini:${options.arch}.md5sums`,
    );
    sums = names[0] === undefined ? '' : await readFile(join(info, names[0]), 'utf8');
  } catch (error) {
    tried.push(`installed package tini ${version}: ${(error as Error).message}`);
    return null;
  }
  const expected = sums
    .split('\n')
    .map((line) => line.split(/\s+/))
    .find((fields) => fields[1] === TINI_PATH_IN_PACKAGE)?.[0];
  if (expected === undefined || md5(bytes) !== expected) {
    tried.push(`installed package tini ${version}: /${TINI_PATH_IN_PACKAGE} does not match dpkg's md5sums`);
    return null;
  }
  const copyright = await readOrNull(join(root, TINI_COPYRIGHT_IN_PACKAGE));
  return { version, bytes, copyright, source: 'installed package' };
}

/** `apt-get download tini:<arch>` when dpkg knows the architecture. */
async function fromAptDownload(options: ObtainTiniOptions, tried: string[]): Promise<Found | null> {
  const runner = options.runner ?? runTool;
  const native = await runner('dpkg', ['--print-architecture']);
  const foreign = await runner('dpkg', ['--print-foreign-architectures']);
  if (native.missing) return null;
  const known = [native.stdout, foreign.stdout].join('\n').split(/\s+/).filter(Boolean);
  if (!known.includes(options.arch)) {
    tried.push(
      `apt-get download tini:${options.arch}: not possible, ${options.arch} is not a dpkg architecture of this machine ` +
        `(dpkg knows: ${known.join(', ') || 'none'}); hubify does not run dpkg --add-architecture`,
    );
    return null;
  }
  const work = await mkdtemp(join(tmpdir(), 'hubify-tini-'));
  try {
    options.onProgress?.(`fetching Debian's tini:${options.arch} with apt-get download`);
    const download = await runner('apt-get', ['download', `tini:${options.arch}`], { cwd: work });
    const deb = (await readdir(work)).find((name) => name.endsWith('.deb'));
    if (download.code !== 0 || deb === undefined) {
      tried.push(
        `apt-get download tini:${options.arch}: ${download.missing ? 'apt-get is not installed' : tail(download, 3)}`,
      );
      return null;
    }
    const fields = await runner('dpkg-deb', ['-f', join(work, deb), 'Version']);
    const unpack = await runner('dpkg-deb', ['-x', join(work, deb), join(work, 'root')]);
    if (unpack.code !== 0) {
      tried.push(`dpkg-deb -x ${deb}: ${tail(unpack, 3)}`);
      return null;
    }
    const bytes = await readFile(join(work, 'root', TINI_PATH_IN_PACKAGE));
    const copyright = await readOrNull(join(work, 'root', TINI_COPYRIGHT_IN_PACKAGE));
    return { version: fields.stdout.trim() || deb, bytes, copyright, source: 'apt-get download' };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The version of the amd64 tini this machine uses (cached or installed): arm64 gets the same when it can. */
async function amd64Version(options: ObtainTiniOptions): Promise<string | null> {
  try {
    const meta = JSON.parse(
      await readFile(join(options.cacheDir, 'tini', 'linux-amd64', 'tini.json'), 'utf8'),
    ) as Partial<TiniBinary>;
    if (typeof meta.version === 'string') return meta.version;
  } catch {
    // no amd64 tini cached: ask dpkg
  }
  const query = await (options.runner ?? runTool)('dpkg-query', ['-W', '-f=${Version}', 'tini:amd64']);
  return query.code === 0 && query.stdout.trim() !== '' ? query.stdout.trim() : null;
}

/** Debian's tini of the architecture from the archive of the apt sources, every step verified. */
async function fromDebianArchive(options: ObtainTiniOptions, tried: string[]): Promise<Found | null> {
  if (options.archive === false) return null;
  const prefer = options.arch === 'amd64' ? null : await amd64Version(options);
  try {
    const fetched = await fetchDebianPackage(
      'tini',
      options.arch,
      prefer,
      [TINI_PATH_IN_PACKAGE, TINI_COPYRIGHT_IN_PACKAGE],
      { runner: options.runner ?? runTool, onProgress: options.onProgress, ...options.archive },
    );
    const bytes = fetched.files.get(TINI_PATH_IN_PACKAGE);
    if (bytes === undefined) {
      tried.push(`Debian archive: ${fetched.url} has no /${TINI_PATH_IN_PACKAGE}`);
      return null;
    }
    if (prefer !== null && fetched.stanza.version !== prefer)
      options.onProgress?.(
        `tini:${options.arch} ${fetched.stanza.version} (the archive has no ${prefer}, the amd64 version)`,
      );
    return {
      version: fetched.stanza.version,
      bytes,
      copyright: fetched.files.get(TINI_COPYRIGHT_IN_PACKAGE) ?? null,
      source: 'Debian archive',
      url: fetched.url,
    };
  } catch (error) {
    tried.push(`Debian archive: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export async function obtainTini(options: ObtainTiniOptions): Promise<TiniBinary> {
  const dir = join(options.cacheDir, 'tini', `linux-${options.arch}`);
  const binary = join(dir, 'tini-static');
  const metaFile = join(dir, 'tini.json');
  try {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as TiniBinary;
    const bytes = await readFile(binary);
    if (createHash('sha256').update(bytes).digest('hex') === meta.sha256)
      return { ...meta, path: binary, cached: true };
  } catch {
    // not cached yet
  }

  const tried: string[] = [];
  const found =
    (await fromInstalledPackage(options, tried)) ??
    (await fromAptDownload(options, tried)) ??
    (await fromDebianArchive(options, tried));
  if (found === null || !isElfFor(found.bytes, options.arch)) {
    if (found !== null)
      tried.push(`tini ${found.version} from the ${found.source} is not an ${options.arch} executable`);
    const platform = options.arch === 'amd64' ? 'linux/amd64' : 'linux/arm64';
    throw buildError({
      code: 'HUBIFY_TINI_UNAVAILABLE',
      message: `cannot get Debian's static tini for ${platform}`,
      detail: tried.join('\n'),
      hint:
        options.arch === 'arm64'
          ? 'hubify fetches arm64 tini from the Debian archive named in the apt sources (/etc/apt), checked with gpgv ' +
            'against /usr/share/keyrings/debian-archive-keyring.gpg: check that the mirror is reachable and gpgv and ' +
            'debian-archive-keyring are installed (or, as root: dpkg --add-architecture arm64 && apt-get update).'
          : "Install Debian's tini package (apt-get install tini) or make apt able to download it, then run again.",
      exitCode: EXIT.MISSING,
    });
  }
  const tini: TiniBinary = {
    arch: options.arch,
    version: found.version,
    path: binary,
    size: found.bytes.length,
    sha256: createHash('sha256').update(found.bytes).digest('hex'),
    source: found.source,
    ...(found.url === undefined ? {} : { url: found.url }),
    copyrightPath: found.copyright === null ? null : join(dir, 'copyright'),
    cached: false,
  };
  try {
    await mkdir(dir, { recursive: true });
    if (found.copyright !== null) await writeFile(join(dir, 'copyright'), found.copyright);
    await writeFile(`${binary}.tmp`, found.bytes);
    await chmod(`${binary}.tmp`, 0o755);
    await rename(`${binary}.tmp`, binary);
    await writeFile(metaFile, `${JSON.stringify(tini, null, 2)}\n`);
  } catch (error) {
    if (isDiskFull(error)) throw diskFullError(`tini into ${dir}`, error);
    throw error;
  }
  return tini;
}
