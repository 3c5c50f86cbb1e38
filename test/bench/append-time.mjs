// How long `hubify build --engine none` takes to append the runtime layer to an image in a local
// registry, warm (Node, tini, the base's layers and the compressed runtime layer cached):
// `npm run bench:append [-- IMAGE]` (default hubify-fixture/debian:latest, pushed first with
// `docker push` to Debian's docker-registry started on 127.0.0.1 for the bench). One build fills the
// caches, then RUNS warm builds; printed: wall time of the CLI (node dist/hubify.mjs, start included),
// the build's own total and its steps (median), registry requests, and whether the digest stayed the
// same. Target: under 3 s warm.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startRegistry } from '../helpers/registry.ts';

const root = new URL('../..', import.meta.url).pathname;
const RUNS = 5;
const TARGET_MS = 3000;
const image = process.argv[2] ?? 'hubify-fixture/debian:latest';

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

if (!existsSync(join(root, 'dist', 'hubify.mjs'))) {
  console.error('dist/hubify.mjs is missing: run npm run build first');
  process.exit(3);
}
const registry = await startRegistry();
try {
  const base = `${registry.host}/bench/base:latest`;
  const tag = `${registry.host}/bench/hub:latest`;
  for (const args of [
    ['tag', image, base],
    ['push', base],
  ]) {
    const result = await run('docker', args);
    if (result.code !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`);
  }
  await run('docker', ['rmi', base]);
  const build = async () => {
    const started = performance.now();
    const result = await run(process.execPath, [
      join(root, 'dist', 'hubify.mjs'),
      'build',
      base,
      '--tag',
      tag,
      '--engine',
      'none',
      '--insecure',
      '--json',
    ]);
    const wall = performance.now() - started;
    if (result.code !== 0) throw new Error(`hubify build failed (exit ${result.code}): ${result.stderr}`);
    return { wall, result: JSON.parse(result.stdout) };
  };
  const first = await build();
  console.log(
    `first build (fills the caches): ${(first.wall / 1000).toFixed(2)} s, ${first.result.image.digest}`,
  );
  const warm = [];
  for (let index = 0; index < RUNS; index += 1) warm.push(await build());
  const steps = Object.keys(warm[0].result.timingsMs);
  const wall = median(warm.map((item) => item.wall));
  console.log(`\nwarm append of ${image} (${RUNS} runs, median):`);
  console.log(`  wall time (CLI start included)  ${(wall / 1000).toFixed(2)} s`);
  for (const step of steps)
    console.log(`  ${step.padEnd(31)} ${median(warm.map((item) => item.result.timingsMs[step] ?? 0))} ms`);
  console.log(`  registry requests               ${warm[0].result.registryRequests}`);
  console.log(`  blobs                           ${JSON.stringify(warm[0].result.blobs)}`);
  const same = warm.every((item) => item.result.image.digest === first.result.image.digest);
  console.log(`  same digest every run           ${same ? 'yes' : 'NO'}`);
  console.log(`  target < ${TARGET_MS / 1000} s warm               ${wall < TARGET_MS ? 'met' : 'NOT met'}`);
} finally {
  await registry.stop();
}
