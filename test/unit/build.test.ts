// `hubify build` without an engine: the Dockerfile, the labels, the decisions taken from an image's
// facts (user, shim, ENV), the engine connection and its errors, pull/push/build failure mapping, the
// progress bars, and the command line. ImageFacts are made by hand here.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_ERROR_CODES, isDiskFull } from '../../cli/build/error-codes.ts';
import {
  DOCKERFILE_PLACEHOLDERS,
  dockerfileQuote,
  dockerfileTemplatePath,
  envInstructions,
  labelInstruction,
  loadDockerfileTemplate,
  renderDockerfile,
  workdirValue,
  type DockerfileValues,
} from '../../cli/build/dockerfile.ts';
import { buildBlockers, checkRequest, type HubifyBuildResult } from '../../cli/build/hubify-build.ts';
import {
  chooseRuntimeUser,
  DEFAULT_SOURCE_DATE_EPOCH,
  envChanges,
  imageLabels,
  placeShim,
  sourceDateEpoch,
} from '../../cli/build/image-config.ts';
import { formatBuildResult, runBuild, type BuildOptions } from '../../cli/commands/build.ts';
import { buildFromContext } from '../../cli/engine/build-image.ts';
import { connectEngine, dockerHostOptions, engineCandidates } from '../../cli/engine/connect-engine.ts';
import { engineMessage } from '../../cli/engine/engine-stream.ts';
import { parseImageReference, registryAuthKey, withDefaultTag } from '../../cli/engine/image-reference.ts';
import { formatBytes, LayerProgress } from '../../cli/engine/layer-progress.ts';
import { ensureImage, isDenied } from '../../cli/engine/pull-image.ts';
import { pushImage } from '../../cli/engine/push-image.ts';
import { registryAuth } from '../../cli/engine/registry-auth.ts';
import { HubifyError } from '../../cli/errors.ts';
import type { ImageFacts, ImageUser } from '../../cli/image/image-facts.ts';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/output.ts';

