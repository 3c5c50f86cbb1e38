// Debian's arm64 tini without apt (cli/layer/debian-archive.ts, apt-sources.ts): the ar parser, the
// control-stanza parser, the InRelease SHA256 lookup, and the whole chain with the network replaced:
// a Packages file or .deb that does not match the signed hashes is refused, and so is an InRelease
// that gpgv does not accept (the real gpgv against Debian's keyring, where installed).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aptSources, debianArchive, osReleaseCodename } from '../../cli/layer/apt-sources.ts';
import {
  DEBIAN_KEYRING,
  fetchDebianPackage,
  findPackage,
  parseAr,
  parseStanzas,
  releaseSha256,
  sha256Hex,
  verifiedPackages,
  verifiedRelease,
  type Fetcher,
} from '../../cli/layer/debian-archive.ts';
import { runTool, type ToolRunner } from '../../cli/layer/run-tool.ts';
import { obtainTini } from '../../cli/layer/tini-binary.ts';

// Loopback only: the fetcher below answers every URL itself, nothing is ever contacted.
const MIRROR = 'http://127.0.0.1:9/debian';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hubify-debian-archive-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An ar archive of these members (as `ar rc` writes it: 60-byte headers, odd sizes padded). */
function arArchive(members: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n', 'latin1')];
  for (const member of members) {
    const header =
      `${member.name}/`.padEnd(16) +
      '0'.padEnd(12) +
      '0'.padEnd(6) +
      '0'.padEnd(6) +
      '100644'.padEnd(8) +
      String(member.data.length).padEnd(10) +
      '`\n';
    parts.push(Buffer.from(header, 'latin1'), member.data);
    if (member.data.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

function elf(machine: number): Buffer {
  const bytes = Buffer.alloc(64);
  bytes.writeUInt32BE(0x7f454c46, 0);
  bytes.writeUInt16LE(machine, 18);
  return bytes;
}

async function tarGz(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o755 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** A .deb: debian-binary, control.tar.gz, data.tar.gz with tini-static and the copyright file. */
async function tiniDeb(machine: number): Promise<Buffer> {
  return arArchive([
    { name: 'debian-binary', data: Buffer.from('2.0\n') },
    { name: 'control.tar.gz', data: await tarGz({ './control': 'Package: tini\n' }) },
    {
      name: 'data.tar.gz',
      data: await tarGz({
        './usr/bin/tini-static': elf(machine),
        './usr/share/doc/tini/copyright': 'Copyright: Thomas Orozco\nLicense: MIT\n',
      }),
    },
  ]);
}

const stanza = (version: string, deb: Buffer, name = 'tini'): string =>
  [
    `Package: ${name}`,
    'Source: tini (0.19.0-1)',
    `Version: ${version}`,
    'Architecture: arm64',
    'Description: tiny but valid init for containers',
    ' Tini is the simplest init you could think of.',
    `Filename: pool/main/t/tini/${name}_${version}_arm64.deb`,
    `Size: ${deb.length}`,
    `SHA256: ${sha256Hex(deb)}`,
    '',
  ].join('\n');

function release(files: Record<string, Buffer>): string {
  return [
    'Origin: Debian',
    'Suite: stable',
    'Codename: bookworm',
    'SHA256:',
    ...Object.entries(files).map(([path, bytes]) => ` ${sha256Hex(bytes)} ${bytes.length} ${path}`),
    '',
  ].join('\n');
}

/** A gpgv stand-in that "verifies" by copying (--output OUT IN); everything else runs for real. */
const acceptingGpgv: ToolRunner = async (command, args, options) => {
  if (command !== 'gpgv') return runTool(command, args, options);
  const output = args[args.indexOf('--output') + 1] ?? '';
  await writeFile(output, await readFile(args.at(-1) ?? ''));
  return { code: 0, stdout: '', stderr: '', missing: false, commandLine: 'gpgv' };
};

interface Archive {
  fetch: Fetcher;
  fetched: string[];
  aptRoot: string;
}

/** A fake archive at MIRROR: InRelease, main/binary-arm64/Packages.gz and the .deb, each overridable. */
async function fakeArchive(
  options: { packages?: Buffer; packagesInRelease?: Buffer; deb?: Buffer; debInPackages?: Buffer } = {},
): Promise<Archive> {
  const deb = options.deb ?? (await tiniDeb(0xb7));
  const text = stanza('0.19.0-1+b2', deb) + '\n' + stanza('0.19.0-1+b3', options.debInPackages ?? deb);
  const packagesGz = gzipSync(Buffer.from(`Package: bash\nVersion: 5.2\n\n${text}`));
  const inRelease = Buffer.from(
    release({ 'main/binary-arm64/Packages.gz': options.packagesInRelease ?? packagesGz }),
  );
  const answers = new Map<string, Buffer>([
    [`${MIRROR}/dists/bookworm/InRelease`, inRelease],
    [`${MIRROR}/dists/bookworm/main/binary-arm64/Packages.gz`, options.packages ?? packagesGz],
    [`${MIRROR}/pool/main/t/tini/tini_0.19.0-1+b3_arm64.deb`, deb],
    [`${MIRROR}/pool/main/t/tini/tini_0.19.0-1+b2_arm64.deb`, deb],
  ]);
  const fetched: string[] = [];
  const aptRoot = join(dir, 'apt');
  await mkdir(join(aptRoot, 'sources.list.d'), { recursive: true });
  await writeFile(
    join(aptRoot, 'sources.list.d', 'debian.sources'),
    `Types: deb\nURIs: ${MIRROR}\nSuites: bookworm bookworm-updates\nComponents: main\n`,
  );
  return {
    fetched,
    aptRoot,
    fetch: (url) => {
      fetched.push(url);
      const answer = answers.get(url);
      return answer === undefined ? Promise.reject(new Error(`404 ${url}`)) : Promise.resolve(answer);
    },
  };
}

describe('ar archives', () => {
  it('lists the members of a .deb with their contents, odd sizes padded', () => {
    const members = parseAr(
      arArchive([
        { name: 'debian-binary', data: Buffer.from('2.0\n') },
        { name: 'control.tar.xz', data: Buffer.from('odd') },
        { name: 'data.tar.zst', data: Buffer.from('data') },
      ]),
    );
    expect(members.map((member) => [member.name, member.data.toString()])).toEqual([
      ['debian-binary', '2.0\n'],
      ['control.tar.xz', 'odd'],
      ['data.tar.zst', 'data'],
    ]);
  });

  it('refuses what is not an ar archive, a bad header and a truncated member', () => {
    expect(() => parseAr(Buffer.from('PK\x03\x04 not ar'))).toThrow('not an ar archive');
    const good = arArchive([{ name: 'data.tar.gz', data: Buffer.from('0123456789') }]);
    const badMagic = Buffer.from(good);
    badMagic.write('xx', 8 + 58, 'latin1');
    expect(() => parseAr(badMagic)).toThrow('bad header');
    expect(() => parseAr(good.subarray(0, good.length - 3))).toThrow('truncated in data.tar.gz');
  });
});

describe('control stanzas', () => {
  it('parses fields and continuation lines, stanza by stanza', () => {
    const stanzas = parseStanzas('Package: a\nDescription: one\n two\n .\n\n\nPackage: b\nVersion: 1\n');
    expect(stanzas.map((fields) => Object.fromEntries(fields))).toEqual([
      { Package: 'a', Description: 'one\ntwo\n.' },
      { Package: 'b', Version: '1' },
    ]);
  });

  it('finds a package, the preferred version first, else the last listed; ignores similar names', () => {
    const deb = Buffer.from('deb');
    const text = [stanza('1', deb, 'tini-doc'), stanza('0.19.0-1+b2', deb), stanza('0.19.0-1+b3', deb)].join(
      '\n',
    );
    expect(findPackage(text, 'tini', '0.19.0-1+b2')).toMatchObject({
      package: 'tini',
      version: '0.19.0-1+b2',
      architecture: 'arm64',
      filename: 'pool/main/t/tini/tini_0.19.0-1+b2_arm64.deb',
      sha256: sha256Hex(deb),
      size: 3,
    });
    expect(findPackage(text, 'tini', '9.9')?.version).toBe('0.19.0-1+b3');
    expect(findPackage(text, 'tini', null)?.version).toBe('0.19.0-1+b3');
    expect(findPackage(text, 'tini-static', null)).toBeNull();
  });

  it("reads the SHA256 list of a Release file (not MD5Sum's)", () => {
    const text = [
      'Codename: bookworm',
      'MD5Sum:',
      ` ${'a'.repeat(32)} 10 main/binary-arm64/Packages.gz`,
      'SHA256:',
      ` ${'b'.repeat(64)} 1234 main/binary-arm64/Packages.xz`,
      ` ${'c'.repeat(64)} 99 main/binary-arm64/Packages.gz`,
      '',
    ].join('\n');
    const files = releaseSha256(text);
    expect(files.get('main/binary-arm64/Packages.gz')).toEqual({ sha256: 'c'.repeat(64), size: 99 });
    expect(files.get('main/binary-arm64/Packages.xz')).toEqual({ sha256: 'b'.repeat(64), size: 1234 });
    expect(files.size).toBe(2);
  });
});

describe('apt sources', () => {
  it("finds the release archive: the os-release codename's suite with component main", () => {
    const files = [
      { path: '/etc/apt/sources.list', text: 'deb http://127.0.0.1:1/other nodistro contrib\n' },
      {
        path: '/etc/apt/sources.list.d/debian.sources',
        text: `Types: deb\n# comment\nURIs: ${MIRROR}\nSuites: bookworm-updates bookworm\nComponents: main\n\nTypes: deb\nURIs: http://127.0.0.1:9/security\nSuites: bookworm-security\nComponents: main\n`,
      },
    ];
    expect(aptSources(files)).toHaveLength(3);
    expect(debianArchive(files, 'bookworm')).toEqual({ mirror: MIRROR, suite: 'bookworm' });
    expect(debianArchive(files, null)).toEqual({ mirror: MIRROR, suite: 'bookworm' });
    expect(debianArchive([files[0] ?? { path: '', text: '' }], 'bookworm')).toBeUndefined();
    expect(osReleaseCodename('NAME="Debian"\nVERSION_CODENAME=bookworm\n')).toBe('bookworm');
  });
});

describe('a package from the Debian archive', () => {
  it('is fetched through InRelease, Packages and the .deb, each checked, and unpacked', async () => {
    const archive = await fakeArchive();
    const fetched = await fetchDebianPackage('tini', 'arm64', null, ['usr/bin/tini-static'], {
      fetch: archive.fetch,
      runner: acceptingGpgv,
      aptRoot: archive.aptRoot,
      osRelease: join(dir, 'none'),
    });
    expect(fetched.stanza.version).toBe('0.19.0-1+b3');
    expect(fetched.url).toBe(`${MIRROR}/pool/main/t/tini/tini_0.19.0-1+b3_arm64.deb`);
    expect(fetched.files.get('usr/bin/tini-static')?.readUInt16LE(18)).toBe(183);
    expect(archive.fetched).toEqual([
      `${MIRROR}/dists/bookworm/InRelease`,
      `${MIRROR}/dists/bookworm/main/binary-arm64/Packages.gz`,
      `${MIRROR}/pool/main/t/tini/tini_0.19.0-1+b3_arm64.deb`,
    ]);
  });

  it('refuses a Packages file that does not match the signed InRelease', async () => {
    const archive = await fakeArchive({ packages: gzipSync(Buffer.from('Package: tini\nVersion: 6.6.6\n')) });
    const release = await verifiedRelease(
      await archive.fetch(`${MIRROR}/dists/bookworm/InRelease`),
      DEBIAN_KEYRING,
      acceptingGpgv,
    );
    await expect(
      verifiedPackages(release, `${MIRROR}/dists/bookworm`, 'arm64', { fetch: archive.fetch }),
    ).rejects.toThrow(
      /main\/binary-arm64\/Packages\.gz does not match the signed Release: sha256 [0-9a-f]{64}/,
    );
    await expect(
      verifiedPackages(release, `${MIRROR}/dists/bookworm`, 'armhf', { fetch: archive.fetch }),
    ).rejects.toThrow('the signed Release lists no main/binary-armhf/Packages.xz or .gz');
  });

  it('refuses a .deb that does not match the signed Packages', async () => {
    const archive = await fakeArchive({ debInPackages: Buffer.from('another deb') });
    await expect(
      fetchDebianPackage('tini', 'arm64', null, ['usr/bin/tini-static'], {
        fetch: archive.fetch,
        runner: acceptingGpgv,
        aptRoot: archive.aptRoot,
      }),
    ).rejects.toThrow('pool/main/t/tini/tini_0.19.0-1+b3_arm64.deb does not match the signed Packages');
  });

  it('refuses an InRelease that gpgv does not accept (fails closed)', async () => {
    const refusing: ToolRunner = (command, args) =>
      Promise.resolve({
        code: command === 'gpgv' ? 1 : 0,
        stdout: '',
        stderr: 'gpgv: BAD signature from "Debian Archive Automatic Signing Key"',
        missing: false,
        commandLine: [command, ...args].join(' '),
      });
    await expect(verifiedRelease(Buffer.from('x'), DEBIAN_KEYRING, refusing)).rejects.toThrow(
      'gpgv refused the InRelease signature',
    );
    const missing: ToolRunner = (command) =>
      Promise.resolve({ code: null, stdout: '', stderr: '', missing: true, commandLine: command });
    await expect(verifiedRelease(Buffer.from('x'), DEBIAN_KEYRING, missing)).rejects.toThrow(
      'gpgv is not installed',
    );
  });

  it.runIf(existsSync('/usr/bin/gpgv') && existsSync(DEBIAN_KEYRING))(
    "refuses, with the real gpgv and Debian's keyring, an unsigned or forged InRelease",
    async () => {
      const unsigned = Buffer.from(release({ 'main/binary-arm64/Packages.gz': Buffer.from('x') }));
      await expect(verifiedRelease(unsigned, DEBIAN_KEYRING)).rejects.toThrow('gpgv refused');
      const forged = Buffer.from(
        [
          '-----BEGIN PGP SIGNED MESSAGE-----',
          'Hash: SHA256',
          '',
          unsigned.toString(),
          '-----BEGIN PGP SIGNATURE-----',
          '',
          'iQIzBAEBCAAdFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAFAmVjb2RlAAoJEAAAAAAAAAAA',
          '=AAAA',
          '-----END PGP SIGNATURE-----',
          '',
        ].join('\n'),
      );
      await expect(verifiedRelease(forged, DEBIAN_KEYRING)).rejects.toThrow('gpgv refused');
    },
  );

  it('gives obtainTini an arm64 tini of the amd64 version when it can, cached with its copyright', async () => {
    const archive = await fakeArchive();
    const cacheDir = join(dir, 'cache');
    await mkdir(join(cacheDir, 'tini', 'linux-amd64'), { recursive: true });
    await writeFile(
      join(cacheDir, 'tini', 'linux-amd64', 'tini.json'),
      JSON.stringify({ version: '0.19.0-1+b2' }),
    );
    const runner: ToolRunner = (command, args, options) =>
      command === 'dpkg-query' || command === 'dpkg'
        ? Promise.resolve({ code: 1, stdout: '', stderr: '', missing: false, commandLine: command })
        : acceptingGpgv(command, args, options);
    const options = {
      arch: 'arm64' as const,
      cacheDir,
      runner,
      root: dir,
      archive: { fetch: archive.fetch, aptRoot: archive.aptRoot },
    };
    const tini = await obtainTini(options);
    expect(tini).toMatchObject({
      arch: 'arm64',
      version: '0.19.0-1+b2',
      source: 'Debian archive',
      url: `${MIRROR}/pool/main/t/tini/tini_0.19.0-1+b2_arm64.deb`,
      size: 64,
      cached: false,
    });
    expect(await readFile(tini.copyrightPath ?? '', 'utf8')).toContain('License: MIT');
    expect(await obtainTini(options)).toMatchObject({ cached: true, sha256: tini.sha256 });
    expect(archive.fetched).toHaveLength(3);
  });

  it('refuses a tini from the archive that is not an aarch64 executable', async () => {
    const archive = await fakeArchive({ deb: await tiniDeb(0x3e) });
    const runner: ToolRunner = (command, args, options) =>
      command === 'dpkg-query' || command === 'dpkg'
        ? Promise.resolve({ code: 1, stdout: '', stderr: '', missing: false, commandLine: command })
        : acceptingGpgv(command, args, options);
    await expect(
      obtainTini({
        arch: 'arm64',
        cacheDir: join(dir, 'cache'),
        runner,
        root: dir,
        archive: { fetch: archive.fetch, aptRoot: archive.aptRoot },
      }),
    ).rejects.toMatchObject({
      code: 'HUBIFY_TINI_UNAVAILABLE',
      detail: expect.stringContaining(
        'tini 0.19.0-1+b3 from the Debian archive is not an arm64 executable',
      ) as unknown,
    });
  });
});
