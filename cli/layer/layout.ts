/**
 * Where things live in a hubified image. Everything hubify adds is under /opt/hubify, except the
 * jupyterhub-singleuser shim on PATH and, for images without a non-root user, the lines it appends to
 * /etc/passwd and /etc/group and that user's home.
 */
export const LAYOUT = {
  root: '/opt/hubify',
  bin: '/opt/hubify/bin',
  lib: '/opt/hubify/lib',
  node: '/opt/hubify/bin/node',
  tini: '/opt/hubify/bin/tini',
  /** The runtime bundle; runs by itself (`#!/opt/hubify/bin/node`). */
  runtime: '/opt/hubify/lib/hubify-proxy.mjs',
  /** A link to the runtime, for people typing commands in a container. */
  runtimeLink: '/opt/hubify/bin/hubify-proxy',
  manifest: '/opt/hubify/manifest.json',
  /** Licences of what hubify ships (Node, tini). */
  licenses: '/opt/hubify/share/licenses',
  /** The shim's usual directory: on every distribution's default PATH, rarely holding anything. */
  shimDir: '/usr/local/bin',
  /**
   * The shim's directory when the image already has a jupyterhub-singleuser earlier on PATH than
   * /usr/local/bin (docker-stacks: /opt/conda/bin); then PATH is prefixed with it.
   */
  shimDirFirstOnPath: '/opt/hubify/shims',
  shimName: 'jupyterhub-singleuser',
  /** The port the runtime listens on when nothing says otherwise (the runtime's own default). */
  port: 8888,
} as const;

/**
 * V8 flags the runtime always runs with (in its `#!` line and every launch command). A 4 MB young
 * generation keeps RSS after load at about 190 MB instead of 310 MB with the same throughput
 * (measured in docs/benchmarks.md); it must be given at start, the heap cannot be resized later.
 * One flag only: a `#!` line passes everything after the interpreter as one argument.
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** The default command of a hubified image: the runtime, on port 8888, by absolute path. */
export const RUNTIME_COMMAND: readonly string[] = [LAYOUT.node, ...RUNTIME_NODE_FLAGS, LAYOUT.runtime];

/** The ENTRYPOINT of a hubified image: tini as PID 1, reaping zombies of the whole process group. */
export const TINI_ENTRYPOINT: readonly string[] = [LAYOUT.tini, '-g', '--'];
