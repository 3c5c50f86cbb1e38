// Image indexes and sources (cli/oci/image-source.ts, cli/build/daemonless-build.ts chooseImages):
// an index resolves to one image per platform (attestations left out), a manifest to itself; which
// platforms a build takes; how SOURCE, --output and registry names are read.
import { describe, expect, it } from 'vitest';
import { chooseImages } from '../../cli/build/daemonless-build.ts';
import { parseImageReference, type ImageReference } from '../../cli/engine/image-reference.ts';
import { parseOutput } from '../../cli/oci/destination.ts';
import { resolveImages, SourceFormatError, type PlatformImage } from '../../cli/oci/image-source.ts';
import {
  encodeDocument,
  MEDIA_TYPES,
  type Descriptor,
  type ImageConfigDocument,
} from '../../cli/oci/media-types.ts';
import { splitLayoutSpec } from '../../cli/oci/oci-layout.ts';
import { DOCKER_HUB_API, registryLocation } from '../../cli/oci/registry-client.ts';
import { parseSource } from '../../cli/oci/source-spec.ts';

function image(architecture: string, variant?: string) {
  const config: ImageConfigDocument = {
    architecture,
    os: 'linux',
    ...(variant === undefined ? {} : { variant }),
    rootfs: { type: 'layers', diff_ids: ['sha256:d1'] },
  };
  const configDoc = encodeDocument(config, MEDIA_TYPES.ociConfig);
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: MEDIA_TYPES.ociManifest,
    config: configDoc.descriptor,
    layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: `sha256:${'1'.repeat(64)}`, size: 3 }],
  };
  return { config, configDoc, manifestDoc: encodeDocument(manifest, MEDIA_TYPES.ociManifest) };
}

function store(...images: ReturnType<typeof image>[]): (descriptor: Descriptor) => Promise<Buffer> {
  const blobs = new Map<string, Buffer>();
  for (const item of images) {
    blobs.set(item.configDoc.descriptor.digest, item.configDoc.bytes);
    blobs.set(item.manifestDoc.descriptor.digest, item.manifestDoc.bytes);
  }
  return (descriptor) => {
    const found = blobs.get(descriptor.digest);
    return found === undefined
      ? Promise.reject(new Error(`no ${descriptor.digest}`))
      : Promise.resolve(found);
  };
}

