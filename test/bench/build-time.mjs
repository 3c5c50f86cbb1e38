// `hubify build` time and added size per image: `npm run bench:build [-- IMAGE ...]` (default: the
// fixture images hubify-fixture/*:latest that the engine has). For each image:
//   cold  empty hubify cache and empty npm cache (Node is fetched with npm pack, stripped, the layer's
//         gzip size measured) and the engine's build cache off (--no-cache);
//   warm  the same build again, everything cached.
// Wall time includes starting the CLI from the sources (tsx); "hubify" is the build's own total.
// Built images are tagged hubify-bench/<name>:cold|warm and removed at the end.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('../..', import.meta.url).pathname;
const FIXTURES = ['debian', 'rocker-r', 'conda-notebook', 'docker-stacks', 'desktop'];

function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function hubify(args, env) {
  return run(process.execPath, ['--import', './test/helpers/ts-loader.mjs', 'cli/main.ts', ...args], env);
}

async function imageExists(ref) {
  return (await run('docker', ['image', 'inspect', ref], process.env)).code === 0;
}

const mb = (bytes) => (bytes / 1e6).toFixed(1);

if (!existsSync(join(root, 'dist', 'hubify-proxy.mjs'))) {
  console.error('dist/hubify-proxy.mjs is missing: run npm run build first');
  process.exit(3);
}
let images = process.argv.slice(2);
if (images.length === 0) {
  images = [];
  for (const name of FIXTURES)
    if (await imageExists(`hubify-fixture/${name}:latest`)) images.push(`hubify-fixture/${name}:latest`);
}
if (images.length === 0) {
  console.error(
    'no images given and no hubify-fixture/*:latest images found (npx tsx test/images/build-fixtures.ts)',
  );
  process.exit(3);
}

const rows = [];
const tags = [];
for (const image of images) {
  const name = image
    .replace(/[:@].*$/, '')
    .split('/')
    .pop();
  const cache = await mkdtemp(join(tmpdir(), 'hubify-bench-cache-'));
  const env = { ...process.env, XDG_CACHE_HOME: join(cache, 'xdg'), npm_config_cache: join(cache, 'npm') };
  const row = { image };
  try {
    for (const phase of ['cold', 'warm']) {
      const tag = `hubify-bench/${name}:${phase}`;
      tags.push(tag);
      const started = performance.now();
      const result = await hubify(
        ['build', image, '--tag', tag, '--json', ...(phase === 'cold' ? ['--no-cache'] : [])],
        env,
      );
      const wall = (performance.now() - started) / 1000;
      if (result.code !== 0) {
        row[phase] = `failed (${result.code})`;
        console.error(`${image} ${phase}: exit ${result.code}\n${result.stderr}`);
        break;
      }
      const json = JSON.parse(result.stdout);
      row[`${phase} wall s`] = wall.toFixed(1);
      row[`${phase} hubify s`] = (json.timingsMs.total / 1000).toFixed(1);
      if (phase === 'warm') {
        row['raw MB'] = mb(json.layer.rawSize);
        row['gzip MB'] = mb(json.layer.gzipSize);
        row['node MB'] = mb(json.parts.node.size);
        row['tini kB'] = (json.parts.tini.size / 1e3).toFixed(0);
        row['runtime kB'] = (json.parts.runtime.size / 1e3).toFixed(0);
        row.user = `${json.user.name}${json.user.added ? ' (added)' : ''}`;
        row.apps = json.apps.join(',') || '-';
      } else {
        const t = json.timingsMs;
        row['cold steps'] =
          `node ${t.node} ms, inspect ${t.inspect} ms, layer ${t.layer} ms, gzip ${t.gzip} ms, build ${t.build} ms`;
      }
    }
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
  rows.push(row);
}
console.table(rows);
await run('docker', ['image', 'rm', '-f', ...tags], process.env);
