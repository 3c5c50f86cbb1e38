// The config of a hubified image, decided once (cli/build/image-config.ts hubifiedSettings) and written
// two ways: the Dockerfile's values (engine path) and the OCI config rewrite (daemonless path,
// applySettings / hubifiedConfig / hubifiedManifest).
import { describe, expect, it } from 'vitest';
import { hubifiedConfig, hubifiedManifest, layerHistory } from '../../cli/build/daemonless-build.ts';
import { dockerfileValues } from '../../cli/build/hubify-build.ts';
import { applySettings, hubifiedSettings, type HubifiedSettings } from '../../cli/build/image-config.ts';
import { RUNTIME_COMMAND, TINI_ENTRYPOINT } from '../../cli/layer/layout.ts';
import { MEDIA_TYPES, type ImageConfigDocument } from '../../cli/oci/media-types.ts';

const user = { name: 'ana', uid: 1001, gid: 100, home: '/home/ana', added: false, homeFromPasswd: true };
const settings: HubifiedSettings = hubifiedSettings(
  {
    env: [
      ['PATH', '/opt/hubify/shims:/usr/bin'],
      ['HOME', '/home/ana'],
    ],
    labels: { 'org.hubify.version': '0.1.0', keep: 'new' },
    user,
  },
  { entrypoint: TINI_ENTRYPOINT, cmd: RUNTIME_COMMAND, port: 8888 },
);

const base: ImageConfigDocument = {
  architecture: 'arm64',
  variant: 'v8',
  os: 'linux',
  created: '2023-05-01T00:00:00Z',
  config: {
    Env: ['PATH=/usr/bin', 'LANG=C.UTF-8'],
    Cmd: ['bash'],
    Entrypoint: ['/init'],
    User: 'root',
    Labels: { keep: 'old', other: 'x' },
    ExposedPorts: { '80/tcp': {} },
    Volumes: { '/data': {} },
    Healthcheck: { Test: ['CMD', 'curl', 'localhost'] },
    StopSignal: 'SIGRTMIN+3',
    OnBuild: null,
    Shell: ['/bin/bash', '-c'],
  },
  rootfs: { type: 'layers', diff_ids: ['sha256:a', 'sha256:b'] },
  history: [{ created_by: 'one' }, { created_by: 'two' }],
  'moby.buildkit.cache.v0': 'kept',
};

describe('applySettings', () => {
  it('sets what templates/Dockerfile.hubify sets and keeps the rest of the base', () => {
    const config = applySettings(base.config ?? {}, settings);
    expect(config).toEqual({
      Env: ['PATH=/opt/hubify/shims:/usr/bin', 'LANG=C.UTF-8', 'HOME=/home/ana'],
      Cmd: [...RUNTIME_COMMAND],
      Entrypoint: [...TINI_ENTRYPOINT],
      User: '1001:100',
      WorkingDir: '/home/ana',
      Labels: { keep: 'new', other: 'x', 'org.hubify.version': '0.1.0' },
      ExposedPorts: { '80/tcp': {}, '8888/tcp': {} },
      Volumes: { '/data': {} },
      Healthcheck: { Test: ['NONE'] },
      StopSignal: 'SIGTERM',
      Shell: ['/bin/bash', '-c'],
    });
  });

  it('works on a base without a config section', () => {
    expect(applySettings({}, settings)).toMatchObject({
      Env: ['PATH=/opt/hubify/shims:/usr/bin', 'HOME=/home/ana'],
      Labels: settings.labels,
    });
  });

  it('is what the Dockerfile says, value for value', () => {
    const values = dockerfileValues({ id: 'sha256:base' }, settings);
    const config = applySettings({}, settings);
    expect(values.USER).toBe(config.User);
    expect(values.WORKDIR).toBe(config.WorkingDir);
    expect(JSON.parse(values.ENTRYPOINT)).toEqual(config.Entrypoint);
    expect(JSON.parse(values.CMD)).toEqual(config.Cmd);
    expect(values.ENV).toBe('ENV PATH="/opt/hubify/shims:/usr/bin"\nENV HOME="/home/ana"');
    expect(Object.keys(config.ExposedPorts ?? {})).toContain(`${values.PORT}/tcp`);
  });
});

describe('hubifiedConfig and hubifiedManifest', () => {
  it('adds the layer diff id and one history entry, dated SOURCE_DATE_EPOCH, and keeps unknown fields', () => {
    const config = hubifiedConfig(base, settings, 'sha256:c', 1_704_067_200, '0.1.0');
    expect(config.rootfs.diff_ids).toEqual(['sha256:a', 'sha256:b', 'sha256:c']);
    expect(config.history).toEqual([
      ...(base.history ?? []),
      ...(layerHistory(1_704_067_200, '0.1.0') ?? []),
    ]);
    expect(config.history?.at(-1)).toMatchObject({
      created: '2024-01-01T00:00:00Z',
      comment: 'hubify 0.1.0',
    });
    expect(config.history?.at(-1)?.empty_layer).toBeUndefined();
    expect(config.created).toBe('2024-01-01T00:00:00Z');
    expect(config.architecture).toBe('arm64');
    expect(config.variant).toBe('v8');
    expect(config['moby.buildkit.cache.v0']).toBe('kept');
    // The base is not changed.
    expect(base.rootfs.diff_ids).toHaveLength(2);
  });

  it('appends the layer to the base manifest in the base format', () => {
    const manifest = hubifiedManifest(
      {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.dockerManifest,
        config: { mediaType: MEDIA_TYPES.dockerConfig, digest: 'sha256:old', size: 1 },
        layers: [{ mediaType: MEDIA_TYPES.dockerLayerGzip, digest: 'sha256:l1', size: 10 }],
      },
      MEDIA_TYPES.dockerManifest,
      { mediaType: MEDIA_TYPES.dockerConfig, digest: 'sha256:new', size: 2 },
      { mediaType: MEDIA_TYPES.dockerLayerGzip, digest: 'sha256:l2', size: 20 },
    );
    expect(manifest.config.digest).toBe('sha256:new');
    expect(manifest.layers.map((layer) => layer.digest)).toEqual(['sha256:l1', 'sha256:l2']);
    expect(manifest.mediaType).toBe(MEDIA_TYPES.dockerManifest);
  });
});
