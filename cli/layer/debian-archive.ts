/**
 * One package file from the Debian archive, fetched and verified the way apt does it, without apt
 * (apt can only fetch architectures dpkg knows, and hubify never changes dpkg or apt's settings):
 *
 *   1. mirror and suite from this machine's apt sources (apt-sources.ts), never a written-in host;
 *   2. `dists/<suite>/InRelease`, its signature checked with `gpgv` against Debian's archive keyring
 *      (fail closed: no gpgv, no keyring, a bad signature → refused); only what gpgv verified is read;
 *   3. the SHA256 of `main/binary-<arch>/Packages.xz` (or .gz) from it; the file fetched, checked,
 *      decompressed (`xz` for .xz, Node's zlib for .gz);
 *   4. the package's stanza (Filename, SHA256, Version); the .deb fetched and checked;
 *   5. the .deb is an ar archive (parsed here) holding data.tar.{xz,zst,gz}, unpacked with `tar`.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { debianArchive, hostAptSources, osReleaseCodename } from './apt-sources.ts';
import { runTool, tail, type ToolRunner } from './run-tool.ts';

export const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** Fetches a URL's bytes (tests replace it). */
export type Fetcher = (url: string) => Promise<Buffer>;

export const fetchBytes: Fetcher = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${response.statusText}`);
  return Buffer.from(await response.arrayBuffer());
};

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// ar archives (.deb)

export interface ArMember {
  name: string;
  data: Buffer;
}

/** The members of an ar archive (`!<arch>\n`, 60-byte headers, data padded to even offsets). */
export function parseAr(bytes: Buffer): ArMember[] {
  if (bytes.subarray(0, 8).toString('latin1') !== '!<arch>\n') throw new Error('not an ar archive');
  const members: ArMember[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    if (bytes[offset] === 0x0a && offset + 1 === bytes.length) break; // trailing padding
    if (offset + 60 > bytes.length) throw new Error(`ar archive truncated in a header at ${offset}`);
    const header = bytes.subarray(offset, offset + 60).toString('latin1');
    if (header.slice(58, 60) !== '`\n') throw new Error(`ar archive: bad header at ${offset}`);
    const name = header.slice(0, 16).trimEnd().replace(/\/$/, '');
    const sizeText = header.slice(48, 58).trim();
    if (!/^\d+$/.test(sizeText)) throw new Error(`ar archive: bad size "${sizeText}" for ${name}`);
    const size = Number(sizeText);
    const start = offset + 60;
    if (start + size > bytes.length) throw new Error(`ar archive truncated in ${name}`);
    members.push({ name, data: bytes.subarray(start, start + size) });
    offset = start + size + (size % 2);
  }
  return members;
}

// ---------------------------------------------------------------------------------------------
// Release and Packages files