const root = join(import.meta.dirname, '..', '..');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hubify-build-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ROOT_USER: ImageUser = { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' };

/** Facts of an image like debian:bookworm (root, no regular user, CMD bash); `changes` adjust them. */
function facts(changes: Partial<ImageFacts> = {}, config: Partial<ImageFacts['config']> = {}): ImageFacts {
  return {
    reference: 'debian:bookworm',
    id: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
    os: 'linux',
    architecture: 'amd64',
    config: {
      entrypoint: null,
      cmd: ['bash'],
      user: '',
      workdir: '',
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      labels: {},
      ...config,
    },
    libc: { kind: 'glibc', version: '2.36', evidence: '/lib/x86_64-linux-gnu/libc.so.6' },
    users: [
      ROOT_USER,
      { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/usr/sbin/nologin' },
    ],
    defaultUser: ROOT_USER,
    nonRootUser: null,
    path: ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'],
    condaPrefixes: [],
    jupyterhubSingleuser: null,
    hasShell: true,
    apps: [],
    unsupported: [],
    notes: [],
    ...changes,
  };
}

const JOVYAN: ImageUser = { name: 'jovyan', uid: 1000, gid: 100, home: '/home/jovyan', shell: '/bin/bash' };
const DOCKER_STACKS_PATH = '/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function docker_stacks(): ImageFacts {
  return facts(
    {
      reference: 'quay.io/jupyter/base-notebook:2024-07-29',
      users: [ROOT_USER, JOVYAN],
      defaultUser: JOVYAN,
      nonRootUser: JOVYAN,
      path: DOCKER_STACKS_PATH.split(':'),
      condaPrefixes: ['/opt/conda'],
      jupyterhubSingleuser: '/opt/conda/bin/jupyterhub-singleuser',
    },
    {
      entrypoint: ['tini', '-g', '--', 'start.sh'],
      cmd: ['start-notebook.py'],
      user: '1000',
      workdir: '/home/jovyan',
      env: { PATH: DOCKER_STACKS_PATH, HOME: '/home/jovyan', NB_USER: 'jovyan' },
    },
  );
}

function expectHubifyError(error: unknown, code: string, exitCode: number): HubifyError {
  expect(error).toBeInstanceOf(HubifyError);
  const hubify = error as HubifyError;
  expect({ code: hubify.code, exitCode: hubify.exitCode }).toEqual({ code, exitCode });
  return hubify;
}

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

const VALUES: DockerfileValues = {
  BASE_IMAGE: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  LAYER_TAR: 'hubify-layer.tar',
  ENV: '',
  LABELS: labelInstruction({ 'org.hubify.version': '0.1.0', 'org.hubify.original.cmd': '["bash"]' }),
  USER: '1000:100',
  WORKDIR: '/home/jovyan',
  PORT: '8888',
  ENTRYPOINT: '["/opt/hubify/bin/tini","-g","--"]',
  CMD: '["/opt/hubify/bin/node","/opt/hubify/lib/hubify-proxy.mjs"]',
};

describe('Dockerfile', () => {
  it('renders templates/Dockerfile.hubify with named placeholders, without comments or empty lines', async () => {
    const template = await loadDockerfileTemplate();
    expect(dockerfileTemplatePath()).toBe(join(root, 'templates', 'Dockerfile.hubify'));
    for (const name of DOCKERFILE_PLACEHOLDERS) expect(template).toContain(`{{${name}}}`);
    expect(renderDockerfile(template, VALUES)).toBe(
      [
        'FROM sha256:1111111111111111111111111111111111111111111111111111111111111111',
        'ADD hubify-layer.tar /',
        'LABEL "org.hubify.original.cmd"="[\\"bash\\"]" \\',
        '      "org.hubify.version"="0.1.0"',
        'USER 1000:100',
        'WORKDIR /home/jovyan',
        'EXPOSE 8888',
        'STOPSIGNAL SIGTERM',
        'HEALTHCHECK NONE',
        'ENTRYPOINT ["/opt/hubify/bin/tini","-g","--"]',
        'CMD ["/opt/hubify/bin/node","/opt/hubify/lib/hubify-proxy.mjs"]',
        '',
      ].join('\n'),
    );
    const withEnv = renderDockerfile(template, {
      ...VALUES,
      ENV: envInstructions([['HOME', '/home/jovyan']]),
    });
    expect(withEnv).toContain('ADD hubify-layer.tar /\nENV HOME="/home/jovyan"\nLABEL');
  });

  it('refuses unknown and unfilled placeholders, naming each', () => {
    expect(() => renderDockerfile('FROM {{BASE}}\nUSER {{USER}}\n', { USER: '1000' })).toThrow(
      '{{BASE}} has no value',
    );
    expect(() => renderDockerfile('FROM {{BASE}}\n', { BASE: 'x', EXTRA: 'y' })).toThrow(
      'the value for EXTRA has no {{EXTRA}} in the template',
    );
    // Placeholders in comments are documentation, not placeholders.
    expect(renderDockerfile('# {{NOT_ONE}}\nFROM {{BASE}}\n', { BASE: 'x' })).toBe('FROM x\n');
  });

  it('quotes values for LABEL, ENV and WORKDIR', () => {
    expect(dockerfileQuote('a "b" \\c $HOME')).toBe('"a \\"b\\" \\\\c \\$HOME"');
    expect(() => dockerfileQuote('two\nlines')).toThrow('newline');
    expect(labelInstruction({ b: '2', a: '1' })).toBe('LABEL "a"="1" \\\n      "b"="2"');
    expect(labelInstruction({})).toBe('');
    expect(envInstructions([['PATH', '/opt/hubify/shims:/usr/bin']])).toBe(
      'ENV PATH="/opt/hubify/shims:/usr/bin"',
    );
    expect(() => envInstructions([['BAD NAME', 'x']])).toThrow('not an environment variable name');
    expect(workdirValue('/home/$me')).toBe('/home/\\$me');
    expect(() => workdirValue('relative')).toThrow('absolute');
  });
});

describe('labels', () => {
  it('record the version, the base, the original config as JSON, the apps, the layer and fixed dates', () => {
    const labels = imageLabels({
      hubifyVersion: '0.1.0',
      facts: docker_stacks(),
      baseRepoDigest:
        'quay.io/jupyter/base-notebook@sha256:2222222222222222222222222222222222222222222222222222222222222222',
      apps: ['jupyterlab'],
      layerDigest: 'sha256:3333',
      nodeVersion: '24.21.0',
      created: DEFAULT_SOURCE_DATE_EPOCH,
    });
    expect(labels).toEqual({
      'org.hubify.version': '0.1.0',
      'org.hubify.base.name': 'quay.io/jupyter/base-notebook:2024-07-29',
      'org.hubify.base.digest': 'sha256:2222222222222222222222222222222222222222222222222222222222222222',
      'org.hubify.base.id': 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
      'org.hubify.original.entrypoint': '["tini","-g","--","start.sh"]',
      'org.hubify.original.cmd': '["start-notebook.py"]',
      'org.hubify.original.user': '1000',
      'org.hubify.original.workdir': '/home/jovyan',
      'org.hubify.apps': '["jupyterlab"]',
      'org.hubify.layer.digest': 'sha256:3333',
      'org.hubify.node.version': '24.21.0',
      'org.opencontainers.image.base.name': 'quay.io/jupyter/base-notebook:2024-07-29',
      'org.opencontainers.image.base.digest':
        'sha256:2222222222222222222222222222222222222222222222222222222222222222',
      'org.opencontainers.image.created': '2024-01-01T00:00:00Z',
    });
  });

  it('use the image id as the digest of a local image, and SOURCE_DATE_EPOCH for the date', () => {
    const labels = imageLabels({
      hubifyVersion: '0.1.0',
      facts: facts(),
      baseRepoDigest: null,
      apps: [],
      layerDigest: 'sha256:3333',
      nodeVersion: '24.21.0',
      created: sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' }),
    });
    expect(labels['org.opencontainers.image.base.digest']).toBe(facts().id);
    expect(labels['org.hubify.original.entrypoint']).toBe('[]');
    expect(labels['org.hubify.original.cmd']).toBe('["bash"]');
    expect(labels['org.opencontainers.image.created']).toBe('2023-11-14T22:13:20Z');
    expect(sourceDateEpoch({})).toBe(DEFAULT_SOURCE_DATE_EPOCH);
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(
      'SOURCE_DATE_EPOCH must be whole seconds',
    );
  });
});

describe('decisions from the facts', () => {
  it('runs as the image’s regular user, else adds jovyan 1000:100 (nobody does not count)', () => {
    expect(chooseRuntimeUser(docker_stacks())).toEqual({
      name: 'jovyan',
      uid: 1000,
      gid: 100,
      home: '/home/jovyan',
      added: false,
      homeFromPasswd: true,
    });
    const nobody = {
      name: 'nobody',
      uid: 65534,
      gid: 65534,
      home: '/nonexistent',
      shell: '/usr/sbin/nologin',
    };
    expect(chooseRuntimeUser(facts({ nonRootUser: nobody }))).toEqual({
      name: 'jovyan',
      uid: 1000,
      gid: 100,
      home: '/home/jovyan',
      added: true,
      homeFromPasswd: true,
    });
    const rstudio = { name: 'rstudio', uid: 1000, gid: 1000, home: '/home/rstudio', shell: '/bin/bash' };
    expect(chooseRuntimeUser(facts({ users: [ROOT_USER, rstudio], nonRootUser: null }))).toMatchObject({
      name: 'rstudio',
      added: false,
    });
  });

  it('puts the shim in /usr/local/bin unless another jupyterhub-singleuser would be found first', () => {
    expect(placeShim(facts(), false)).toEqual({
      dir: '/usr/local/bin',
      path: null,
      reason: '/usr/local/bin is on PATH',
    });
    // Debian's jupyterhub package: /usr/bin comes after /usr/local/bin, so the shim wins there.
    expect(placeShim(facts({ jupyterhubSingleuser: '/usr/bin/jupyterhub-singleuser' }), false).dir).toBe(
      '/usr/local/bin',
    );
    const stacks = placeShim(docker_stacks(), false);
    expect(stacks.dir).toBe('/opt/hubify/shims');
    expect(stacks.path).toBe(`/opt/hubify/shims:${DOCKER_STACKS_PATH}`);
    expect(stacks.reason).toContain('/opt/conda/bin/jupyterhub-singleuser comes before /usr/local/bin');
    expect(placeShim(facts(), true).reason).toContain('has its own /usr/local/bin/jupyterhub-singleuser');
    const noLocal = placeShim(facts({}, { env: { PATH: '/usr/bin:/bin' } }), false);
    expect(noLocal).toMatchObject({ dir: '/opt/hubify/shims', path: '/opt/hubify/shims:/usr/bin:/bin' });
  });

  it('gives a user whose /etc/passwd home is unusable /home/NAME, and sets HOME for it', () => {
    const odd = { name: 'app', uid: 1001, gid: 1001, home: '/', shell: '/bin/sh' };
    const oddFacts = facts({ users: [ROOT_USER, odd], nonRootUser: odd });
    const user = chooseRuntimeUser(oddFacts);
    expect(user).toMatchObject({ name: 'app', home: '/home/app', homeFromPasswd: false });
    expect(envChanges(oddFacts, user, placeShim(oddFacts, false))).toEqual([['HOME', '/home/app']]);
  });

  it('sets HOME only when the image sets another one, and PATH only for the shims directory', () => {
    const user = chooseRuntimeUser(facts());
    expect(envChanges(facts(), user, placeShim(facts(), false))).toEqual([]);
    const rootHome = facts({}, { env: { PATH: '/usr/bin:/usr/local/bin', HOME: '/root' } });
    expect(envChanges(rootHome, user, placeShim(rootHome, false))).toEqual([['HOME', '/home/jovyan']]);
    const stacks = docker_stacks();
    expect(envChanges(stacks, chooseRuntimeUser(stacks), placeShim(stacks, false))).toEqual([
      ['PATH', `/opt/hubify/shims:${DOCKER_STACKS_PATH}`],
    ]);
  });

  it('refuses an image hubify already built, and one with ONBUILD triggers', () => {
    const inspect = { Config: { OnBuild: ['COPY . /app'] } } as unknown as Docker.ImageInspectInfo;
    const built = facts(
      {},
      { labels: { 'org.hubify.version': '0.1.0', 'org.hubify.base.name': 'debian:bookworm' } },
    );
    expect(buildBlockers(built, inspect)).toEqual([
      'it was already made hub-ready by hubify 0.1.0; build again from its base image debian:bookworm.',
      'it has ONBUILD triggers that would run during the build (COPY . /app).',
    ]);
    expect(buildBlockers(facts(), { Config: {} } as unknown as Docker.ImageInspectInfo)).toEqual([]);
  });

  it('checks the tag and SOURCE_DATE_EPOCH before anything else (exit 2)', () => {
    expect(checkRequest({ tag: 'me/debian-hub', env: {} })).toEqual({
      tag: 'me/debian-hub:latest',
      epoch: DEFAULT_SOURCE_DATE_EPOCH,
    });
    expect(checkRequest({ tag: 'localhost:5000/me/x:1', env: { SOURCE_DATE_EPOCH: '0' } })).toEqual({
      tag: 'localhost:5000/me/x:1',
      epoch: 0,
    });
    expectHubifyError(
      (() => {
        try {
          checkRequest({ tag: 'Me/Debian', env: {} });
        } catch (error) {
          return error;
        }
      })(),
      'HUBIFY_USAGE',
      2,
    );
    const epoch = expectHubifyError(
      (() => {
        try {
          checkRequest({ tag: 'me/x', env: { SOURCE_DATE_EPOCH: '-1' } });
        } catch (error) {
          return error;
        }
      })(),
      'HUBIFY_USAGE',
      2,
    );
    expect(epoch.message).toContain('SOURCE_DATE_EPOCH');
  });
});

describe('image references and registry credentials', () => {
  it('parses references as the docker CLI does', () => {
    expect(parseImageReference('debian')).toEqual({
      registry: null,
      repository: 'debian',
      tag: null,
      digest: null,
    });
    expect(parseImageReference('quay.io/jupyter/base-notebook:2024-07-29')).toEqual({
      registry: 'quay.io',
      repository: 'jupyter/base-notebook',
      tag: '2024-07-29',
      digest: null,
    });
    expect(parseImageReference('localhost:5000/a/b')).toMatchObject({
      registry: 'localhost:5000',
      repository: 'a/b',
      tag: null,
    });
    expect(parseImageReference(`r/x@sha256:${'a'.repeat(64)}`)).toMatchObject({
      repository: 'r/x',
      digest: `sha256:${'a'.repeat(64)}`,
    });
    expect(parseImageReference('Debian')).toHaveProperty('error');
    expect(parseImageReference('me/Debian')).toHaveProperty('error');
    expect(parseImageReference('a//b')).toEqual({ error: 'has an empty path component' });
    expect(parseImageReference('a:-bad')).toHaveProperty('error');
    expect(withDefaultTag('me/x')).toBe('me/x:latest');
    expect(withDefaultTag('me/x:1')).toBe('me/x:1');
    expect(registryAuthKey({ registry: null, repository: 'x', tag: null, digest: null })).toBe(
      'https://index.docker.io/v1/',
    );
    expect(registryAuthKey({ registry: 'ghcr.io', repository: 'x', tag: null, digest: null })).toBe(
      'ghcr.io',
    );
  });

  it('reads credentials from config.json auths, or asks a credential helper', async () => {
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: { 'ghcr.io': { auth: Buffer.from('me:secret').toString('base64') } },
        credHelpers: { 'registry.example': 'fake' },
      }),
    );
    const env = { DOCKER_CONFIG: dir };
    const ghcr = parseImageReference('ghcr.io/me/x:1');
    if ('error' in ghcr) throw new Error(ghcr.error);
    expect(await registryAuth(ghcr, env)).toEqual({
      username: 'me',
      password: 'secret',
      serveraddress: 'ghcr.io',
    });
    const helped = parseImageReference('registry.example/me/x');
    if ('error' in helped) throw new Error(helped.error);
    const asked: string[] = [];
    const auth = await registryAuth(helped, env, (command, args) => {
      asked.push([command, ...args].join(' '));
      return Promise.resolve({
        code: 0,
        stdout: '{"Username":"u","Secret":"p"}',
        stderr: '',
        missing: false,
        commandLine: command,
      });
    });
    expect(auth).toEqual({ username: 'u', password: 'p', serveraddress: 'registry.example' });
    expect(asked).toEqual(['docker-credential-fake get']);
    const none = parseImageReference('debian');
    if ('error' in none) throw new Error(none.error);
    expect(await registryAuth(none, env)).toBeUndefined();
    expect(await registryAuth(none, { DOCKER_CONFIG: join(dir, 'missing') })).toBeUndefined();
  });
});

