/**
 * The runtime that goes into the image: dist/hubify-proxy.mjs, which `npm run build` writes next to
 * the CLI bundle dist/hubify.mjs. It is found relative to the running CLI (never the current
 * directory), and its `#!/usr/bin/env node` line becomes `#!/opt/hubify/bin/node` so the file runs by
 * itself in images without a shell or a node of their own (the jupyterhub-singleuser shim links to it).
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../errors.ts';
import { buildError } from '../build/error-codes.ts';
import { LAYOUT, RUNTIME_NODE_FLAGS } from './layout.ts';

export const RUNTIME_BUNDLE_NAME = 'hubify-proxy.mjs';

/**
 * Where the runtime bundle should be: next to the CLI bundle (dist/hubify.mjs) when running bundled,
 * or <repository>/dist when running from the sources (tsx, tests).
 */
export function runtimeBundlePath(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  const bundled = basename(here).endsWith('.mjs');
  return bundled
    ? join(dirname(here), RUNTIME_BUNDLE_NAME)
    : join(dirname(here), '..', '..', 'dist', RUNTIME_BUNDLE_NAME);
}

/**
 * The bundle with its first line made `#!<node> <runtime flags>` (added when it has none); `node` is
 * the Node in the image unless said otherwise (the buildpack's layer has its own path).
 */
export function withImageShebang(bundle: Buffer, node: string = LAYOUT.node): Buffer {
  const shebang = Buffer.from(`#!${[node, ...RUNTIME_NODE_FLAGS].join(' ')}\n`);
  if (bundle.subarray(0, 2).toString() !== '#!') return Buffer.concat([shebang, bundle]);
  const end = bundle.indexOf(0x0a);
  return Buffer.concat([shebang, end === -1 ? Buffer.alloc(0) : bundle.subarray(end + 1)]);
}

export interface RuntimeBundle {
  /** Where it was read from. */
  source: string;
  /** The bytes that go into the image. */
  content: Buffer;
}

export async function loadRuntimeBundle(path: string = runtimeBundlePath()): Promise<RuntimeBundle> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw buildError({
      code: 'HUBIFY_RUNTIME_BUNDLE_MISSING',
      message: `the runtime bundle ${path} is missing`,
      detail: `hubify build puts this file into the image; it is made by "npm run build" next to the hubify CLI bundle.\n${(error as Error).message}`,
      hint: 'Run "npm run build" in the hubify repository (or reinstall the hubify package), then run again.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
  if (!bytes.includes('hubify-proxy')) {
    throw buildError({
      code: 'HUBIFY_RUNTIME_BUNDLE_MISSING',
      message: `${path} does not look like the hubify runtime bundle`,
      hint: 'Run "npm run build" again.',
      exitCode: EXIT.MISSING,
    });
  }
  return { source: path, content: withImageShebang(bytes) };
}
