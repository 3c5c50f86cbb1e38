// The arm64 fixture `hubify-fixture/debian-arm64:bookworm`, for `hubify build --platform linux/arm64`
// on an amd64 machine without emulation: nothing arm64 can run here, so the image is made without
// running anything:
//   1. `debootstrap --foreign --variant=minbase --arch=arm64 bookworm DIR <mirror>` (first stage only:
//      downloads and unpacks the packages, runs none of them), the mirror read from the apt sources;
//   2. a `docker load` tar made here (docker 20.10's import cannot set the architecture): one layer =
//      the root filesystem tar, a config with "architecture": "arm64", "os": "linux" and its diff id,
//      and manifest.json naming the tag.
// Cached by tag: made only when the tag is missing (`docker rmi` it to remake it).
//
//   npx tsx test/images/build-arm64-fixture.ts          (needs root and a Docker engine)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Docker from 'dockerode';
import { connectDocker, followProgress, inspectImage } from '../helpers/docker.ts';
import {
  FIXTURE_LABEL,
  SUITE,
  debianMirror,
  hostAptSources,
  runCommand,
  type BuiltImage,
  type Log,
} from './build-fixtures.ts';

export const ARM64_REPO = 'hubify-fixture/debian-arm64';
export const ARM64_IMAGE = `${ARM64_REPO}:${SUITE}`;
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The base builder's command runner, with debootstrap's per-package lines left out of the log. */
function run(command: string, args: string[], log: Log): Promise<void> {
  return runCommand(command, args, (line) => {
    if (!/^I: (Retrieving|Validating|Extracting) /.test(line)) log(`[debian-arm64] ${line}`);
  });
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Makes the arm64 fixture unless its tag exists. */
export async function ensureArm64Fixture(docker: Docker, log: Log = () => {}): Promise<BuiltImage> {
  const started = Date.now();
  const existing = await inspectImage(docker, ARM64_IMAGE);
  if (existing)
    return {
      name: 'debian-arm64',
      ref: ARM64_IMAGE,
      id: existing.Id,
      built: false,
      seconds: 0,
      sizeBytes: existing.Size,
    };
  if (process.getuid?.() !== 0)
    throw new Error(`${ARM64_IMAGE} is missing and making it (debootstrap) needs root`);
  const sources = await hostAptSources();
  const mirror = debianMirror(sources);
  if (!mirror) throw new Error(`no apt source for Debian ${SUITE} found in /etc/apt`);
  const work = await mkdtemp(join(tmpdir(), 'hubify-arm64-fixture-'));
  const rootfs = join(work, 'rootfs');
  try {
    log(`[debian-arm64] debootstrap --foreign --variant=minbase --arch=arm64 ${SUITE} ${rootfs} ${mirror}`);
    await run('debootstrap', ['--foreign', '--variant=minbase', '--arch=arm64', SUITE, rootfs, mirror], log);
    // What only the second stage would use: the downloaded packages and debootstrap's own files.
    await rm(join(rootfs, 'debootstrap'), { recursive: true, force: true });
    await run('find', [join(rootfs, 'var/cache/apt/archives'), '-name', '*.deb', '-delete'], log);
    // What the slim images drop: apt lists (debootstrap's 50 MB Packages file), docs, man pages, locales.
    await run(
      'find',
      [join(rootfs, 'var/lib/apt/lists'), '-type', 'f', '!', '-name', 'lock', '-delete'],
      log,
    );
    for (const sub of ['usr/share/locale', 'usr/share/man', 'usr/share/info', 'usr/share/doc'])
      await rm(join(rootfs, sub), { recursive: true, force: true });
    await writeFile(join(rootfs, 'etc/hostname'), '');
    await writeFile(join(rootfs, 'etc/resolv.conf'), '');

    // The `docker load` tar: <diff>/layer.tar, <config>.json, manifest.json.
    const load = join(work, 'load');
    await mkdir(load);
    const layerTmp = join(work, 'layer.tar');
    await run('tar', ['--numeric-owner', '--sort=name', '-C', rootfs, '-cf', layerTmp, '.'], log);
    const diff = await sha256File(layerTmp);
    await mkdir(join(load, diff));
    await run('mv', [layerTmp, join(load, diff, 'layer.tar')], log);
    const config = {
      architecture: 'arm64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Env: [PATH_ENV], Cmd: ['bash'], Labels: { [FIXTURE_LABEL]: 'debian-arm64' } },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`] },
      history: [
        {
          created: '2024-01-01T00:00:00Z',
          created_by: `debootstrap --foreign --variant=minbase --arch=arm64 ${SUITE} (first stage only)`,
        },
      ],
    };
    const configText = JSON.stringify(config);
    const configName = `${createHash('sha256').update(configText).digest('hex')}.json`;
    await writeFile(join(load, configName), configText);
    await writeFile(
      join(load, 'manifest.json'),
      JSON.stringify([{ Config: configName, RepoTags: [ARM64_IMAGE], Layers: [`${diff}/layer.tar`] }]),
    );
    log(`[debian-arm64] docker load -> ${ARM64_IMAGE}`);
    const tarProcess = spawn('tar', ['-C', load, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stream = await docker.loadImage(tarProcess.stdout);
    await followProgress(docker, stream, (line) => log(`[debian-arm64] ${line}`));
    const info = await inspectImage(docker, ARM64_IMAGE);
    if (!info) throw new Error(`docker load ended without ${ARM64_IMAGE}`);
    if (info.Architecture !== 'arm64') throw new Error(`${ARM64_IMAGE} is ${info.Architecture}, not arm64`);
    const seconds = (Date.now() - started) / 1000;
    log(`[debian-arm64] made ${ARM64_IMAGE} in ${seconds.toFixed(1)} s (${(info.Size / 1e6).toFixed(0)} MB)`);
    return {
      name: 'debian-arm64',
      ref: ARM64_IMAGE,
      id: info.Id,
      built: true,
      seconds,
      sizeBytes: info.Size,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  ensureArm64Fixture(await connectDocker(), (line) =>
    console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s ${line}`),
  ).then(
    (image) =>
      console.log(`${image.ref} ${image.built ? `built in ${image.seconds.toFixed(1)} s` : 'cached'}`),
    (error: unknown) => {
      console.error(`build-arm64-fixture: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
