// Which way `hubify build` goes (cli/commands/build.ts chooseEngine): without an engine when asked,
// when SOURCE or --output only the daemonless build handles, and when no engine answers with
// --engine auto; refused with --engine docker for what only the daemonless build reads. The
// registry here is 127.0.0.1:1, where nothing listens, so a daemonless build ends at the read.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuild, type BuildOptions } from '../../cli/commands/build.ts';
import { HubifyError } from '../../cli/errors.ts';

let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hubify-engine-choice-'));
  bundle = join(dir, 'hubify-proxy.mjs');
  await writeFile(
    bundle,
    '#!/usr/bin/env node\n// hubify-proxy (a stand-in file: these builds end before the layer is written)\n',
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function build(
  options: Partial<BuildOptions>,
  connect: () => Promise<never>,
): Promise<{ code: number; stdout: string; stderr: string; connected: boolean }> {
  let stdout = '';
  let stderr = '';
  let connected = false;
  const code = await runBuild(
    {
      image: '127.0.0.1:1/base/debian:1',
      tag: '127.0.0.1:1/hub/debian:1',
      push: false,
      platform: null,
      apps: [],
      manifest: null,
      json: true,
      noCache: false,
      debug: false,
      ...options,
    },
    {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      cwd: dir,
      env: { HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') },
    },
    {
      runtimeBundlePath: bundle,
      connect: () => {
        connected = true;
        return connect();
      },
    },
  );
  return { code, stdout, stderr, connected };
}

const noEngine = (): Promise<never> =>
  Promise.reject(
    new HubifyError({ code: 'HUBIFY_DOCKER_UNAVAILABLE', message: 'no engine answered', exitCode: 3 }),
  );

describe('hubify build: engine or not', () => {
  it('builds without an engine when none answers (--engine auto), reading the registry itself', async () => {
    const run = await build({}, noEngine);
    expect(run.connected).toBe(true);
    expect(run.stderr).toContain('no engine answered: building without one');
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'HUBIFY_IMAGE_NOT_FOUND' });
    expect((JSON.parse(run.stdout) as { detail: string }).detail).toContain('127.0.0.1:1');
  });

  it('does not ask for an engine with --engine none, oci:, docker-archive: or --output', async () => {
    for (const options of [
      { engine: 'none' as const },
      { image: `oci:${join(dir, 'no-layout')}` },
      { image: `docker-archive:${join(dir, 'no.tar')}` },
      { output: `oci:${join(dir, 'out')}` },
    ]) {
      const run = await build(options, noEngine);
      expect(run.connected, JSON.stringify(options)).toBe(false);
      expect(run.stderr).toContain('building without an engine');
    }
  });

  it('says what is wrong with an unreadable layout or archive (HUBIFY_SOURCE_UNREADABLE, exit 3)', async () => {
    const layout = await build({ image: `oci:${join(dir, 'no-layout')}` }, noEngine);
    expect(layout.code).toBe(3);
    expect(JSON.parse(layout.stdout)).toMatchObject({ ok: false, code: 'HUBIFY_SOURCE_UNREADABLE' });
    expect((JSON.parse(layout.stdout) as { detail: string }).detail).toContain('not an OCI image layout');
    const archive = await build({ image: `docker-archive:${join(dir, 'no.tar')}` }, noEngine);
    expect(JSON.parse(archive.stdout)).toMatchObject({ ok: false, code: 'HUBIFY_SOURCE_UNREADABLE' });
  });

  it('refuses --engine docker for what only the daemonless build reads or writes, and a bad --output', async () => {
    for (const options of [
      { engine: 'docker' as const, image: `oci:${dir}` },
      { engine: 'docker' as const, output: `oci:${dir}` },
      { engine: 'none' as const, output: 'somewhere.tar' },
    ]) {
      const run = await build(options, noEngine);
      expect(run.code, JSON.stringify(options)).toBe(2);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'HUBIFY_USAGE' });
      expect(run.connected).toBe(false);
    }
  });
});
