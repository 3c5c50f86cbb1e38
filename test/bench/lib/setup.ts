/**
 * What the benchmark needs before it starts: Debian's wrk and nginx (installed by the project's set-up
 * script when missing) and the Node binary the image ships (hubify's cached Node 24, fetched like
 * `hubify build` does when missing; the host's Node when that fails, said in the output).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { hubifyCacheDir } from '../../../cli/layer/cache-dir.ts';
import { NODE_VERSION, obtainNodeBinary } from '../../../cli/layer/node-binary.ts';
import { REPO_ROOT } from '../../helpers/hub.ts';
import { runToEnd } from './processes.ts';

const TOOLS = ['wrk', 'nginx', 'jupyterhub-singleuser', 'docker'];

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

export async function ensureTools(log: (line: string) => void): Promise<void> {
  const missing = TOOLS.filter((tool) => !onPath(tool));
  if (missing.length === 0) return;
  log(`installing what is missing (${missing.join(', ')}) with test/setup/install-system-deps.sh`);
  const result = await runToEnd('bash', [join(REPO_ROOT, 'test', 'setup', 'install-system-deps.sh')]);
  const still = TOOLS.filter((tool) => !onPath(tool));
  if (result.code !== 0 || still.length > 0)
    throw new Error(
      `the benchmark needs ${still.join(', ')}: test/setup/install-system-deps.sh exited ${result.code}.\n${result.stderr.slice(-2000)}`,
    );
}

/** Starts the Docker engine with the project's script when it does not answer (the image phases need it). */
export async function ensureDockerEngine(log: (line: string) => void): Promise<void> {
  if ((await runToEnd('docker', ['info'], { timeoutMs: 20_000 })).code === 0) return;
  log('starting the Docker engine with test/setup/docker-engine.sh');
  const result = await runToEnd('bash', [join(REPO_ROOT, 'test', 'setup', 'docker-engine.sh')], {
    timeoutMs: 300_000,
  });
  if (result.code !== 0)
    throw new Error(
      `the Docker engine could not be started (test/setup/docker-engine.sh exited ${result.code}):\n${result.stderr.slice(-2000)}`,
    );
}

export interface BenchNode {
  path: string;
  version: string;
}

export async function benchNode(log: (line: string) => void): Promise<BenchNode> {
  try {
    const binary = await obtainNodeBinary({
      arch: 'x64',
      cacheDir: hubifyCacheDir(process.env),
      onProgress: log,
    });
    return { path: binary.path, version: `v${NODE_VERSION}` };
  } catch (error) {
    log(
      `Node ${NODE_VERSION} (the image's) is not available (${(error as Error).message}); using the host's ${process.version}`,
    );
    return { path: process.execPath, version: process.version };
  }
}
