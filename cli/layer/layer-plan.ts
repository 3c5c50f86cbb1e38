/**
 * What the runtime layer holds, as a list of tar entries: a pure function of its inputs, so the same
 * inputs give the same layer. Two steps, because every parent of what we add must be in the tar, with
 * the owner and mode it has in the base image and a fixed mtime (a parent left out gets the build
 * time from the engine's ADD, and the layer digest changes every build): `layerDirectories` says
 * which directories to look up in the base image, `planLayer` builds the entries from the answers.
 */
import type { PathInfo } from '../engine/image-files.ts';
import type { FileEntry, LayerEntry } from './layer-tar.ts';
import { LAYOUT } from './layout.ts';

/** Owner, mode and mtime of a path in the base image (from the engine's archive API). */
export type BaseFileMeta = PathInfo;

/** The content of a file to add: in memory or on this machine's disk. */
export type LayerFileContent = FileEntry['content'];

export interface LayerInputs {
  /** mtime of everything hubify creates (SOURCE_DATE_EPOCH or a constant), in seconds. */
  mtime: number;
  node: LayerFileContent;
  tini: LayerFileContent;
  /** The runtime bundle, with its `#!/opt/hubify/bin/node` line. */
  runtime: Buffer;
  /** /opt/hubify/manifest.json. */
  manifest: Buffer;
  /** Licence texts, by file name under /opt/hubify/share/licenses. */
  licenses: Record<string, Buffer>;
  /** Directory of the jupyterhub-singleuser shim (LAYOUT.shimDir or LAYOUT.shimDirFirstOnPath). */
  shimDir: string;
  /** Replaced account files (only when a user is added), with the base file's owner and mode. */
  accounts: { path: '/etc/passwd' | '/etc/group'; content: Buffer; base: BaseFileMeta }[];
  /** A home directory to create (the added user's, or an existing user's missing one). */
  home: { path: string; uid: number; gid: number } | null;
}

function parentsOf(path: string): string[] {
  const parents: string[] = [];
  for (let index = path.indexOf('/', 1); index !== -1; index = path.indexOf('/', index + 1))
    parents.push(path.slice(0, index));
  return parents;
}

/** Every path the layer adds or replaces (files, links, and the directories hubify owns). */
function addedPaths(inputs: Pick<LayerInputs, 'shimDir' | 'accounts' | 'home' | 'licenses'>): string[] {
  return [
    LAYOUT.node,
    LAYOUT.tini,
    LAYOUT.runtime,
    LAYOUT.runtimeLink,
    LAYOUT.manifest,
    ...Object.keys(inputs.licenses).map((name) => `${LAYOUT.licenses}/${name}`),
    `${inputs.shimDir}/${LAYOUT.shimName}`,
    ...inputs.accounts.map((account) => account.path),
    ...(inputs.home === null ? [] : [inputs.home.path]),
  ];
}

function isOurs(path: string): boolean {
  return path === LAYOUT.root || path.startsWith(`${LAYOUT.root}/`);
}

/**
 * The directories outside /opt/hubify that contain what the layer adds (/opt, /usr, /usr/local,
 * /usr/local/bin, /etc, /home, ...): look each up in the base image and pass the answers to planLayer.
 */
export function layerDirectories(
  inputs: Pick<LayerInputs, 'shimDir' | 'accounts' | 'home' | 'licenses'>,
): string[] {
  const directories = new Set<string>();
  for (const path of addedPaths(inputs))
    for (const parent of parentsOf(path)) if (!isOurs(parent)) directories.add(parent);
  return [...directories].sort();
}

/**
 * The layer's entries. `baseDirectories` maps each path of `layerDirectories()` to its metadata in the
 * base image, or null when the base image has no such path (then it is created 0755 root:root).
 * Throws when such a path exists but is not a directory (a symlinked /usr/local/bin, say): extracting
 * the layer would replace it.
 */
export function planLayer(
  inputs: LayerInputs,
  baseDirectories: ReadonlyMap<string, BaseFileMeta | null>,
): LayerEntry[] {
  const { mtime } = inputs;
  const root = { uid: 0, gid: 0, mtime };
  const entries: LayerEntry[] = [];
  const ownDirectories = new Set<string>();

  for (const path of layerDirectories(inputs)) {
    const base = baseDirectories.get(path);
    if (base === undefined) throw new Error(`planLayer: no answer for the base image's ${path}`);
    if (base === null) {
      entries.push({ type: 'directory', path, mode: 0o755, ...root });
    } else if (base.type !== 'directory') {
      throw new Error(
        `${path} is a ${base.type}${base.linkname === null ? '' : ` to ${base.linkname}`} in the image, not a directory`,
      );
    } else {
      // Owner and mode as in the image; the mtime is ours: the one the engine reports for a path of a
      // container is not always the image's (its init layer touches /etc for hosts and resolv.conf).
      entries.push({ type: 'directory', path, mode: base.mode, uid: base.uid, gid: base.gid, mtime });
    }
  }
  for (const path of addedPaths(inputs))
    for (const parent of parentsOf(path)) if (isOurs(parent)) ownDirectories.add(parent);
  for (const path of ownDirectories) entries.push({ type: 'directory', path, mode: 0o755, ...root });

  const file = (path: string, mode: number, content: LayerFileContent): FileEntry => ({
    type: 'file',
    path,
    mode,
    content,
    ...root,
  });
  entries.push(
    file(LAYOUT.node, 0o755, inputs.node),
    file(LAYOUT.tini, 0o755, inputs.tini),
    file(LAYOUT.runtime, 0o755, { kind: 'buffer', data: inputs.runtime }),
    {
      type: 'symlink',
      path: LAYOUT.runtimeLink,
      target: `../lib/${LAYOUT.runtime.split('/').pop()}`,
      ...root,
    },
    file(LAYOUT.manifest, 0o644, { kind: 'buffer', data: inputs.manifest }),
    // The shim is a link: the kernel runs the runtime through its #! line, so it needs no shell, and
    // the runtime sees its arguments exactly as the spawner passed them.
    { type: 'symlink', path: `${inputs.shimDir}/${LAYOUT.shimName}`, target: LAYOUT.runtime, ...root },
  );
  for (const [name, text] of Object.entries(inputs.licenses))
    entries.push(file(`${LAYOUT.licenses}/${name}`, 0o644, { kind: 'buffer', data: text }));
  for (const account of inputs.accounts) {
    entries.push({
      type: 'file',
      path: account.path,
      mode: account.base.mode,
      uid: account.base.uid,
      gid: account.base.gid,
      mtime,
      content: { kind: 'buffer', data: account.content },
    });
  }
  if (inputs.home !== null)
    entries.push({
      type: 'directory',
      path: inputs.home.path,
      mode: 0o755,
      uid: inputs.home.uid,
      gid: inputs.home.gid,
      mtime,
    });
  return entries;
}
