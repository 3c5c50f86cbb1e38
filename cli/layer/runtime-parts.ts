/**
 * The two binaries every way of shipping the runtime carries (`hubify build`, `hubify runtime-image`,
 * the buildpack package): Node and tini for one architecture, from hubify's cache or their sources.
 */
import { obtainNodeBinary, type NodeArch, type NodeBinary } from './node-binary.ts';
import { obtainTini, type DebArch, type TiniBinary } from './tini-binary.ts';

/** An architecture (OCI name) and what each part's package calls it. */
export const PART_ARCH = {
  amd64: { node: 'x64', deb: 'amd64' },
  arm64: { node: 'arm64', deb: 'arm64' },
} as const satisfies Record<string, { node: NodeArch; deb: DebArch }>;
export type PartArch = keyof typeof PART_ARCH;

export interface RuntimePartsRequest {
  arch: PartArch;
  cacheDir: string;
  /** Environment for `npm pack` (registry settings); merged over this process's. */
  env?: Readonly<Record<string, string | undefined>>;
  onProgress?: (line: string) => void;
  /** tini already obtained (a multi-platform build fetches each once). */
  tini?: TiniBinary;
  /** Times each part (the build's timer); default: untimed. */
  time?: <T>(name: 'node' | 'tini', run: () => Promise<T>) => Promise<T>;
}

export interface RuntimeParts {
  node: NodeBinary;
  tini: TiniBinary;
}

export async function obtainRuntimeParts(request: RuntimePartsRequest): Promise<RuntimeParts> {
  const time = request.time ?? (<T>(_name: string, run: () => Promise<T>) => run());
  const arch = PART_ARCH[request.arch];
  const tini =
    request.tini ??
    (await time('tini', () =>
      obtainTini({ arch: arch.deb, cacheDir: request.cacheDir, onProgress: request.onProgress }),
    ));
  const node = await time('node', () =>
    obtainNodeBinary({
      arch: arch.node,
      cacheDir: request.cacheDir,
      onProgress: request.onProgress,
      env: { ...process.env, ...request.env },
    }),
  );
  return { node, tini };
}

/** One progress line saying which Node and tini go in, and where they came from. */
export function describeRuntimeParts({ node, tini }: RuntimeParts): string {
  return (
    `node ${node.version} linux-${node.arch}${node.cached ? ' (cached)' : ''}: ${node.stripped ? `stripped with ${node.strip}` : node.strip}; ` +
    `tini ${tini.version} ${tini.arch}${tini.cached ? ' (cached)' : ` (${tini.source})`}`
  );
}
