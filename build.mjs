// Bundles the two executables with esbuild: dist/hubify-proxy.mjs (the runtime that ships inside
// images: one file, no node_modules) and dist/hubify.mjs (the CLI). Type checking is `npm run typecheck`.
import { build } from 'esbuild';
import { chmod, mkdir } from 'node:fs/promises';

const banner = [
  '#!/usr/bin/env node',
  // Bundled CommonJS dependencies call require() for Node built-ins; give them one in ESM.
  "import { createRequire as __hubifyCreateRequire } from 'node:module';",
  'const require = __hubifyCreateRequire(import.meta.url);',
].join('\n');

const entries = [
  { in: 'proxy/main.ts', out: 'dist/hubify-proxy.mjs' },
  // hubify-detect: writes the manifest from inside an image during a Docker build (runtime image).
  { in: 'cli/integrations/in-image/detect-main.ts', out: 'dist/hubify-detect.mjs' },
  // The Cloud Native Buildpack's detect and build, run by the Node shipped in the package (cli/buildpack/).
  { in: 'cli/buildpack/main.ts', out: 'dist/hubify-buildpack.mjs' },
  // ssh2 (a dockerode dependency for ssh:// engines) ships native .node files: loaded from node_modules.
  { in: 'cli/main.ts', out: 'dist/hubify.mjs', external: ['ssh2', 'cpu-features'] },
];

await mkdir('dist', { recursive: true });
for (const entry of entries) {
  const started = Date.now();
  const result = await build({
    entryPoints: [entry.in],
    external: entry.external ?? [],
    outfile: entry.out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    keepNames: false,
    legalComments: 'eof',
    banner: { js: banner },
    metafile: true,
    logLevel: 'warning',
  });
  await chmod(entry.out, 0o755);
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`built ${entry.out} (${(bytes / 1024).toFixed(0)} KiB) in ${Date.now() - started} ms`);
}