/** Control-file stanzas (Release, Packages): field names as written, continuation lines joined by \n. */
export function parseStanzas(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      last = null;
    } else if (/^[ \t]/.test(line)) {
      if (last !== null) current.set(last, `${current.get(last) ?? ''}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      current.set(last, line.slice(colon + 1).trim());
    }
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/** The SHA256 list of a (verified) Release text: path → hash and size. */
export function releaseSha256(release: string): Map<string, { sha256: string; size: number }> {
  const field = parseStanzas(release)[0]?.get('SHA256') ?? '';
  const files = new Map<string, { sha256: string; size: number }>();
  for (const line of field.split('\n')) {
    const [hash, size, path] = line.trim().split(/\s+/);
    if (hash && size && path && /^[0-9a-f]{64}$/.test(hash))
      files.set(path, { sha256: hash, size: Number(size) });
  }
  return files;
}

export interface PackageStanza {
  package: string;
  version: string;
  architecture: string;
  filename: string;
  sha256: string;
  size: number;
}

/**
 * The stanza of `name` in a Packages text: the one whose Version is `preferVersion` when there is
 * one, else the last listed. Null when the package is not there.
 */
export function findPackage(
  packages: string,
  name: string,
  preferVersion: string | null,
): PackageStanza | null {
  const matches: PackageStanza[] = [];
  // Cheap pre-filter: Packages files are large and only a few stanzas matter.
  for (const block of packages.split(/\n\s*\n/)) {
    if (!block.startsWith(`Package: ${name}\n`)) continue;
    const fields = parseStanzas(block)[0];
    if (fields?.get('Package') !== name) continue;
    const filename = fields.get('Filename');
    const sha256 = fields.get('SHA256');
    const version = fields.get('Version');
    if (!filename || !sha256 || !version || !/^[0-9a-f]{64}$/.test(sha256)) continue;
    matches.push({
      package: name,
      version,
      architecture: fields.get('Architecture') ?? '',
      filename,
      sha256,
      size: Number(fields.get('Size') ?? 0),
    });
  }
  return matches.find((stanza) => stanza.version === preferVersion) ?? matches.at(-1) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Fetching

export interface DebianArchiveOptions {
  fetch?: Fetcher;
  runner?: ToolRunner;
  /** apt's directory (tests): default /etc/apt. */
  aptRoot?: string;
  /** os-release file for the codename: default /etc/os-release. */
  osRelease?: string;
  keyring?: string;
  onProgress?: (line: string) => void;
}

export interface FetchedPackage {
  stanza: PackageStanza;
  /** The .deb's URL. */
  url: string;
  mirror: string;
  suite: string;
  /** The files of the package's data.tar, by path without the leading ./ (only those asked for). */
  files: Map<string, Buffer>;
}

/** Runs gpgv on an InRelease file; returns the text it verified. Throws unless the signature is good. */
export async function verifiedRelease(
  inRelease: Buffer,
  keyring: string,
  runner: ToolRunner = runTool,
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'hubify-inrelease-'));
  try {
    await writeFile(join(work, 'InRelease'), inRelease);
    const result = await runner('gpgv', [
      '--keyring',
      keyring,
      '--output',
      join(work, 'Release'),
      join(work, 'InRelease'),
    ]);
    if (result.code !== 0)
      throw new Error(
        result.missing
          ? 'gpgv is not installed (Debian package gpgv): the archive signature cannot be checked'
          : `gpgv refused the InRelease signature (keyring ${keyring}): ${tail(result, 3)}`,
      );
    return await readFile(join(work, 'Release'), 'utf8');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The Packages text of `component/binary-<arch>` from a verified Release: fetched, its SHA256
 * checked against the Release (a mismatch is refused), decompressed.
 */
export async function verifiedPackages(
  release: string,
  base: string,
  arch: string,
  options: Pick<DebianArchiveOptions, 'fetch' | 'runner'> = {},
): Promise<string> {
  const hashes = releaseSha256(release);
  const fetcher = options.fetch ?? fetchBytes;
  for (const suffix of ['xz', 'gz'] as const) {
    const path = `main/binary-${arch}/Packages.${suffix}`;
    const expected = hashes.get(path);
    if (expected === undefined) continue;
    const bytes = await fetcher(`${base}/${path}`);
    const actual = sha256Hex(bytes);
    if (actual !== expected.sha256)
      throw new Error(
        `${path} does not match the signed Release: sha256 ${actual}, expected ${expected.sha256}`,
      );
    if (suffix === 'gz') return gunzipSync(bytes).toString('utf8');
    const work = await mkdtemp(join(tmpdir(), 'hubify-packages-'));
    try {
      await writeFile(join(work, 'Packages.xz'), bytes);
      const result = await (options.runner ?? runTool)('xz', ['-dc', join(work, 'Packages.xz')]);
      if (result.code === 0) return result.stdout;
      if (!result.missing || !hashes.has(`main/binary-${arch}/Packages.gz`))
        throw new Error(
          `xz -dc ${path}: ${result.missing ? 'xz is not installed (xz-utils)' : tail(result, 3)}`,
        );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  throw new Error(`the signed Release lists no main/binary-${arch}/Packages.xz or .gz`);
}

/** Unpacks the data.tar.* of a .deb and returns the wanted files (paths without the leading ./). */
export async function debFiles(
  deb: Buffer,
  wanted: readonly string[],
  runner: ToolRunner = runTool,
): Promise<Map<string, Buffer>> {
  const data = parseAr(deb).find((member) => /^data\.tar(\.(xz|zst|gz))?$/.test(member.name));
  if (data === undefined) throw new Error('the .deb has no data.tar member');
  const work = await mkdtemp(join(tmpdir(), 'hubify-deb-'));
  try {
    await writeFile(join(work, data.name), data.data);
    const root = join(work, 'root');
    await mkdir(root);
    const compressor = data.name.endsWith('.zst')
      ? ['--use-compress-program=zstd']
      : data.name.endsWith('.xz')
        ? ['--xz']
        : data.name.endsWith('.gz')
          ? ['--gzip']
          : [];
    const result = await runner('tar', [
      ...compressor,
      '-x',
      '--no-same-owner',
      '-f',
      join(work, data.name),
      '-C',
      root,
    ]);
    if (result.code !== 0) throw new Error(`tar -x ${data.name}: ${tail(result, 3)}`);
    const files = new Map<string, Buffer>();
    for (const path of wanted) {
      const bytes = await readFile(join(root, path)).catch(() => null);
      if (bytes !== null) files.set(path, bytes);
    }
    return files;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Fetches package `name` for Debian architecture `arch` from the archive of this machine's apt
 * sources, every step verified (see the top of this file), and returns the `wanted` files of it.
 */
export async function fetchDebianPackage(
  name: string,
  arch: string,
  preferVersion: string | null,
  wanted: readonly string[],
  options: DebianArchiveOptions = {},
): Promise<FetchedPackage> {
  const fetcher = options.fetch ?? fetchBytes;
  const runner = options.runner ?? runTool;
  const sources = await hostAptSources(options.aptRoot);
  const codename = osReleaseCodename(
    await readFile(options.osRelease ?? '/etc/os-release', 'utf8').catch(() => ''),
  );
  const archive = debianArchive(sources, codename);
  if (archive === undefined)
    throw new Error(
      `no Debian archive (a deb source with component main) in the apt sources (${sources.map((file) => file.path).join(', ') || 'none'})`,
    );
  const mirror = archive.mirror.replace(/\/+$/, '');
  const dists = `${mirror}/dists/${archive.suite}`;
  options.onProgress?.(`fetching ${name}:${arch} from the Debian archive (${mirror}, ${archive.suite})`);
  const release = await verifiedRelease(
    await fetcher(`${dists}/InRelease`),
    options.keyring ?? DEBIAN_KEYRING,
    runner,
  );
  const packages = await verifiedPackages(release, dists, arch, { fetch: fetcher, runner });
  const stanza = findPackage(packages, name, preferVersion);
  if (stanza === null) throw new Error(`${archive.suite} main/binary-${arch} has no package ${name}`);
  const url = `${mirror}/${stanza.filename}`;
  const deb = await fetcher(url);
  const actual = sha256Hex(deb);
  if (actual !== stanza.sha256)
    throw new Error(
      `${stanza.filename} does not match the signed Packages: sha256 ${actual}, expected ${stanza.sha256}`,
    );
  return { stanza, url, mirror, suite: archive.suite, files: await debFiles(deb, wanted, runner) };
}
