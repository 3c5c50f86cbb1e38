// Dockerfile users: `hubify runtime-image` builds the image that holds only /opt/hubify; a Dockerfile
// made from templates/Dockerfile.copy-from.example (FROM the conda-notebook fixture, the COPY --from
// and ENTRYPOINT lines, the manifest from `hubify manifest IMAGE`) is built by the engine exactly as a
// user's would be, and the result passes `hubify test` against a real JupyterHub, with the spawner's
// `jupyterhub-singleuser` command and with the image's own command (KubeSpawner's way). Nothing else is
// added to the image: no user, no file outside /opt/hubify. Also: the runtime image is reproducible
// (same id twice), --push pushes it to a real registry on loopback, an arm64 one says arm64, and
// `docker run IMAGE <command>` still runs the command.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, connectDocker, inspectImage, newTestRunId, runContainer } from '../helpers/docker.ts';
import { describeRun, expectHubifyTestPasses, REPO_ROOT, runNode } from '../helpers/hubify-cli.ts';
import { startRegistry } from '../helpers/registry.ts';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const RUNTIME_IMAGE = 'hubify-test/runtime:latest';
const RUNTIME_IMAGE_ARM64 = 'hubify-test/runtime:arm64';
const BASE = 'hubify-fixture/conda-notebook:latest';
const COPIED = 'hubify-test/copy-from:latest';
/** The names the example uses for the base and the runtime image, replaced by the test's. */
const EXAMPLE_BASE = 'your/image:tag';
const EXAMPLE_RUNTIME = 'hubify-runtime:0.1.0';

interface RuntimeImageJson {
  ok: boolean;
  image: { reference: string; id: string; pushedDigest: string | null };
  platform: string;
  layer: { diffId: string; rawSize: number; entries: number };
  copy: string;
}

let docker: Docker;
let scratch: string;
let built: RuntimeImageJson;
const runId = newTestRunId('runtime-image');

async function runtimeImage(tag: string, more: string[] = []): Promise<RuntimeImageJson> {
  const args = ['runtime-image', '--tag', tag, '--json', ...more];
  const result = await runNode(args, { timeoutMs: 10 * 60_000 });
  expect(result.code, describeRun(args, result)).toBe(0);
  return JSON.parse(result.stdout) as RuntimeImageJson;
}

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  await ensureFixtures(['conda-notebook'], { docker, log: () => {} });
  scratch = await mkdtemp(join(tmpdir(), 'hubify-runtime-image-'));
  built = await runtimeImage(RUNTIME_IMAGE);
}, 20 * 60_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('hubify runtime-image', () => {
  it('builds a one-layer image with no base, holding only /opt/hubify, the same image every time', async () => {
    expect(built.ok).toBe(true);
    expect(built.copy).toBe(`COPY --from=${RUNTIME_IMAGE} /opt/hubify /opt/hubify`);
    const info = await inspectImage(docker, RUNTIME_IMAGE);
    expect(info?.Id).toBe(built.image.id);
    expect(info?.Architecture).toBe('amd64');
    expect(info?.Os).toBe('linux');
    expect(info?.RootFS.Layers).toEqual([built.layer.diffId]);
    expect(info?.Config.Labels?.['org.hubify.runtime-image']).toBe('true');
    const again = await runtimeImage(RUNTIME_IMAGE);
    expect(again.image.id).toBe(built.image.id);
  });

  it('pushes with --push and reports the digest the registry serves', async () => {
    const registry = await startRegistry();
    try {
      const tag = `${registry.host}/hubify-test/runtime:1`;
      const pushed = await runtimeImage(tag, ['--push']);
      expect(pushed.image.pushedDigest, registry.log()).toMatch(/^sha256:[0-9a-f]{64}$/);
      const head = await fetch(`http://${registry.host}/v2/hubify-test/runtime/manifests/1`, {
        method: 'HEAD',
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      expect(head.headers.get('docker-content-digest')).toBe(pushed.image.pushedDigest);
    } finally {
      await registry.stop();
    }
  });

  it('builds an arm64 runtime image on this amd64 machine', async () => {
    const arm = await runtimeImage(RUNTIME_IMAGE_ARM64, ['--platform', 'linux/arm64']);
    const info = await inspectImage(docker, RUNTIME_IMAGE_ARM64);
    expect(arm.platform).toBe('linux/arm64');
    expect(info?.Architecture).toBe('arm64');
    expect(arm.layer.diffId).not.toBe(built.layer.diffId);
  });
});

describe('COPY --from=<runtime image> /opt/hubify /opt/hubify (templates/Dockerfile.copy-from.example)', () => {
  it('makes an image that passes hubify test, both with jupyterhub-singleuser and with its own command', async () => {
    const example = await readFile(join(REPO_ROOT, 'templates', 'Dockerfile.copy-from.example'), 'utf8');
    expect(example).toContain(`FROM ${EXAMPLE_BASE}`);
    expect(example).toContain(`COPY --from=${EXAMPLE_RUNTIME} /opt/hubify /opt/hubify`);
    const dockerfile = example.replaceAll(EXAMPLE_BASE, BASE).replaceAll(EXAMPLE_RUNTIME, RUNTIME_IMAGE);

    const manifestFile = join(scratch, 'hubify-manifest.json');
    const args = ['manifest', BASE, '--out', manifestFile];
    const generated = await runNode(args);
    expect(generated.code, describeRun(args, generated)).toBe(0);

    await buildImage(docker, {
      context: [
        { path: 'Dockerfile', content: Buffer.from(dockerfile), mode: 0o644 },
        { path: 'hubify-manifest.json', content: await readFile(manifestFile), mode: 0o644 },
      ],
      tags: [COPIED],
      networkMode: 'none',
    });
    const base = await inspectImage(docker, BASE);
    const copied = await inspectImage(docker, COPIED);
    // Nothing but /opt/hubify: the base's layers, then the COPY and the manifest.
    expect(copied?.RootFS.Layers?.slice(0, base?.RootFS.Layers?.length)).toEqual(base?.RootFS.Layers);
    expect(copied?.Config.User).toBe(base?.Config.User);

    await expectHubifyTestPasses(COPIED, ['notebook']);
    await expectHubifyTestPasses(COPIED, ['notebook'], ['--use-image-cmd']);
  });

  it('still runs any other command as given, with the image user and no passwd change', async () => {
    const run = await runContainer(docker, {
      image: COPIED,
      cmd: [
        'sh',
        '-c',
        'id -un; grep -c . /etc/passwd; test -e /usr/local/bin/jupyterhub-singleuser || echo no-shim-outside',
      ],
      testRunId: runId,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const baseRun = await runContainer(docker, {
      image: BASE,
      cmd: ['sh', '-c', 'id -un; grep -c . /etc/passwd; echo no-shim-outside'],
      testRunId: runId,
    });
    expect(run.stdout).toBe(baseRun.stdout);
  });
});