describe('resolveImages', () => {
  const amd64 = image('amd64');
  const arm64 = image('arm64', 'v8');

  it('gives each platform of an index, leaving out attestation manifests', async () => {
    const index = encodeDocument(
      {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [
          { ...amd64.manifestDoc.descriptor, platform: { os: 'linux', architecture: 'amd64' } },
          {
            ...arm64.manifestDoc.descriptor,
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
          {
            ...amd64.manifestDoc.descriptor,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
        ],
      },
      MEDIA_TYPES.ociIndex,
    );
    const resolved = await resolveImages(index, store(amd64, arm64));
    expect(resolved.index?.manifests).toHaveLength(3);
    expect(resolved.images.map((item) => item.config.architecture)).toEqual(['amd64', 'arm64']);
    expect(resolved.images[1]?.descriptor.platform?.variant).toBe('v8');
  });

  it('gives the one image of a manifest', async () => {
    const resolved = await resolveImages(amd64.manifestDoc, store(amd64));
    expect(resolved.index).toBeNull();
    expect(resolved.images).toHaveLength(1);
    expect(resolved.images[0]?.manifest.config.digest).toBe(amd64.configDoc.descriptor.digest);
  });

  it('refuses a manifest whose config lists another number of layers', async () => {
    const broken = image('amd64');
    broken.config.rootfs.diff_ids.push('sha256:extra');
    const configDoc = encodeDocument(broken.config, MEDIA_TYPES.ociConfig);
    const manifestDoc = encodeDocument(
      {
        schemaVersion: 2,
        config: configDoc.descriptor,
        layers: [{ mediaType: MEDIA_TYPES.ociLayer, digest: 'sha256:x', size: 1 }],
      },
      MEDIA_TYPES.ociManifest,
    );
    await expect(resolveImages(manifestDoc, store({ ...broken, configDoc, manifestDoc }))).rejects.toThrow(
      SourceFormatError,
    );
  });
});

describe('chooseImages', () => {
  const platformImage = (os: string, architecture: string): PlatformImage => ({
    descriptor: {
      mediaType: MEDIA_TYPES.ociManifest,
      digest: `sha256:${architecture}`,
      size: 1,
      platform: { os, architecture },
    },
    manifest: {
      schemaVersion: 2,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: 'sha256:c', size: 1 },
      layers: [],
    },
    config: { architecture, os, rootfs: { type: 'layers', diff_ids: [] } },
  });
  const source = {
    name: 'x',
    images: [
      platformImage('linux', 'amd64'),
      platformImage('linux', 's390x'),
      platformImage('linux', 'arm64'),
    ],
  };

  it('takes every supported platform and notes the others', () => {
    const { images, notes } = chooseImages(source, null);
    expect(images.map((item) => item.config.architecture)).toEqual(['amd64', 'arm64']);
    expect(notes).toEqual([expect.stringContaining('linux/s390x left out')]);
  });

  it('takes only the platform asked for, and refuses when there is none', () => {
    expect(chooseImages(source, 'linux/arm64').images.map((item) => item.config.architecture)).toEqual([
      'arm64',
    ]);
    expect(() =>
      chooseImages({ name: 'x', images: [platformImage('linux', 'amd64')] }, 'linux/arm64'),
    ).toThrow(expect.objectContaining({ code: 'HUBIFY_PLATFORM_MISMATCH' }));
    expect(() => chooseImages({ name: 'x', images: [platformImage('linux', 's390x')] }, null)).toThrow(
      expect.objectContaining({ code: 'HUBIFY_IMAGE_UNSUPPORTED' }),
    );
  });
});

describe('names', () => {
  it('reads SOURCE', () => {
    expect(parseSource('oci:/tmp/layout:base')).toEqual({ kind: 'oci', spec: '/tmp/layout:base' });
    expect(parseSource('docker-archive:/tmp/x.tar')).toEqual({ kind: 'docker-archive', file: '/tmp/x.tar' });
    expect(parseSource('docker://debian:bookworm')).toMatchObject({
      kind: 'registry',
      explicit: true,
      text: 'debian:bookworm',
    });
    expect(parseSource('127.0.0.1:5000/a/b:1')).toMatchObject({ kind: 'registry', explicit: false });
    expect(parseSource('oci:')).toHaveProperty('error');
    expect(parseSource('Not A Ref')).toHaveProperty('error');
  });

  it('reads --output and oci:DIR[:REF]', () => {
    expect(parseOutput(null)).toEqual({ kind: 'registry' });
    expect(parseOutput('oci:out:v1')).toEqual({ kind: 'oci', dir: 'out', ref: 'v1' });
    expect(parseOutput('docker-archive:out.tar')).toEqual({ kind: 'docker-archive', file: 'out.tar' });
    expect(parseOutput('out.tar')).toBeNull();
    expect(splitLayoutSpec('/a/b')).toEqual({ dir: '/a/b', ref: null });
    expect(splitLayoutSpec('/a:b/c')).toEqual({ dir: '/a:b/c', ref: null });
  });

  it('finds the registry API host and repository of a reference (Docker Hub: library/ for one name)', () => {
    const location = (text: string) => registryLocation(parseImageReference(text) as ImageReference);
    expect(location('debian:bookworm')).toEqual({ host: DOCKER_HUB_API, repository: 'library/debian' });
    expect(location('jupyter/base-notebook')).toEqual({
      host: DOCKER_HUB_API,
      repository: 'jupyter/base-notebook',
    });
    expect(location('127.0.0.1:5000/a/b:1')).toEqual({ host: '127.0.0.1:5000', repository: 'a/b' });
  });
});
