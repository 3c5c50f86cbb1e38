// The image filesystem read from layer tars (cli/oci/layer-tree.ts): layers applied in order, `.wh.`
// whiteouts and `.wh..wh..opq` opaque directories, symlinks and hard links, small files kept while
// streaming and large ones read again from their layer, gzip and plain layers; and detection run on it.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { detectImageFacts } from '../../cli/inspect/detect.ts';
import { LayerTree, normalTarPath, type LayerBlob } from '../../cli/oci/layer-tree.ts';

type Entry =
  | { name: string; content: string | Buffer; mode?: number; uid?: number }
  | { name: string; type: 'directory'; mode?: number; uid?: number }
  | { name: string; type: 'symlink' | 'link'; linkname: string };

async function tarBytes(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) {
    if ('content' in entry) {
      const data = Buffer.from(entry.content);
      pack.entry(
        { name: entry.name, size: data.length, mode: entry.mode ?? 0o644, uid: entry.uid ?? 0 },
        data,
      );
    } else if (entry.type === 'directory') {
      pack.entry({ name: entry.name, type: 'directory', mode: entry.mode ?? 0o755, uid: entry.uid ?? 0 });
    } else {
      pack.entry({ name: entry.name, type: entry.type, linkname: entry.linkname });
    }
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function layer(entries: Entry[], compression: 'gzip' | 'none' = 'gzip'): Promise<LayerBlob> {
  const bytes = await tarBytes(entries);
  const blob = compression === 'gzip' ? gzipSync(bytes) : bytes;
  return { open: () => Readable.from([blob]), compression };
}

const base: Entry[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/bash\n' },
  { name: 'etc/os-release', content: 'ID=debian\n' },
  { name: 'opt/', type: 'directory' },
  { name: 'opt/app/', type: 'directory' },
  { name: 'opt/app/a.txt', content: 'a' },
  { name: 'opt/app/sub/b.txt', content: 'b' },
  { name: 'opt/keep/', type: 'directory' },
  { name: 'opt/keep/k.txt', content: 'k' },
  { name: 'usr/bin/python3.11', content: 'ELF' },
  { name: 'usr/bin/python3', type: 'symlink', linkname: 'python3.11' },
  { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
];

describe('LayerTree', () => {
  it('normalises tar names to absolute paths', () => {
    expect(normalTarPath('./etc/passwd')).toBe('/etc/passwd');
    expect(normalTarPath('etc/')).toBe('/etc');
    expect(normalTarPath('./')).toBe('/');
  });

  it('applies whiteouts (a file, a whole directory) and opaque directories from later layers', async () => {
    const tree = await LayerTree.read([
      await layer(base),
      await layer(
        [
          { name: 'etc/.wh.os-release', content: '' },
          { name: 'opt/.wh.keep', content: '' },
          { name: 'opt/app/.wh..wh..opq', content: '' },
          { name: 'opt/app/new.txt', content: 'new' },
        ],
        'none',
      ),
    ]);
    expect(await tree.stat('/etc/os-release')).toBeNull();
    expect(await tree.stat('/etc/passwd')).not.toBeNull();
    expect(await tree.stat('/opt/keep')).toBeNull();
    expect(await tree.stat('/opt/keep/k.txt')).toBeNull();
    expect(await tree.stat('/opt/app/a.txt')).toBeNull();
    expect(await tree.stat('/opt/app/sub/b.txt')).toBeNull();
    expect((await tree.readFile('/opt/app/new.txt', 100))?.content.toString()).toBe('new');
    const listing = await tree.list('/opt', { maxDepth: 2, maxBytes: 1 << 20 });
    expect(listing?.entries.map((entry) => entry.name)).toEqual(['app', 'app/new.txt']);
  });

  it('keeps entries of the same layer as the opaque marker, whatever their order', async () => {
    const tree = await LayerTree.read([
      await layer(base),
      await layer([
        { name: 'opt/app/first.txt', content: '1' },
        { name: 'opt/app/.wh..wh..opq', content: '' },
      ]),
    ]);
    expect(await tree.stat('/opt/app/first.txt')).not.toBeNull();
    expect(await tree.stat('/opt/app/a.txt')).toBeNull();
  });

  it('replaces a directory by a file and a file by a directory', async () => {
    const tree = await LayerTree.read([
      await layer(base),
      await layer([
        { name: 'opt/app', content: 'now a file' },
        { name: 'etc/passwd/', type: 'directory' },
      ]),
    ]);
    expect((await tree.stat('/opt/app'))?.kind).toBe('file');
    expect(await tree.stat('/opt/app/a.txt')).toBeNull();
    expect((await tree.stat('/etc/passwd'))?.kind).toBe('dir');
  });

  it('resolves symlinks as the image would and reads hard links through their target', async () => {
    const tree = await LayerTree.read([
      await layer([...base, { name: 'usr/bin/py-hard', type: 'link', linkname: 'usr/bin/python3.11' }]),
    ]);
    expect(await tree.stat('/usr/bin/python3')).toMatchObject({
      kind: 'symlink',
      linkTarget: '/usr/bin/python3.11',
    });
    expect(await tree.stat('/bin/python3')).toMatchObject({
      kind: 'symlink',
      linkTarget: '/usr/bin/python3.11',
    });
    expect((await tree.readFile('/bin/python3', 10))?.content.toString()).toBe('ELF');
    expect((await tree.readFile('/usr/bin/py-hard', 10))?.content.toString()).toBe('ELF');
  });

  it('reads a file too large to keep again from its layer, and honours maxBytes', async () => {
    const big = Buffer.alloc(200_000, 'x');
    big.write('HEAD', 0);
    const tree = await LayerTree.read([await layer([...base, { name: 'opt/big.bin', content: big }])], {
      keepFileBytes: 1024,
    });
    const head = await tree.readFile('/opt/big.bin', 4);
    expect(head?.content.toString()).toBe('HEAD');
    expect(head?.truncated).toBe(true);
    expect((await tree.readFile('/opt/big.bin', 1 << 20))?.content.length).toBe(200_000);
  });

  it('answers the build as the engine archive API would (owner, mode, type; not a file throws)', async () => {
    const tree = await LayerTree.read([
      await layer([...base, { name: 'home/', type: 'directory', mode: 0o2775, uid: 7 }]),
    ]);
    const files = tree.fileReader();
    expect(await files.stat('/home')).toMatchObject({
      type: 'directory',
      mode: 0o2775,
      uid: 7,
      linkname: null,
    });
    expect(await files.stat('/bin')).toMatchObject({ type: 'symlink', linkname: 'usr/bin' });
    expect(await files.stat('/nope')).toBeNull();
    expect((await files.readFile('/etc/passwd'))?.content.toString()).toContain('root:x:0:0');
    await expect(files.readFile('/etc')).rejects.toThrow(/not a regular file/);
  });

  it('feeds detection: users and the non-root user come from the merged /etc/passwd', async () => {
    const tree = await LayerTree.read([
      await layer(base),
      await layer([
        {
          name: 'etc/passwd',
          content: 'root:x:0:0:root:/root:/bin/bash\nana:x:1001:100::/home/ana:/bin/bash\n',
        },
      ]),
    ]);
    const facts = await detectImageFacts(
      {
        reference: 'test',
        id: 'sha256:0',
        os: 'linux',
        architecture: 'amd64',
        config: { entrypoint: null, cmd: ['bash'], user: '', workdir: '', env: {}, labels: {} },
      },
      tree,
    );
    expect(facts.users.map((user) => user.name)).toEqual(['root', 'ana']);
    expect(facts.nonRootUser?.name).toBe('ana');
  });
});