describe('engine connection', () => {
  it('tries DOCKER_HOST, then /var/run/docker.sock, then the Podman socket', () => {
    expect(
      engineCandidates({ DOCKER_HOST: 'tcp://10.0.0.2:2375', XDG_RUNTIME_DIR: '/run/user/1000' }).map(
        (c) => c.label,
      ),
    ).toEqual([
      'DOCKER_HOST=tcp://10.0.0.2:2375',
      'unix:///var/run/docker.sock',
      'unix:///run/user/1000/podman/podman.sock (Podman)',
    ]);
    expect(engineCandidates({})[1]).toEqual({
      label: '$XDG_RUNTIME_DIR/podman/podman.sock (Podman)',
      options: { skip: 'XDG_RUNTIME_DIR is unset' },
    });
    expect(dockerHostOptions('unix:///tmp/d.sock', {})).toEqual({ socketPath: '/tmp/d.sock' });
    expect(dockerHostOptions('tcp://10.0.0.2:2375', {})).toEqual({
      host: '10.0.0.2',
      port: 2375,
      protocol: 'http',
    });
    expect(dockerHostOptions('ssh://me@box', {})).toHaveProperty('skip');
    expect(
      dockerHostOptions('tcp://h:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir }),
    ).toHaveProperty('skip');
  });

  it('fails with HUBIFY_DOCKER_UNAVAILABLE (exit 3) listing each place tried and how to start one', async () => {
    const error = expectHubifyError(
      await caught(() =>
        connectEngine(
          { DOCKER_HOST: 'tcp://127.0.0.1:1', XDG_RUNTIME_DIR: dir },
          { dockerSocket: join(dir, 'docker.sock'), pingTimeoutMs: 2000 },
        ),
      ),
      'HUBIFY_DOCKER_UNAVAILABLE',
      3,
    );
    expect(error.message).toBe('no Docker or Podman engine answered');
    expect(error.detail?.split('\n')).toEqual([
      'DOCKER_HOST=tcp://127.0.0.1:1: connection refused (nothing listens there)',
      `unix://${join(dir, 'docker.sock')}: no such socket`,
      `unix://${join(dir, 'podman', 'podman.sock')} (Podman): no such socket`,
    ]);
    expect(error.hint).toContain('systemctl start docker');
    expect(error.hint).toContain('podman.socket');
    expect(error.toText()).toMatch(/\[HUBIFY_DOCKER_UNAVAILABLE\]\n$/);
  });
});

/** A dockerode client whose engine calls are replaced (its modem still parses progress streams). */
function fakeDocker(overrides: Record<string, unknown>): Docker {
  const docker = new Docker({ socketPath: join(tmpdir(), 'hubify-no-engine.sock') });
  return Object.assign(docker, overrides);
}

function jsonLines(...events: object[]): Readable {
  return Readable.from(events.map((event) => `${JSON.stringify(event)}\n`));
}

const notFound = (): never => {
  throw Object.assign(new Error('(HTTP code 404) no such image - No such image: x'), { statusCode: 404 });
};

describe('pulls, builds and pushes that fail', () => {
  it('maps a refused pull to HUBIFY_PULL_DENIED and anything else to HUBIFY_IMAGE_NOT_FOUND (exit 3)', async () => {
    expect(isDenied('unauthorized: authentication required')).toBe(true);
    expect(
      isDenied("pull access denied for x, repository does not exist or may require 'docker login'"),
    ).toBe(false);
    expect(isDenied('dial tcp: lookup registry-1.docker.io: no such host')).toBe(false);

    const refused = fakeDocker({
      getImage: () => ({ inspect: notFound }),
      pull: () =>
        Promise.resolve(
          jsonLines(
            { status: 'Pulling from me/private' },
            { errorDetail: { message: 'unauthorized: authentication required' }, error: 'unauthorized' },
          ),
        ),
    });
    const denied = expectHubifyError(
      await caught(() => ensureImage(refused, 'ghcr.io/me/private:1', { env: {} })),
      'HUBIFY_PULL_DENIED',
      3,
    );
    expect(denied.detail).toContain('local images of the engine: no ghcr.io/me/private:1');
    expect(denied.detail).toContain(
      'pull ghcr.io/me/private:1 from ghcr.io: unauthorized: authentication required',
    );
    expect(denied.hint).toContain('docker login ghcr.io');

    const offline = fakeDocker({
      getImage: () => ({ inspect: notFound }),
      pull: () =>
        Promise.reject(
          Object.assign(
            new Error(
              '(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
            ),
            {
              statusCode: 500,
            },
          ),
        ),
    });
    const missing = expectHubifyError(
      await caught(() => ensureImage(offline, 'debian', { env: {} })),
      'HUBIFY_IMAGE_NOT_FOUND',
      3,
    );
    expect(missing.detail).toBe(
      'local images of the engine: no debian\npull debian:latest from Docker Hub: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
    );
  });

  it('maps "no space left on device" in a build to HUBIFY_DISK_FULL (exit 3), other failures to HUBIFY_BUILD_FAILED (exit 1)', async () => {
    const full = fakeDocker({
      buildImage: () =>
        Promise.resolve(
          jsonLines(
            { stream: 'Step 2/10 : ADD hubify-layer.tar /\n' },
            {
              errorDetail: {
                message:
                  'failed to copy files: write /var/lib/docker/overlay2/x/diff/opt/hubify/bin/node: no space left on device',
              },
            },
          ),
        ),
    });
    const disk = expectHubifyError(
      await caught(() => buildFromContext(full, Readable.from([]), { tag: 'x:1' })),
      'HUBIFY_DISK_FULL',
      3,
    );
    expect(disk.detail).toContain('no space left on device');
    expect(disk.hint).toContain('docker system df');
    const broken = fakeDocker({
      buildImage: () =>
        Promise.resolve(
          jsonLines(
            { stream: 'Step 1/10 : FROM sha256:1\n' },
            { errorDetail: { message: 'No such image: sha256:1' } },
          ),
        ),
    });
    const failed = expectHubifyError(
      await caught(() => buildFromContext(broken, Readable.from([]), { tag: 'x:1' })),
      'HUBIFY_BUILD_FAILED',
      1,
    );
    expect(failed.detail).toBe('No such image: sha256:1\nStep 1/10 : FROM sha256:1');
    expect(isDiskFull(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(true);
  });

  it('maps a refused push to HUBIFY_PUSH_DENIED and an unreachable registry to HUBIFY_PUSH_FAILED', async () => {
    const pushing = (message: string) =>
      fakeDocker({
        getImage: () => ({
          push: () =>
            Promise.resolve(
              jsonLines(
                { status: 'The push refers to repository [r.example/me/x]' },
                { errorDetail: { message }, error: message },
              ),
            ),
        }),
      });
    const env = { DOCKER_CONFIG: dir };
    expectHubifyError(
      await caught(() =>
        pushImage(pushing('denied: requested access to the resource is denied'), 'r.example/me/x:1', { env }),
      ),
      'HUBIFY_PUSH_DENIED',
      3,
    );
    const failed = expectHubifyError(
      await caught(() =>
        pushImage(
          pushing('Get "https://r.example/v2/": dial tcp 127.0.0.1:1: connect: connection refused'),
          'r.example/me/x:1',
          { env },
        ),
      ),
      'HUBIFY_PUSH_FAILED',
      3,
    );
    expect(failed.message).toBe('cannot push r.example/me/x:1 to r.example');
  });

  it('strips dockerode’s own prefix from engine messages', () => {
    expect(engineMessage(new Error('(HTTP code 500) server error - boom '))).toBe('boom');
    expect(engineMessage(Object.assign(new Error('x'), { json: { message: 'from json\n' } }))).toBe(
      'from json',
    );
  });
});

describe('progress bars', () => {
  const events = [
    { status: 'Pulling from library/debian', id: 'bookworm' },
    { status: 'Pulling fs layer', id: 'aaaaaaaaaaaa' },
    { status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 1_000_000, total: 4_000_000 } },
    { status: 'Downloading', id: 'aaaaaaaaaaaa', progressDetail: { current: 2_000_000, total: 4_000_000 } },
    { status: 'Pull complete', id: 'aaaaaaaaaaaa' },
    { status: 'Status: Downloaded newer image for debian:bookworm' },
  ];

  it('prints one line per status change when not on a terminal', () => {
    let out = '';
    const progress = new LayerProgress((text) => (out += text), false);
    for (const event of events) progress.update(event);
    expect(out).toBe(
      [
        '  bookworm: Pulling from library/debian',
        '  aaaaaaaaaaaa: Pulling fs layer',
        '  aaaaaaaaaaaa: Downloading 4.00 MB',
        '  aaaaaaaaaaaa: Pull complete',
        '  Status: Downloaded newer image for debian:bookworm',
        '',
      ].join('\n'),
    );
  });

  it('redraws a bar per layer on a terminal', () => {
    let out = '';
    const progress = new LayerProgress((text) => (out += text), true);
    for (const event of events.slice(0, 4)) progress.update(event);
    expect(progress.lines()).toEqual([
      'aaaaaaaaaaaa: Downloading [===========>            ] 2.00 MB/4.00 MB',
    ]);
    expect(out).toContain('\x1b[1A\x1b[0J');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(42_255_305)).toBe('42.3 MB');
  });
});

describe('hubify build on the command line', () => {
  async function hubify(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await main(args, {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      cwd: root,
      env,
    });
    return { code, stdout, stderr };
  }

  it('documents its options', async () => {
    const run = await hubify(['build', '--help']);
    expect(run.code).toBe(0);
    for (const option of ['--tag', '--push', '--platform', '--app', '--manifest', '--no-cache', '--json'])
      expect(run.stdout).toContain(option);
  });

  it('is a usage error (exit 2) without --tag, with a bad tag or an unknown platform, before any engine is asked', async () => {
    expect(await hubify(['build', 'debian'])).toMatchObject({ code: 2, stdout: '' });
    const badTag = await hubify(['build', 'debian', '--tag', 'Not A Name']);
    expect(badTag.code).toBe(2);
    expect(badTag.stderr).toContain('--tag Not A Name is not an image name');
    expect(badTag.stderr).toContain('[HUBIFY_USAGE]');
    expect(badTag.stderr).not.toContain('using Docker');
    const platform = await hubify(['build', 'debian', '--tag', 'x', '--platform', 'linux/s390x']);
    expect(platform.code).toBe(2);
    expect(platform.stderr).toContain('linux/s390x');
  });

  it('prints errors as JSON with --json', async () => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      cwd: root,
      env: {},
    };
    const options: BuildOptions = {
      image: 'debian',
      tag: 'me/x',
      push: false,
      engine: 'docker',
      platform: null,
      apps: [],
      manifest: null,
      json: true,
      noCache: false,
      debug: false,
    };
    const code = await runBuild(options, io, {
      connect: () => connectEngine({}, { dockerSocket: join(dir, 'none.sock'), pingTimeoutMs: 1000 }),
    });
    expect(code).toBe(3);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      code: 'HUBIFY_DOCKER_UNAVAILABLE',
      message: 'no Docker or Podman engine answered',
    });
    expect(stderr).toContain('[HUBIFY_DOCKER_UNAVAILABLE]');
  });

  it('ends with the image, the layer digest, the added size and how to run it', () => {
    const result = {
      image: { reference: 'me/debian-hub:latest', id: 'sha256:abcdef0123456789', pushedDigest: null },
      base: { reference: 'debian:bookworm', id: 'sha256:1', digest: 'sha256:1', pulled: false },
      platform: 'linux/amd64',
      layer: {
        diffId: 'sha256:feed',
        tarDigest: 'sha256:beef',
        rawSize: 110_301_696,
        gzipSize: 42_064_030,
        entries: 21,
      },
      parts: {
        node: {
          version: '24.21.0',
          arch: 'x64',
          size: 108_512_048,
          sha256: '',
          originalSize: 126_595_440,
          stripped: true,
          strip: 'strip',
          licensePath: null,
          cached: true,
        },
        tini: {
          arch: 'amd64',
          version: '0.19.0-1+b3',
          size: 708_080,
          sha256: '',
          source: 'installed package',
          copyrightPath: null,
          cached: true,
        },
        runtime: { size: 908_750, source: 'dist/hubify-proxy.mjs' },
        manifest: { size: 208 },
      },
      user: { name: 'jovyan', uid: 1000, gid: 100, home: '/home/jovyan', added: true, homeFromPasswd: true },
      shim: { path: '/usr/local/bin/jupyterhub-singleuser', reason: '' },
      env: {},
      entrypoint: [],
      cmd: [],
      apps: [],
      defaultApp: null,
      labels: {},
      dockerfile: '',
      notes: [],
      timingsMs: {},
    } satisfies HubifyBuildResult;
    const text = formatBuildResult(result);
    expect(text).toContain('hubify: built me/debian-hub:latest (abcdef012345)');
    expect(text).toContain('  layer      sha256:feed');
    expect(text).toContain(
      '  added      110.3 MB raw, 42.1 MB gzip: node 24.21.0 108.5 MB, tini 0.19.0-1+b3 708.1 kB, runtime 908.8 kB',
    );
    expect(text).toContain('  runs as    jovyan (1000:100), home /home/jovyan, added by hubify');
    expect(text).toContain('docker run -p 8888:8888 me/debian-hub:latest');
    expect(text).toContain('c.DockerSpawner.image = "me/debian-hub:latest"');
    expect(text).toContain('c.KubeSpawner.image = "me/debian-hub:latest"');
  });
});

describe('error codes', () => {
  it('are documented with their exit code, and every code used in the build sources is in the table', async () => {
    const sources = await Promise.all(
      [
        'cli/build/hubify-build.ts',
        'cli/engine/connect-engine.ts',
        'cli/engine/pull-image.ts',
        'cli/engine/push-image.ts',
        'cli/engine/build-image.ts',
        'cli/layer/node-binary.ts',
        'cli/layer/tini-binary.ts',
        'cli/layer/runtime-bundle.ts',
      ].map((file) => readFile(join(root, file), 'utf8')),
    );
    const used = new Set(
      sources
        .join('\n')
        .match(/'HUBIFY_[A-Z_]+'/g)
        ?.map((code) => code.slice(1, -1)),
    );
    for (const code of used)
      if (code !== 'HUBIFY_USAGE') expect(Object.keys(BUILD_ERROR_CODES)).toContain(code);
    for (const [code, meaning] of Object.entries(BUILD_ERROR_CODES))
      expect(meaning, code).toMatch(/\(exit [0-9]\)\.?$/);
    const readme = await readFile(join(root, 'cli', 'build', 'README.md'), 'utf8');
    for (const code of Object.keys(BUILD_ERROR_CODES)) expect.soft(readme, code).toContain(code);
  });
});
